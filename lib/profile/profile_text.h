// A stable, human-readable rendering of a pprof profile, for golden files.
//
// Header (sample types, period type, period, totals), then one block per
// distinct (labels, stack), sorted by that text. Stacks are leaf first, one
// line per frame: `function file:line`, `  [inline] ...` for frames inlined
// into the line below them. Symbolized frames omit addresses and source
// directories, which vary between builds; unsymbolized frames print
// `0x<offset in file> <mapping basename>`. Blocks with the same text are merged
// by summing values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::profile {

// Rendered text is bounded: a profile whose samples would render to more
// (repeating a deep location, say) is refused rather than rendered.
inline constexpr size_t kMaxProfileTextBytes = size_t{64} << 20;

// bytes: a serialized profile.proto, gzipped or not. Fails on a profile that
// does not parse, names unknown locations, would render over
// kMaxProfileTextBytes, or whose summed sample values overflow int64.
Result<std::string> profile_to_text(std::string_view bytes);

}  // namespace spanprof::profile
