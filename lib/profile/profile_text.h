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

#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::profile {

// bytes: a serialized profile.proto, gzipped or not.
Result<std::string> profile_to_text(std::string_view bytes);

}  // namespace spanprof::profile
