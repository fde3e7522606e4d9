#include "symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>

namespace spanprof::symbolize {
namespace {

// Prefer sized global symbols over weak, local or sizeless aliases, as perf does.
int rank_of(const GElf_Sym& sym) {
  int rank = 0;
  switch (GELF_ST_BIND(sym.st_info)) {
    case STB_GLOBAL: break;
    case STB_WEAK: rank += 1; break;
    default: rank += 2; break;
  }
  if (sym.st_size == 0) rank += 4;
  return rank;
}

}  // namespace

SymbolTable SymbolTable::of_module(Dwfl_Module* module) {
  SymbolTable table;
  int count = dwfl_module_getsymtab(module);
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(module, i, &sym, &addr, &shndx, nullptr, nullptr);
    if (name == nullptr || *name == '\0' || sym.st_shndx == SHN_UNDEF) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC) continue;
    table.symbols_.push_back({addr, sym.st_size, name, rank_of(sym)});
  }
  std::sort(table.symbols_.begin(), table.symbols_.end(), [](const Symbol& a, const Symbol& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.rank < b.rank;
  });
  table.symbols_.erase(std::unique(table.symbols_.begin(), table.symbols_.end(),
                                   [](const Symbol& a, const Symbol& b) { return a.addr == b.addr; }),
                       table.symbols_.end());
  return table;
}

const char* SymbolTable::find(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return nullptr;
  const Symbol& symbol = *std::prev(it);
  if (symbol.size != 0 && addr - symbol.addr >= symbol.size) return nullptr;
  return symbol.name;
}

}  // namespace spanprof::symbolize
