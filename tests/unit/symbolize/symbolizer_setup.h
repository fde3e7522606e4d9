// A symbolizer with its own binary table, wired as the join wires them, for tests that
// symbolize addresses of file mappings.
#pragma once

#include <string>
#include <vector>

#include "binaries/binary_table.h"
#include "symbolize/symbolizer.h"

namespace spanprof::symbolize {

struct SymbolizerSetup {
  explicit SymbolizerSetup(const SymbolizerOptions& options = {})
      : binaries(binary_options(options)), symbolizer(binaries, options) {}

  const Frames& symbolize(const process::Mapping& mapping, uint64_t lookup_addr) {
    return symbolizer.symbolize(mapping, binaries.binary_of(mapping), lookup_addr);
  }
  const Frames& symbolize_kernel(uint64_t addr) { return symbolizer.symbolize_kernel(addr); }
  const Frames& symbolize_jit(uint32_t pid, uint64_t addr) {
    return symbolizer.symbolize_jit(pid, addr);
  }
  SymbolizerStats stats() const { return symbolizer.stats(); }
  // The binaries' warnings, then the symbolizer's: what the join reports.
  std::vector<std::string> warnings() const {
    std::vector<std::string> all = binaries.warnings();
    all.insert(all.end(), symbolizer.warnings().begin(), symbolizer.warnings().end());
    return all;
  }

  binaries::BinaryTable binaries;
  Symbolizer symbolizer;
};

}  // namespace spanprof::symbolize
