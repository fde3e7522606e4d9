// One binary's symbols: source lines and inlined frames from its DWARF (libdwfl), the
// function name from the ELF symbol table where DWARF has none.
//
// Takes: a binary opened by lib/binaries and ELF virtual addresses in it. Gives: the
// frames at each address. Lookup structures are built on first need and kept.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <optional>

#include "binaries/elf_file.h"
#include "symbolize/cu_ranges.h"
#include "symbolize/demangle.h"
#include "symbolize/frame.h"
#include "symbolize/inline_frames.h"
#include "symbolize/source_paths.h"
#include "symbolize/symbol_table.h"

namespace spanprof::symbolize {

class BinarySymbols {
 public:
  // file outlives this object.
  explicit BinarySymbols(const binaries::ElfFile& file) : module_(file.module()) {}
  BinarySymbols(const BinarySymbols&) = delete;
  BinarySymbols& operator=(const BinarySymbols&) = delete;

  // Frames at an ELF virtual address, innermost first; empty when nothing names it.
  // Uses DWARF (separate debug info found by libdwfl included) and falls back to the
  // symbol table for the function name.
  Frames symbolize(uint64_t vaddr);

 private:
  // The CU DIE holding vaddr (in storage when found by the fallback index), with its bias.
  Dwarf_Die* cu_of(uint64_t vaddr, Dwarf_Die& storage, Dwarf_Addr& bias);

  Dwfl_Module* module_;
  InlineScopes scopes_;
  DemangleCache names_;
  SourcePaths paths_;
  std::optional<CuRanges> cu_ranges_;  // built on the first address .debug_aranges misses
  Dwarf_Addr dwarf_bias_ = 0;
  std::optional<SymbolTable> symbols_;  // built on the first address DWARF cannot name
};

}  // namespace spanprof::symbolize
