// Compilation units by address, for binaries without .debug_aranges.
//
// libdw 0.188 finds the CU of an address only through .debug_aranges, which clang (and so
// rustc) do not emit by default: without this index their binaries get no lines or inlines.
#pragma once

#include <elfutils/libdw.h>

#include <optional>
#include <vector>

namespace spanprof::symbolize {

class CuRanges {
 public:
  // Reads every unit's DW_AT_low_pc/high_pc/ranges once.
  static CuRanges of(Dwarf* dwarf);

  // The CU DIE whose ranges hold pc (a DWARF address), nullopt when none does.
  std::optional<Dwarf_Die> find(Dwarf_Addr pc) const;

 private:
  struct Range {
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;  // exclusive
    Dwarf_Die cu;
  };
  std::vector<Range> ranges_;  // sorted by low
};

}  // namespace spanprof::symbolize
