// Repair of span times stamped with a millisecond clock.
//
// Some SDKs take a span's start from a millisecond clock (the Node SDK:
// start = Date.now(), end = start + a precise duration), so a recorded span can
// sit up to 1 ms before the instant it really began and overlap the sibling that
// ran before it. For a resource whose spans start on whole milliseconds, each
// such span's true start lies in [recorded, recorded + 1 ms), and the spans on a
// thread constrain each other: a span starts after its previous sibling ended,
// and lies inside its parent. The bounds are tightened along those constraints
// in both directions, and each span is placed in the middle of what is left.
// Spans that overlap a non-ancestor by more than the clock error were open
// together (an event loop interleaving requests), not mis-stamped: they keep
// their recorded times and are not ordered after their siblings.
#pragma once

#include <cstdint>

#include "attribute/span_tree.h"
#include "spans/span_set.h"

namespace spanprof::attribute {

struct CoarseClockStats {
  uint64_t coarse_spans = 0;  // spans whose start is a whole millisecond
  uint64_t moved_spans = 0;   // of those, moved later
  // Of the coarse spans, those left where they are because they overlap a
  // span on their thread that is neither ancestor nor descendant by more than
  // the clock error: concurrent (async), not mis-stamped.
  uint64_t concurrent_spans = 0;
};

// Adjusts start/end of coarse spans in place. Spans are grouped by thread (and
// process) the way the attribution index groups them.
CoarseClockStats repair_coarse_clocks(spans::SpanSet& set, const SpanTree& tree);

}  // namespace spanprof::attribute
