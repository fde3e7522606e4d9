// perf.data in file mode (or whatever the header says): the input is the file.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "perfdata_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  spanprof::fuzz::MemoryFile file({data, size});
  spanprof::fuzz::read_whole_capture(file.path());
  return 0;
}
