// The ELF symbol table of a libdwfl module, sorted for binary search.
//
// dwfl_module_addrinfo scans every symbol per call (a quarter of the time on binaries
// without DWARF); this index is built once per binary.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <vector>

namespace spanprof::symbolize {

class SymbolTable {
 public:
  // Function symbols of module (.symtab, else .dynsym, or the debug file's table).
  // Names point into libdwfl's data: valid while the module's Dwfl lives.
  static SymbolTable of_module(Dwfl_Module* module);

  // The name of the function symbol containing addr (a module address); a sizeless symbol
  // covers up to the next one. nullptr when none does.
  const char* find(uint64_t addr) const;

  size_t size() const { return symbols_.size(); }

 private:
  struct Symbol {
    uint64_t addr = 0;
    uint64_t size = 0;
    const char* name = nullptr;
    int rank = 0;  // among aliases at one address, the lowest rank is preferred
  };
  std::vector<Symbol> symbols_;  // sorted by addr, then rank; one per address
};

}  // namespace spanprof::symbolize
