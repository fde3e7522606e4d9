// Reads span files and builds the span index on a second thread, while the
// perf capture is being read and symbolized on the first.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "attribute/span_attribution.h"
#include "common/result.h"
#include "spans/span_reader.h"

namespace spanprof::join {

struct LoadedSpans {
  spans::SpanReadStats stats;
  std::unique_ptr<attribute::SpanAttribution> attribution;
};

class SpanLoader {
 public:
  // Fails at once when a file cannot be opened; reading runs in the background.
  static Result<std::unique_ptr<SpanLoader>> start(std::vector<std::string> files,
                                                   spans::SpanReaderOptions options,
                                                   attribute::SpanScope scope);

  // True once the spans are loaded (or failed): take() will not block.
  bool ready() const;

  // Waits for the load; an error when a file failed to read at all.
  Result<LoadedSpans> take();

 private:
  std::future<Result<LoadedSpans>> loading_;
};

}  // namespace spanprof::join
