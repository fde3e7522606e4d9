// Span files as `spanprof join` reads them; the seeds are OTLP JSON Lines. The
// format is detected from the content, so mutations also reach gzip and protobuf.
#include <cstddef>
#include <cstdint>

#include "quiet_protobuf.h"
#include "spans_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spanprof::fuzz::MemoryFile file({data, size});
  spanprof::fuzz::read_and_check_spans(file.path(), {});
  return 0;
}
