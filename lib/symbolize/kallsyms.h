// Kernel symbols from /proc/kallsyms (or a saved copy).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::symbolize {

struct KernelSymbol {
  uint64_t addr = 0;
  std::string name;
};

class KallsymsTable {
 public:
  static Result<KallsymsTable> load(const std::string& path);
  // Lines "ADDR TYPE NAME [module]". Only text symbols are kept; zero addresses (what
  // kallsyms shows without CAP_SYSLOG / kptr_restrict) are skipped.
  static KallsymsTable parse(std::istream& in);

  // The text symbol at or before addr, nullptr when addr is before the first one or
  // implausibly far past the nearest.
  const KernelSymbol* find(uint64_t addr) const;

  size_t size() const { return symbols_.size(); }

 private:
  std::vector<KernelSymbol> symbols_;  // sorted by addr
};

}  // namespace spanprof::symbolize
