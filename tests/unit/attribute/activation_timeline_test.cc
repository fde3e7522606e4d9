// ActivationTimeline: per-thread lookups of the current span from activation
// records, the way to Unix time, ids no span file holds, and records whose
// times no clock reads.
#include "attribute/activation_timeline.h"

#include <gtest/gtest.h>

#include "span_set_builder.h"

namespace spanprof::attribute {
namespace {

using State = ActivationTimeline::State;
constexpr uint32_t kPid = 100;
constexpr int64_t kDelta = 1'000'000;  // Unix minus CLOCK_MONOTONIC in these tests

activations::ActivationRecord record(uint64_t time_ns, uint32_t tid, uint8_t trace,
                                     uint64_t span_id, uint32_t pid = kPid) {
  activations::ActivationRecord r;
  r.time_ns = time_ns;
  r.pid = pid;
  r.tid = tid;
  r.trace_id[0] = trace;
  r.span_id = span_id;
  return r;
}

activations::ThreadActivations thread(uint32_t tid, std::vector<activations::ActivationRecord> records,
                                      std::optional<int64_t> pair = std::nullopt,
                                      uint32_t pid = kPid) {
  activations::ThreadActivations out;
  out.pid = pid;
  out.tid = tid;
  out.records = std::move(records);
  out.realtime_minus_monotonic_ns = pair;
  return out;
}

// Two requests open together on thread 7 (an event loop), each with a child.
struct EventLoop {
  fixtures::SpanSetBuilder builder;
  uint32_t a, a_child, b, b_child;
  EventLoop() {
    a = builder.add(0xa, 0, 0, 10'000'000, 7, "GET /a");
    a_child = builder.add(0xa1, 0xa, 0, 10'000'000, 7, "a work");
    b = builder.add(0xb, 0, 0, 10'000'000, 7, "GET /b");
    b_child = builder.add(0xb1, 0xb, 0, 10'000'000, 7, "b work");
  }
};

struct Fixture {
  EventLoop loop;
  SpanTree tree{loop.builder.set()};
  activations::ActivationSet set;

  ActivationTimeline timeline(std::optional<int64_t> delta = kDelta) {
    return ActivationTimeline(set, loop.builder.set(), tree, delta);
  }
};

TEST(ActivationTimeline, GivesTheSpanCurrentAtEachInstant) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa1), record(200, 7, 1, 0xb1),
                                     record(300, 7, 0, 0), record(400, 7, 1, 0xa)}));
  ActivationTimeline timeline = f.timeline();
  auto at = [&](int64_t monotonic) { return timeline.lookup(kPid, 7, monotonic + kDelta); };

  EXPECT_EQ(at(99).state, State::kBeforeFirst);
  EXPECT_EQ(at(100).state, State::kSpan);  // a switch takes effect at its own time
  EXPECT_EQ(at(100).span, f.loop.a_child);
  EXPECT_EQ(at(199).span, f.loop.a_child);
  EXPECT_EQ(at(200).span, f.loop.b_child);
  EXPECT_EQ(at(300).state, State::kNoSpan);
  EXPECT_EQ(at(300).span, kNoSpan);
  EXPECT_EQ(at(400).span, f.loop.a);
  EXPECT_EQ(at(1'000'000'000).span, f.loop.a);  // the last switch holds on
}

TEST(ActivationTimeline, ThreadsWithoutRecordsAreLeftToSpanTimes) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa)}));
  ActivationTimeline timeline = f.timeline();
  EXPECT_EQ(timeline.lookup(kPid, 8, 150 + kDelta).state, State::kNoActivations);
  // The same tid in another process is another thread.
  EXPECT_EQ(timeline.lookup(kPid + 1, 7, 150 + kDelta).state, State::kNoActivations);
  EXPECT_EQ(timeline.lookup(kPid, 7, 150 + kDelta).state, State::kSpan);
  EXPECT_EQ(timeline.stats().threads, 1u);
}

TEST(ActivationTimeline, AStepBackInTimeIsAnsweredToo) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa), record(200, 7, 1, 0xb),
                                     record(300, 7, 1, 0xa1)}));
  ActivationTimeline timeline = f.timeline();
  EXPECT_EQ(timeline.lookup(kPid, 7, 350 + kDelta).span, f.loop.a_child);
  EXPECT_EQ(timeline.lookup(kPid, 7, 150 + kDelta).span, f.loop.a);
  EXPECT_EQ(timeline.lookup(kPid, 7, 50 + kDelta).state, State::kBeforeFirst);
  EXPECT_EQ(timeline.lookup(kPid, 7, 250 + kDelta).span, f.loop.b);
  EXPECT_EQ(timeline.lookup(kPid, 7, 200 + kDelta).span, f.loop.b);
  EXPECT_EQ(timeline.lookup(kPid, 7, 199 + kDelta).span, f.loop.a);
}

TEST(ActivationTimeline, IdsNoSpanFileHoldsAreUnknownAndCounted) {
  Fixture f;
  // 0xdead is in no span file; 0xa in trace 2 is not trace 1's 0xa.
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xdead), record(200, 7, 1, 0xa),
                                     record(300, 7, 2, 0xa), record(400, 7, 1, 0xdead),
                                     record(500, 7, 1, 0xa)}));
  ActivationTimeline timeline = f.timeline();
  EXPECT_EQ(timeline.lookup(kPid, 7, 150 + kDelta).state, State::kUnknownSpan);
  EXPECT_EQ(timeline.lookup(kPid, 7, 150 + kDelta).span, kNoSpan);
  EXPECT_EQ(timeline.lookup(kPid, 7, 250 + kDelta).span, f.loop.a);
  EXPECT_EQ(timeline.lookup(kPid, 7, 350 + kDelta).state, State::kUnknownSpan);
  EXPECT_EQ(timeline.stats().spans_activated, 1u);
  EXPECT_EQ(timeline.stats().unknown_spans, 2u);         // distinct ids
  EXPECT_EQ(timeline.stats().records_unknown_span, 3u);  // records
  EXPECT_TRUE(timeline.is_activated(f.loop.a));
  EXPECT_FALSE(timeline.is_activated(f.loop.b));
}

TEST(ActivationTimeline, ADuplicateSpanIdActivatesTheSpanTheTreeKeeps) {
  Fixture f;
  uint32_t duplicate = f.loop.builder.add(0xa, 0, 0, 10, 7, "GET /a again");
  SpanTree tree(f.loop.builder.set());
  ASSERT_TRUE(tree.is_dropped(duplicate));
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa)}));
  ActivationTimeline timeline(f.set, f.loop.builder.set(), tree, kDelta);
  EXPECT_EQ(timeline.lookup(kPid, 7, 100 + kDelta).span, f.loop.a);
  EXPECT_FALSE(timeline.is_activated(duplicate));
  EXPECT_EQ(timeline.stats().spans_activated, 1u);
}

TEST(ActivationTimeline, TheFilesClockPairServesWhenSamplesAreNotOnMonotonic) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa)}, /*pair=*/5'000));
  f.set.threads.push_back(thread(8, {record(100, 8, 1, 0xb)}, std::nullopt));
  // Samples on CLOCK_MONOTONIC: their delta goes for every thread.
  {
    ActivationTimeline timeline = f.timeline(kDelta);
    EXPECT_EQ(timeline.lookup(kPid, 7, 100 + kDelta).span, f.loop.a);
    EXPECT_EQ(timeline.lookup(kPid, 8, 100 + kDelta).span, f.loop.b);
    EXPECT_EQ(timeline.stats().threads_without_clock, 0u);
  }
  // Otherwise each file's own pair; a thread without one is left out.
  ActivationTimeline timeline = f.timeline(std::nullopt);
  EXPECT_EQ(timeline.lookup(kPid, 7, 100 + 4'999).state, State::kBeforeFirst);
  EXPECT_EQ(timeline.lookup(kPid, 7, 100 + 5'000).span, f.loop.a);
  EXPECT_EQ(timeline.lookup(kPid, 8, 100 + kDelta).state, State::kNoActivations);
  EXPECT_EQ(timeline.stats().threads_without_clock, 1u);
  EXPECT_EQ(timeline.stats().threads, 1u);
}

TEST(ActivationTimeline, RecordsOutsideTheCaptureAreCountedWithTheMargin) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa), record(1'000, 7, 1, 0xb),
                                     record(2'000, 7, 0, 0), record(2'101, 7, 1, 0xa)}));
  ActivationTimeline timeline = f.timeline();
  // The samples span 1'000..2'000; margin 100: 100 and 2'101 lie outside.
  EXPECT_EQ(timeline.records_outside(1'000 + kDelta, 2'000 + kDelta, 100), 2u);
  EXPECT_EQ(timeline.records_outside(1'000 + kDelta, 2'000 + kDelta, 1'000), 0u);
}

// A record at a time no clock reads (garbage: 2^63 ns and more, 292 years
// after boot) must not wrap around into the capture's time: it lies after
// every sample, and the switch before it still holds.
TEST(ActivationTimeline, ARecordBeyondAnyClockStaysInTheFuture) {
  Fixture f;
  f.set.threads.push_back(thread(7, {record(100, 7, 1, 0xa), record(200, 7, 0, 0),
                                     record(0x8000000000000005u, 7, 1, 0xb),
                                     record(0xffffffffffffffffu, 7, 1, 0xa1)}));
  const int64_t unix_delta = 1'700'000'000'000'000'000;  // a real Unix-minus-monotonic
  ActivationTimeline timeline = f.timeline(unix_delta);
  ActivationTimeline::Hit hit = timeline.lookup(kPid, 7, 300 + unix_delta);
  EXPECT_EQ(hit.state, State::kNoSpan);
  EXPECT_EQ(hit.span, kNoSpan);
  EXPECT_EQ(timeline.lookup(kPid, 7, 150 + unix_delta).span, f.loop.a);
  EXPECT_EQ(timeline.lookup(kPid, 7, INT64_MAX - 1).state, State::kNoSpan);
  EXPECT_EQ(timeline.records_outside(unix_delta, 1'000 + unix_delta, 1'000'000'000), 2u);
}

}  // namespace
}  // namespace spanprof::attribute
