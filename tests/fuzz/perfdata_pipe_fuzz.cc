// perf.data in pipe mode (`perf record -o -`), read from a real pipe: the input
// is the stream after perf's 16-byte pipe header, which is prepended here so
// every mutation lands in the records.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "perfdata_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // perf.data-file-format.txt: pipe mode starts with magic "PERFILE2" and size 16.
  static constexpr uint8_t kPipeHeader[16] = {'P', 'E', 'R', 'F', 'I', 'L', 'E', '2',
                                              16,  0,   0,   0,   0,   0,   0,   0};
  std::vector<uint8_t> stream(sizeof kPipeHeader + size);
  std::memcpy(stream.data(), kPipeHeader, sizeof kPipeHeader);
  if (size > 0) std::memcpy(stream.data() + sizeof kPipeHeader, data, size);
  spanprof::fuzz::PipeInput pipe(stream);
  spanprof::fuzz::read_whole_capture(pipe.path());
  return 0;
}
