// JIT symbol maps (/tmp/perf-PID.map), then lookups around every range start.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_input.h"
#include "symbolize/perf_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto map = spanprof::symbolize::PerfMap::parse(in);
  spanprof::fuzz::Sink sink;
  sink.add(map.size() + map.bad_lines());
  // Probe at and around every address the input names, so lookups hit its ranges.
  for (uint64_t addr : spanprof::fuzz::hex_tokens({reinterpret_cast<const char*>(data), size})) {
    for (uint64_t probe : {addr, addr - 1, addr + 1}) {
      if (const std::string* name = map.find(probe)) sink.add_text(*name);
    }
  }
  return 0;
}
