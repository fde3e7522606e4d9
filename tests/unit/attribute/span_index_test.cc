// The interval index and span tree on hand-made span sets.
#include <gtest/gtest.h>

#include "attribute/span_index.h"
#include "attribute/span_tree.h"
#include "span_set_builder.h"
#include "spans/span_set.h"

namespace spanprof::attribute {
namespace {

using fixtures::SpanSetBuilder;

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

TEST(SpanIndex, NestedSpansGetTheDeepestAndCountNothing) {
  SpanSetBuilder b;
  b.add(1, 0, 100, 1000);
  b.add(2, 1, 200, 800);
  uint32_t grandchild = b.add(3, 2, 300, 400);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  SpanMatch match = index.lookup(100, 7, 350, 5);
  EXPECT_EQ(match.innermost, grandchild);
  EXPECT_EQ(match.choice, SpanChoice::kDeepest);
  EXPECT_FALSE(match.ambiguous());
  EXPECT_EQ(index.lookup(100, 7, 50).choice, SpanChoice::kNone);
  EXPECT_EQ(index.stats().samples_by_common_ancestor, 0u);
  EXPECT_EQ(index.stats().samples_unlabelled_not_nested, 0u);
}

TEST(SpanIndex, InterleavedTracesLeaveTheSampleUnlabelledAndCountIt) {
  SpanSetBuilder b;
  uint32_t first = b.add_in_trace(1, 1, 0, 100, 500);
  uint32_t first_child = b.add_in_trace(1, 2, 1, 150, 450);
  uint32_t second = b.add_in_trace(2, 3, 0, 300, 800);  // another request, same event loop
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 200).innermost, first_child);
  for (int64_t t : {300, 350, 449}) {
    SpanMatch match = index.lookup(100, 7, t, 10);
    EXPECT_TRUE(match.ambiguous());
    EXPECT_EQ(match.innermost, kNoSpan);
    EXPECT_EQ(match.root, kNoSpan);
  }
  EXPECT_TRUE(index.lookup(100, 7, 450, 1).ambiguous());  // child over, its root still open
  SpanMatch after = index.lookup(100, 7, 600);
  EXPECT_EQ(after.innermost, second);
  EXPECT_EQ(after.choice, SpanChoice::kDeepest);
  EXPECT_EQ(index.stats().samples_unlabelled_not_nested, 4u);
  EXPECT_EQ(index.stats().weight_unlabelled_not_nested, 31);
  EXPECT_EQ(index.stats().samples_by_common_ancestor, 0u);
  EXPECT_EQ(index.stats().ambiguous_spans, 1u);
  EXPECT_EQ(tree.local_root(first_child), first);
}

TEST(SpanIndex, ASpanOfAnotherTraceIsNeverACommonAncestor) {
  // Trace 2's span names span id 1 as its parent: that is trace 1's root, not
  // its own parent (ids are only unique within a trace).
  SpanSetBuilder b;
  b.add_in_trace(1, 1, 0, 0, 1000, /*tid=*/8);
  b.add_in_trace(1, 2, 1, 100, 500);
  uint32_t other_trace = b.add_in_trace(2, 3, 1, 300, 800);
  SpanTree tree(b.set());
  EXPECT_EQ(tree.parent(other_trace), kNoSpan);
  SpanIndex index(b.set(), tree);
  EXPECT_TRUE(index.lookup(100, 7, 400).ambiguous());
}

TEST(SpanIndex, OverlappingChildrenOfOneRootGetTheRoot) {
  SpanSetBuilder b;
  uint32_t root = b.add(1, 0, 0, 1000);
  uint32_t a = b.add(2, 1, 100, 500);
  uint32_t c = b.add(3, 1, 300, 800);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 200).innermost, a);
  SpanMatch both = index.lookup(100, 7, 400, 7);
  EXPECT_EQ(both.innermost, root);
  EXPECT_EQ(both.root, root);
  EXPECT_EQ(both.choice, SpanChoice::kCommonAncestor);
  EXPECT_EQ(index.lookup(100, 7, 499, 3).innermost, root);
  EXPECT_EQ(index.lookup(100, 7, 500).innermost, c);
  EXPECT_EQ(index.stats().samples_by_common_ancestor, 2u);
  EXPECT_EQ(index.stats().weight_by_common_ancestor, 10);
  EXPECT_EQ(index.stats().samples_unlabelled_not_nested, 0u);
}

TEST(SpanIndex, ThreeOpenSpansGetTheDeepestContainingAll) {
  // root
  //   a [100, 900)
  //     a1 [200, 600)   a2 [250, 350)   a3 [300, 700)
  //   b [400, 500)
  SpanSetBuilder b;
  uint32_t root = b.add(1, 0, 0, 1000);
  uint32_t a = b.add(2, 1, 100, 900);
  uint32_t a1 = b.add(3, 2, 200, 600);
  b.add(4, 2, 250, 350);
  b.add(5, 2, 300, 700);
  b.add(6, 1, 400, 500);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 220).innermost, a1);
  EXPECT_EQ(index.lookup(100, 7, 320).innermost, a);     // a1, a2, a3: their parent
  EXPECT_EQ(index.lookup(100, 7, 450).innermost, root);  // a1, a3 and b
  EXPECT_EQ(index.lookup(100, 7, 550).innermost, a);     // b over: a1 and a3
  EXPECT_EQ(index.lookup(100, 7, 650).choice, SpanChoice::kDeepest);
  EXPECT_EQ(index.stats().samples_by_common_ancestor, 3u);
}

TEST(SpanIndex, TheCommonAncestorMayLiveOffTheThread) {
  // The root runs on another thread, or has no thread at all: the sample is
  // still inside it, whichever of its children was running.
  for (std::optional<uint32_t> root_tid : {std::optional<uint32_t>(8), std::optional<uint32_t>()}) {
    SpanSetBuilder b;
    uint32_t root = b.add(1, 0, 0, 1000, root_tid);
    b.add(2, 1, 100, 500);
    b.add(3, 1, 300, 800);
    SpanTree tree(b.set());
    SpanIndex index(b.set(), tree);
    SpanMatch match = index.lookup(100, 7, 400);
    EXPECT_EQ(match.innermost, root);
    EXPECT_EQ(match.choice, SpanChoice::kCommonAncestor);
  }
}

TEST(SpanIndex, TimeGoingBackwardsJudgesTheOpenSpansAgain) {
  SpanSetBuilder b;
  uint32_t first = b.add_in_trace(1, 1, 0, 100, 500);
  uint32_t second = b.add_in_trace(2, 2, 0, 300, 800);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 600).innermost, second);
  EXPECT_TRUE(index.lookup(100, 7, 400).ambiguous());
  EXPECT_EQ(index.lookup(100, 7, 200).innermost, first);
  EXPECT_TRUE(index.lookup(100, 7, 400).ambiguous());
  EXPECT_EQ(index.lookup(100, 7, 700).innermost, second);
  EXPECT_EQ(index.stats().samples_unlabelled_not_nested, 2u);
}

TEST(SpanIndex, SpansWithAndWithoutAPidOpenTogetherAreAmbiguous) {
  SpanSetBuilder b;
  uint32_t with_pid = b.add(1, 0, 0, 500);
  b.use_resource_without_pid();
  uint32_t without_pid = b.add(2, 0, 300, 800);
  SpanTree tree(b.set());
  SpanIndex index(b.set(), tree);
  EXPECT_EQ(index.lookup(100, 7, 100).innermost, with_pid);
  EXPECT_TRUE(index.lookup(100, 7, 400).ambiguous());
  EXPECT_EQ(index.lookup(100, 7, 600).innermost, without_pid);
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

}  // namespace
}  // namespace spanprof::attribute
