// Span files in the Collector fileexporter's proto format (4-byte big-endian
// length, TracesData). The first input byte picks the thread-id attribute
// option, so both ways of finding thread ids are fuzzed.
#include <cstddef>
#include <cstdint>

#include "quiet_protobuf.h"
#include "spans_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  spanprof::spans::SpanReaderOptions options;
  if (data[0] & 1) options.tid_attribute = "tid";
  spanprof::fuzz::MemoryFile file({data + 1, size - 1});
  spanprof::fuzz::read_and_check_spans(file.path(), options);
  return 0;
}
