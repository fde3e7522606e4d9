// The join's one-line warnings for spans that cannot meet samples: what the
// match diagnosis (attribute/match_diagnosis.h) found, each with its way out.
#pragma once

#include <vector>

#include "attribute/match_diagnosis.h"
#include "common/warning.h"

namespace spanprof::join {

// One kSpanMatch warning per unmatched span process (naming its pid) and one
// for disjoint time ranges; none when every span process met a sampled thread
// within the samples' time.
void add_span_match_warnings(const attribute::MatchDiagnosis& diagnosis,
                             std::vector<Warning>& warnings);

}  // namespace spanprof::join
