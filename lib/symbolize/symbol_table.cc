#include "symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

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

// A section's header by name, or nullopt.
std::optional<GElf_Shdr> section_named(Elf* elf, size_t names, const char* wanted,
                                       Elf_Scn** found = nullptr) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf, names, shdr.sh_name);
    if (name != nullptr && std::strcmp(name, wanted) == 0) {
      if (found != nullptr) *found = scn;
      return shdr;
    }
  }
  return std::nullopt;
}

constexpr uint64_t kPltEntrySize = 16;  // x86-64 PLT and .plt.sec entries (psABI)

}  // namespace

// PLT stubs have no symbols; perf names them "NAME@plt" from .rela.plt, entry
// i of .plt.sec (IBT binaries) or entry i + 1 of .plt (after PLT0). x86-64 only.
void SymbolTable::add_plt_stubs(Dwfl_Module* module) {
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  GElf_Ehdr ehdr;
  size_t names = 0;
  if (elf == nullptr || gelf_getehdr(elf, &ehdr) == nullptr || ehdr.e_machine != EM_X86_64 ||
      elf_getshdrstrndx(elf, &names) != 0) {
    return;
  }
  Elf_Scn* rela_scn = nullptr;
  auto rela = section_named(elf, names, ".rela.plt", &rela_scn);
  if (!rela || rela->sh_type != SHT_RELA || rela->sh_entsize == 0) return;
  auto plt_sec = section_named(elf, names, ".plt.sec");
  auto plt = section_named(elf, names, ".plt");
  if (!plt_sec && !plt) return;
  uint64_t first = plt_sec ? plt_sec->sh_addr : plt->sh_addr + kPltEntrySize;
  uint64_t end = plt_sec ? plt_sec->sh_addr + plt_sec->sh_size : plt->sh_addr + plt->sh_size;
  Elf_Scn* dynsym = elf_getscn(elf, rela->sh_link);
  GElf_Shdr dynsym_shdr;
  if (dynsym == nullptr || gelf_getshdr(dynsym, &dynsym_shdr) == nullptr) return;
  Elf_Data* relocs = elf_getdata(rela_scn, nullptr);
  Elf_Data* syms = elf_getdata(dynsym, nullptr);
  if (relocs == nullptr || syms == nullptr) return;
  size_t count = rela->sh_size / rela->sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    uint64_t addr = first + i * kPltEntrySize;
    if (addr + kPltEntrySize > end) break;
    GElf_Rela reloc;
    GElf_Sym sym;
    if (gelf_getrela(relocs, static_cast<int>(i), &reloc) == nullptr) break;
    size_t index = GELF_R_SYM(reloc.r_info);
    if (index == 0 || gelf_getsym(syms, static_cast<int>(index), &sym) == nullptr) continue;
    const char* name = elf_strptr(elf, dynsym_shdr.sh_link, sym.st_name);
    if (name == nullptr || *name == '\0') continue;
    plt_names_.push_back(std::string(name) + "@plt");
    symbols_.push_back({addr + bias, kPltEntrySize, nullptr, kPltRank});
  }
}

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
  table.add_plt_stubs(module);
  // Names of PLT stubs are owned here; pointed to once the vector stops growing.
  size_t next_plt = 0;
  for (Symbol& symbol : table.symbols_) {
    if (symbol.rank == kPltRank) symbol.name = table.plt_names_[next_plt++].c_str();
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
