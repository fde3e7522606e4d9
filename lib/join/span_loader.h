// Reads span files and builds the span index on a second thread, while the
// perf capture is being read and symbolized on the first.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "activations/activation_set.h"
#include "attribute/span_attribution.h"
#include "common/result.h"
#include "common/warning.h"
#include "join/namespace_mapping.h"
#include "spans/span_reader.h"

namespace spanprof::join {

struct LoadedSpans {
  spans::SpanReadStats stats;
  std::unique_ptr<attribute::SpanAttribution> attribution;
  activations::ActivationSet activations;  // empty without activation files
  // Present when a namespace-ids file was given and read.
  std::optional<NamespaceMappingStats> namespace_mapping;
  std::vector<Warning> warnings;  // e.g. a damaged namespace-ids file, not used
};

struct SpanLoaderInputs {
  std::vector<std::string> span_files;
  std::vector<std::string> activation_files;
  std::vector<std::string> activation_error_notes;
  std::string namespace_ids;  // capture/namespace_ids.h; "" for none
};

class SpanLoader {
 public:
  // Fails at once when a file cannot be opened; reading runs in the background.
  // The activation files are read on the same thread, after the spans.
  static Result<std::unique_ptr<SpanLoader>> start(SpanLoaderInputs inputs,
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
