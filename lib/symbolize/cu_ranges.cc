#include "symbolize/cu_ranges.h"

#include <dwarf.h>

#include <algorithm>

namespace spanprof::symbolize {

CuRanges CuRanges::of(Dwarf* dwarf) {
  CuRanges index;
  if (dwarf == nullptr) return index;
  Dwarf_CU* cu = nullptr;
  Dwarf_Half version = 0;
  uint8_t unit_type = 0;
  Dwarf_Die cudie;
  while (dwarf_get_units(dwarf, cu, &cu, &version, &unit_type, &cudie, nullptr) == 0) {
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial &&
        unit_type != DW_UT_skeleton) {
      continue;
    }
    Dwarf_Addr base = 0, start = 0, end = 0;
    ptrdiff_t offset = 0;
    while ((offset = dwarf_ranges(&cudie, offset, &base, &start, &end)) > 0) {
      if (start < end) index.ranges_.push_back({start, end, cudie});
    }
  }
  std::sort(index.ranges_.begin(), index.ranges_.end(),
            [](const Range& a, const Range& b) { return a.low < b.low; });
  return index;
}

std::optional<Dwarf_Die> CuRanges::find(Dwarf_Addr pc) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), pc,
                             [](Dwarf_Addr a, const Range& r) { return a < r.low; });
  if (it == ranges_.begin()) return std::nullopt;
  --it;
  if (pc >= it->high) return std::nullopt;
  return it->cu;
}

}  // namespace spanprof::symbolize
