// The ELF symbol table of a libdwfl module, sorted for binary search.
//
// dwfl_module_addrinfo scans every symbol per call (a quarter of the time on binaries
// without DWARF); this index is built once per binary.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spanprof::symbolize {

class SymbolTable {
 public:
  // Function symbols of module (.symtab, else .dynsym, or the debug file's table),
  // and its PLT stubs as "NAME@plt" (x86-64), as perf names them.
  // Names point into libdwfl's data: valid while the module's Dwfl lives.
  static SymbolTable of_module(Dwfl_Module* module);

  // Move-only: the PLT stubs' names point into plt_names_' elements.
  SymbolTable() = default;
  SymbolTable(SymbolTable&&) = default;
  SymbolTable& operator=(SymbolTable&&) = default;
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // The name of the function symbol containing addr (a module address); a sizeless symbol
  // covers up to the next one. nullptr when none does.
  const char* find(uint64_t addr) const;

  size_t size() const { return symbols_.size(); }

 private:
  static constexpr int kPltRank = 100;  // after every real symbol at the same address

  void add_plt_stubs(Dwfl_Module* module);

  struct Symbol {
    uint64_t addr = 0;
    uint64_t size = 0;
    const char* name = nullptr;
    int rank = 0;  // among aliases at one address, the lowest rank is preferred
  };
  std::vector<Symbol> symbols_;  // sorted by addr, then rank; one per address
  std::vector<std::string> plt_names_;  // "NAME@plt", in the order add_plt_stubs found them
};

}  // namespace spanprof::symbolize
