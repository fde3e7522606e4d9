// The millisecond-clock repair on hand-made span sets.
#include <gtest/gtest.h>

#include "attribute/coarse_clock_repair.h"
#include "attribute/span_index.h"
#include "attribute/span_tree.h"
#include "span_set_builder.h"
#include "spans/span_set.h"

namespace spanprof::attribute {
namespace {

using fixtures::SpanSetBuilder;

// Checks what the repair promises: durations kept, each coarse span moved by
// less than a millisecond, siblings in order, children inside their parents.
void expect_consistent(const spans::SpanSet& before, const spans::SpanSet& after,
                       const SpanTree& tree) {
  constexpr int64_t ms = 1'000'000;
  for (size_t i = 0; i < after.spans.size(); ++i) {
    const spans::Span& was = before.spans[i];
    const spans::Span& is = after.spans[i];
    // Kept, or (a concurrent span, not moved) held open for the clock's error.
    int64_t grown = (is.end_unix_ns - is.start_unix_ns) - (was.end_unix_ns - was.start_unix_ns);
    EXPECT_TRUE(grown == 0 || (grown == ms - 1 && is.start_unix_ns == was.start_unix_ns))
        << "span " << i << " grew by " << grown;
    EXPECT_GE(is.start_unix_ns, was.start_unix_ns);
    EXPECT_LT(is.start_unix_ns - was.start_unix_ns, ms);
    uint32_t parent = tree.parent(static_cast<uint32_t>(i));
    if (parent != kNoSpan) {
      EXPECT_GE(is.start_unix_ns, after.spans[parent].start_unix_ns) << "span " << i;
      EXPECT_LE(is.end_unix_ns, after.spans[parent].end_unix_ns) << "span " << i;
    }
  }
}

TEST(CoarseClockRepair, MovesAMillisecondStartPastItsPreviousSibling) {
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  b.add(1, 0, 10 * ms, 20 * ms);
  uint32_t first = b.add(2, 1, 11 * ms, 11 * ms + 600'000);
  // Really started after the first ended; recorded as 11 ms, overlapping it.
  uint32_t second = b.add(3, 1, 11 * ms, 11 * ms + 300'000);
  spans::SpanSet before = b.set();
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(stats.coarse_spans, 3u);
  EXPECT_GE(stats.moved_spans, 1u);
  const auto& spans = b.set().spans;
  EXPECT_GE(spans[second].start_unix_ns, spans[first].end_unix_ns);
  expect_consistent(before, b.set(), tree);
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.stats().ambiguous_spans, 0u);
}

TEST(CoarseClockRepair, AnUnconstrainedSpanMovesToTheMiddleOfItsMillisecond) {
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  uint32_t alone = b.add(1, 0, 10 * ms, 12 * ms);
  SpanTree tree(b.set());
  repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(b.set().spans[alone].start_unix_ns, 10 * ms + (ms - 1) / 2);
}

TEST(CoarseClockRepair, ASiblingChainIsBoundedFromBothSides) {
  // Three back-to-back spans of 400 us recorded at 0, 0 and 1 ms: the first
  // must end before the third starts (< 2 ms), the second after the first.
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  uint32_t a = b.add(1, 0, 0 * ms + 0, 400'000);
  uint32_t c = b.add(2, 0, 0 * ms, 400'000);
  uint32_t d = b.add(3, 0, 1 * ms, 1 * ms + 400'000);
  spans::SpanSet before = b.set();
  SpanTree tree(b.set());
  repair_coarse_clocks(b.set(), tree);
  const auto& spans = b.set().spans;
  EXPECT_GE(spans[c].start_unix_ns, spans[a].end_unix_ns);
  EXPECT_GE(spans[d].start_unix_ns, spans[c].end_unix_ns);
  expect_consistent(before, b.set(), tree);
}

TEST(CoarseClockRepair, NeverMovesMoreThanAMillisecondNorOutOfTheParent) {
  constexpr int64_t ms = 1'000'000;
  SpanSetBuilder tight;
  tight.add(1, 0, 0, 5 * ms + 100);
  uint32_t first = tight.add(2, 1, 4 * ms, 4 * ms + 800'000);
  uint32_t last = tight.add(3, 1, 4 * ms, 5 * ms);  // the parent has to move for it
  spans::SpanSet before = tight.set();
  SpanTree tight_tree(tight.set());
  repair_coarse_clocks(tight.set(), tight_tree);
  EXPECT_GE(tight.set().spans[last].start_unix_ns, tight.set().spans[first].end_unix_ns);
  expect_consistent(before, tight.set(), tight_tree);
}

TEST(CoarseClockRepair, SiblingsOpenTogetherFarLongerThanTheClockErrorStay) {
  // The sibling overlaps by 7 ms: no late millisecond stamp explains that, the
  // two ran interleaved (an event loop). Ordering them would push `late` to
  // the end of its millisecond.
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  b.add(1, 0, 0, 30 * ms);
  uint32_t sibling = b.add(2, 1, 1 * ms, 9 * ms);
  uint32_t late = b.add(3, 1, 2 * ms, 3 * ms);
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(b.set().spans[late].start_unix_ns, 2 * ms);
  EXPECT_EQ(b.set().spans[sibling].start_unix_ns, 1 * ms);
  EXPECT_EQ(stats.concurrent_spans, 2u);
  EXPECT_EQ(stats.moved_spans, 1u);  // the parent, within its own millisecond
}

TEST(CoarseClockRepair, InterleavedRequestsStayAndTheirSequentialChildrenAreRepaired) {
  // An event loop: request one [10, 30) ms and request two [12, 40) ms are
  // open together. Inside request one, two ms-stamped children ran one after
  // the other before request two began: the second is recorded overlapping
  // the first by 0.6 ms and must still be moved past it.
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  uint32_t one = b.add_in_trace(1, 1, 0, 10 * ms, 30 * ms);
  uint32_t first = b.add_in_trace(1, 2, 1, 11 * ms, 11 * ms + 600'000);
  uint32_t second = b.add_in_trace(1, 3, 1, 11 * ms, 11 * ms + 300'000);
  uint32_t two = b.add_in_trace(2, 4, 0, 12 * ms, 40 * ms);
  uint32_t two_child = b.add_in_trace(2, 5, 4, 13 * ms, 20 * ms);  // request one still open
  spans::SpanSet before = b.set();
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  const auto& spans = b.set().spans;
  for (uint32_t concurrent : {one, two, two_child}) {
    EXPECT_EQ(spans[concurrent].start_unix_ns, before.spans[concurrent].start_unix_ns);
    // Its true end may be up to the clock's error later: held open that long.
    EXPECT_EQ(spans[concurrent].end_unix_ns, before.spans[concurrent].end_unix_ns + 1'000'000 - 1);
  }
  EXPECT_EQ(stats.concurrent_spans, 3u);
  EXPECT_GE(spans[second].start_unix_ns, spans[first].end_unix_ns);
  EXPECT_GE(stats.moved_spans, 1u);
  expect_consistent(before, b.set(), tree);
}

TEST(CoarseClockRepair, AChildOutlivingItsParentDoesNotDragTheParent) {
  // Async: the parent returned at 12 ms, its child ran on until 20 ms. No
  // stamping error puts the child inside the parent, so neither is bounded by
  // that: each moves to the middle of its own millisecond.
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  uint32_t parent = b.add(1, 0, 10 * ms, 12 * ms);
  uint32_t child = b.add(2, 1, 11 * ms, 20 * ms);
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(b.set().spans[parent].start_unix_ns, 10 * ms + (ms - 1) / 2);
  EXPECT_EQ(b.set().spans[child].start_unix_ns, 11 * ms + (ms - 1) / 2);
  EXPECT_EQ(stats.concurrent_spans, 0u);
}

TEST(CoarseClockRepair, AnOverlapJustWithinTheClockErrorIsStillRepaired) {
  // Recorded at 5 ms, really started just before 6 ms, right after the 0.999 ms
  // overlap the stamp made: sequential, not concurrent.
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  uint32_t first = b.add(1, 0, 4 * ms, 6 * ms - 1);
  uint32_t second = b.add(2, 0, 5 * ms, 7 * ms);
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(stats.concurrent_spans, 0u);
  EXPECT_GE(b.set().spans[second].start_unix_ns, b.set().spans[first].end_unix_ns);

  SpanSetBuilder over;
  over.add(1, 0, 4 * ms, 6 * ms);  // 1 ms of overlap: more than a late stamp explains
  uint32_t stays = over.add(2, 0, 5 * ms, 7 * ms);
  SpanTree over_tree(over.set());
  EXPECT_EQ(repair_coarse_clocks(over.set(), over_tree).concurrent_spans, 2u);
  EXPECT_EQ(over.set().spans[stays].start_unix_ns, 5 * ms);
}

TEST(CoarseClockRepair, AFewWholeMillisecondStartsInAPreciseServiceStay) {
  SpanSetBuilder b;
  for (uint64_t i = 0; i < 20; ++i) {
    int64_t start = static_cast<int64_t>(i) * 10'000'000 + 12'345;
    b.add(i + 1, 0, start, start + 1'000'000);
  }
  uint32_t round = b.add(100, 0, 500'000'000, 501'000'000);  // by chance on a whole ms
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(stats.coarse_spans, 0u);
  EXPECT_EQ(b.set().spans[round].start_unix_ns, 500'000'000);
}

TEST(CoarseClockRepair, PreciseSpansAreLeftAlone) {
  SpanSetBuilder b;
  b.add(1, 0, 1'000'001, 2'000'000);
  b.add(2, 0, 1'500'003, 2'500'000);
  SpanTree tree(b.set());
  CoarseClockStats stats = repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(stats.coarse_spans, 0u);
  EXPECT_EQ(stats.moved_spans, 0u);
}

}  // namespace
}  // namespace spanprof::attribute
