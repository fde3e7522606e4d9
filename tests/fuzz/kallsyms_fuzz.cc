// Kernel symbol tables (/proc/kallsyms or a saved copy), then lookups.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_input.h"
#include "symbolize/kallsyms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto table = spanprof::symbolize::KallsymsTable::parse(in);
  spanprof::fuzz::Sink sink;
  sink.add(table.size());
  // Probe at and around every address the input names, so lookups hit its symbols.
  for (uint64_t addr : spanprof::fuzz::hex_tokens({reinterpret_cast<const char*>(data), size})) {
    for (uint64_t probe : {addr, addr - 1, addr + 1, uint64_t{0}, ~uint64_t{0}}) {
      if (const auto* symbol = table.find(probe)) sink.add_text(symbol->name);
    }
  }
  return 0;
}
