// The interval index and span tree on hand-made span sets.
#include <gtest/gtest.h>

#include "attribute/coarse_clock_repair.h"
#include "attribute/span_index.h"
#include "attribute/span_tree.h"
#include "spans/span_set.h"

namespace spanprof::attribute {
namespace {

class SpanSetBuilder {
 public:
  SpanSetBuilder() { resource_ = set_.intern_resource({"svc", 100}); }

  // Adds a span on tid with the given times; returns its index.
  uint32_t add(uint64_t id, uint64_t parent, int64_t start, int64_t end, uint32_t tid = 7,
               const char* name = "work") {
    spans::Span span;
    span.trace_id[0] = 1;
    span.span_id = id;
    span.parent_span_id = parent;
    span.start_unix_ns = start;
    span.end_unix_ns = end;
    span.os_tid = tid;
    span.resource_index = resource_;
    span.name_index = set_.intern_name(name);
    set_.spans.push_back(span);
    return static_cast<uint32_t>(set_.spans.size() - 1);
  }

  spans::SpanSet& set() { return set_; }

 private:
  spans::SpanSet set_;
  uint32_t resource_ = 0;
};

TEST(SpanTree, DepthRootsAndRemoteParents) {
  SpanSetBuilder b;
  uint32_t root = b.add(1, 0, 0, 100);
  uint32_t child = b.add(2, 1, 10, 50);
  uint32_t grandchild = b.add(3, 2, 20, 30);
  uint32_t orphan = b.add(4, 99, 60, 70);  // parent not in the set: a local root
  SpanTree tree(b.set());
  EXPECT_EQ(tree.depth(root), 0u);
  EXPECT_EQ(tree.depth(grandchild), 2u);
  EXPECT_EQ(tree.local_root(grandchild), root);
  EXPECT_EQ(tree.local_root(orphan), orphan);
  EXPECT_EQ(tree.parent(child), root);
  EXPECT_EQ(tree.stats().local_roots, 2u);
  EXPECT_TRUE(tree.is_ancestor_or_self(root, grandchild));
  EXPECT_FALSE(tree.is_ancestor_or_self(orphan, grandchild));
}

TEST(SpanTree, CyclesAreCutAndDuplicatesDropped) {
  SpanSetBuilder b;
  uint32_t a = b.add(1, 3, 0, 10);
  uint32_t c = b.add(2, 1, 0, 10);
  b.add(3, 2, 0, 10);
  uint32_t duplicate = b.add(1, 0, 0, 10);
  SpanTree tree(b.set());
  EXPECT_EQ(tree.stats().parent_cycles, 1u);
  EXPECT_EQ(tree.stats().duplicate_span_ids, 1u);
  EXPECT_TRUE(tree.is_dropped(duplicate));
  // Every span reaches a root: no infinite walk.
  EXPECT_NE(tree.local_root(a), kNoSpan);
  EXPECT_NE(tree.local_root(c), kNoSpan);
}

TEST(SpanTree, ASpanNamingItselfAsParentIsACycle) {
  SpanSetBuilder b;
  uint32_t self = b.add(7, 7, 0, 10);
  SpanTree tree(b.set());
  EXPECT_EQ(tree.stats().parent_cycles, 1u);
  EXPECT_EQ(tree.parent(self), kNoSpan);
  EXPECT_EQ(tree.local_root(self), self);
}

TEST(SpanIndex, InnermostOfNestedSpansAndTheirRoot) {
  SpanSetBuilder b;
  uint32_t root = b.add(1, 0, 100, 1000);
  uint32_t child = b.add(2, 1, 200, 500);
  uint32_t grandchild = b.add(3, 2, 300, 400);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 50).innermost, kNoSpan);    // before any span
  EXPECT_EQ(index.lookup(100, 7, 100).innermost, root);      // start is inclusive
  EXPECT_EQ(index.lookup(100, 7, 250).innermost, child);
  SpanMatch deep = index.lookup(100, 7, 350);
  EXPECT_EQ(deep.innermost, grandchild);
  EXPECT_EQ(deep.root, root);
  EXPECT_EQ(index.lookup(100, 7, 400).innermost, child);     // end is exclusive
  EXPECT_EQ(index.lookup(100, 7, 999).innermost, root);
  EXPECT_EQ(index.lookup(100, 7, 1000).innermost, kNoSpan);
  EXPECT_EQ(index.stats().ambiguous_spans, 0u);
}

TEST(SpanIndex, EqualStartsPreferTheDescendant) {
  SpanSetBuilder b;
  b.add(1, 0, 100, 1000);
  uint32_t child = b.add(2, 1, 100, 300);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 100).innermost, child);
}

TEST(SpanIndex, OverlapWithoutNestingIsAmbiguousAndLatestStartWins) {
  SpanSetBuilder b;
  uint32_t first = b.add(1, 0, 100, 500);
  uint32_t second = b.add(2, 0, 300, 800);  // not a child of the first: async interleaving
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 200).innermost, first);
  EXPECT_EQ(index.lookup(100, 7, 400).innermost, second);
  EXPECT_EQ(index.lookup(100, 7, 600).innermost, second);
  EXPECT_EQ(index.stats().ambiguous_spans, 1u);
}

TEST(SpanIndex, SpansCrossingThreadsStayOnTheirOwnThread) {
  SpanSetBuilder b;
  uint32_t parent = b.add(1, 0, 0, 1000, /*tid=*/7);
  uint32_t remote_child = b.add(2, 1, 100, 200, /*tid=*/8);  // child on another thread
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 150).innermost, parent);
  SpanMatch on_other = index.lookup(100, 8, 150);
  EXPECT_EQ(on_other.innermost, remote_child);
  EXPECT_EQ(on_other.root, parent);  // the local root is found across threads
  EXPECT_EQ(index.lookup(100, 9, 150).innermost, kNoSpan);
}

TEST(SpanIndex, ClippingAtCaptureEdges) {
  // Spans that started before the first sample or end after the last one still
  // cover the samples inside them.
  SpanSetBuilder b;
  uint32_t long_span = b.add(1, 0, -1'000'000, 5'000'000);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 0).innermost, long_span);
  EXPECT_EQ(index.lookup(100, 7, 4'999'999).innermost, long_span);
  EXPECT_EQ(index.lookup(100, 7, 5'000'000).innermost, kNoSpan);
}

TEST(SpanIndex, ProcessMustMatchWhenTheResourceHasAPid) {
  SpanSetBuilder b;
  b.add(1, 0, 0, 100);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(/*pid=*/101, 7, 50).innermost, kNoSpan);
  EXPECT_NE(index.lookup(/*pid=*/100, 7, 50).innermost, kNoSpan);
}

TEST(SpanIndex, TimeGoingBackwardsRestartsTheSweep) {
  SpanSetBuilder b;
  uint32_t a = b.add(1, 0, 0, 100);
  uint32_t later = b.add(2, 0, 200, 300);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 250).innermost, later);
  EXPECT_EQ(index.lookup(100, 7, 50).innermost, a);
}

TEST(SpanIndex, RuntimeThreadIdNeedsAProcess) {
  spans::SpanSet set;
  uint32_t with_pid = set.intern_resource({"jvm", 100});
  uint32_t without_pid = set.intern_resource({"other", std::nullopt});
  spans::Span span;
  span.span_id = 1;
  span.start_unix_ns = 0;
  span.end_unix_ns = 100;
  span.runtime_thread_id = 42;
  span.resource_index = with_pid;
  set.spans.push_back(span);
  span.span_id = 2;
  span.resource_index = without_pid;
  set.spans.push_back(span);
  SpanTree tree(set);
  SpanIndex index(set, tree);
  EXPECT_EQ(index.stats().spans_by_runtime_thread_id, 1u);
  EXPECT_EQ(index.stats().spans_without_thread, 1u);
  EXPECT_EQ(index.lookup(100, 42, 50).innermost, 0u);
}

// Checks what the repair promises: durations kept, each coarse span moved by
// less than a millisecond, siblings in order, children inside their parents.
void expect_consistent(const spans::SpanSet& before, const spans::SpanSet& after,
                       const SpanTree& tree) {
  constexpr int64_t ms = 1'000'000;
  for (size_t i = 0; i < after.spans.size(); ++i) {
    const spans::Span& was = before.spans[i];
    const spans::Span& is = after.spans[i];
    EXPECT_EQ(is.end_unix_ns - is.start_unix_ns, was.end_unix_ns - was.start_unix_ns);
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
  SpanSetBuilder b;
  constexpr int64_t ms = 1'000'000;
  b.add(1, 0, 0, 30 * ms);
  b.add(2, 1, 1 * ms, 9 * ms);  // a long previous sibling: the constraint cannot be met
  uint32_t late = b.add(3, 1, 2 * ms, 3 * ms);
  SpanTree tree(b.set());
  repair_coarse_clocks(b.set(), tree);
  EXPECT_EQ(b.set().spans[late].start_unix_ns, 3 * ms - 1);

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
