// DWARF scopes of an address: the function containing it and the calls inlined into it.
//
// dwarf_getscopes per address dominated a naive symbolizer's time (FACTS: ~85%). Instead each
// CU's functions (nested and member functions included) are indexed once by address range,
// and only the children of the function containing the pc are searched for
// inlined_subroutine DIEs (perfparser's 5x win).
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/demangle.h"
#include "symbolize/frame.h"
#include "symbolize/source_paths.h"

namespace spanprof::symbolize {

class InlineScopes {
 public:
  // The function DIE containing pc (a DW_TAG_subprogram) followed by each inlined_subroutine
  // nested in it that contains pc, outermost first. Empty when no function covers pc.
  // pc is a DWARF address of cudie's file (module address minus the bias libdwfl returned).
  std::vector<Dwarf_Die> chain(Dwarf_Die* cudie, Dwarf_Addr pc);

 private:
  struct FunctionRange {
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;  // exclusive
    Dwarf_Die die;
  };
  using FunctionIndex = std::vector<FunctionRange>;  // sorted by low

  const FunctionIndex& index_of(Dwarf_Die* cudie);
  static void collect_functions(Dwarf_Die* parent, FunctionIndex& out);

  std::unordered_map<Dwarf_Off, FunctionIndex> by_cu_;  // keyed by the CU DIE's offset
};

// Frames of a scope chain, innermost first. The innermost frame gets pc's line-table
// position (file, line); each outer frame the call site of the inlined call it made.
// A frame whose DIE has no name keeps function "" (the caller may use the ELF symbol).
Frames frames_of_chain(const std::vector<Dwarf_Die>& chain, const std::string& file,
                       int64_t line, DemangleCache& names, SourcePaths& paths);

}  // namespace spanprof::symbolize
