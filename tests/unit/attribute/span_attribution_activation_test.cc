// SpanAttribution with activation records (docs/activations.md): on a thread
// that has records they alone decide the innermost span, its parents give the
// root; other threads are joined by span times as before; samples the records
// leave without a known span get no labels, and each case is counted.
#include <gtest/gtest.h>

#include <algorithm>

#include "attribute/span_attribution.h"
#include "span_set_builder.h"

namespace spanprof::attribute {
namespace {

constexpr uint32_t kPid = 100;
constexpr int64_t kDelta = 1'000;  // Unix minus CLOCK_MONOTONIC in these tests

std::string label(const std::vector<profile::Label>& labels, const std::string& key) {
  auto it = std::find_if(labels.begin(), labels.end(),
                         [&](const profile::Label& l) { return l.key == key; });
  return it == labels.end() ? "" : it->str;
}

activations::ActivationRecord record(uint64_t time_ns, uint32_t tid, uint64_t span_id) {
  activations::ActivationRecord r;
  r.time_ns = time_ns;
  r.pid = kPid;
  r.tid = tid;
  if (span_id != 0) r.trace_id[0] = 1;  // the builder's trace
  r.span_id = span_id;
  return r;
}

// Thread 7 is an event loop: requests a and b (each with a child) are open
// together, so their times cannot tell them apart. Thread 8 runs one request
// by itself; span c has no thread id at all.
spans::SpanSet event_loop_spans() {
  fixtures::SpanSetBuilder builder;
  builder.add(0xa, 0, 10'000, 90'000, 7, "GET /a");
  builder.add(0xa1, 0xa, 10'000, 90'000, 7, "a work");
  builder.add(0xb, 0, 10'000, 90'000, 7, "GET /b");
  builder.add(0xb1, 0xb, 10'000, 90'000, 7, "b work");
  builder.add(0xd, 0, 10'000, 90'000, 8, "GET /d");
  builder.add(0xc, 0, 10'000, 90'000, std::nullopt, "GET /c");
  return std::move(builder.set());
}

activations::ActivationSet event_loop_records() {
  activations::ThreadActivations loop;
  loop.pid = kPid;
  loop.tid = 7;
  // Monotonic times; Unix = monotonic + kDelta.
  loop.records = {record(20'000, 7, 0xa1), record(30'000, 7, 0xb1), record(40'000, 7, 0),
                  record(50'000, 7, 0xdead), record(60'000, 7, 0xc), record(70'000, 7, 0xb)};
  activations::ActivationSet set;
  set.threads.push_back(loop);
  set.stats.threads = 1;
  set.stats.records = loop.records.size();
  return set;
}

class SpanAttributionActivations : public ::testing::Test {
 protected:
  SpanAttributionActivations() : attribution_(event_loop_spans(), SpanScope::kRoot) {
    attribution_.use_activations(event_loop_records(), kDelta);
  }
  std::vector<profile::Label> at(uint32_t tid, int64_t monotonic) {
    std::vector<profile::Label> labels;
    attribution_.label(kPid, tid, monotonic + kDelta, 10, labels);
    return labels;
  }
  SpanAttribution attribution_;
};

TEST_F(SpanAttributionActivations, TheActivatedSpanIsInnermostAndItsParentTheRoot) {
  auto labels = at(7, 25'000);
  EXPECT_EQ(label(labels, "innermost_span_id"), "00000000000000a1");
  EXPECT_EQ(label(labels, "innermost_span_name"), "a work");
  EXPECT_EQ(label(labels, "span_id"), "000000000000000a");
  EXPECT_EQ(label(labels, "span_name"), "GET /a");
  labels = at(7, 35'000);
  EXPECT_EQ(label(labels, "innermost_span_name"), "b work");
  EXPECT_EQ(label(labels, "span_name"), "GET /b");
  labels = at(7, 75'000);  // a root activated by itself
  EXPECT_EQ(label(labels, "innermost_span_name"), "GET /b");
  EXPECT_EQ(label(labels, "span_name"), "GET /b");
}

TEST_F(SpanAttributionActivations, ASpanWithoutAThreadIdIsPlacedByItsActivation) {
  auto labels = at(7, 65'000);
  EXPECT_EQ(label(labels, "span_name"), "GET /c");
  AttributionSummary summary = attribution_.summarize(0);
  EXPECT_EQ(summary.spans_placed_by_activation, 1u);
}

TEST_F(SpanAttributionActivations, WithoutAKnownCurrentSpanTheSampleHasNoLabels) {
  EXPECT_TRUE(at(7, 15'000).empty());  // before the thread's first record, inside all spans
  EXPECT_TRUE(at(7, 45'000).empty());  // a record said no span is current
  EXPECT_TRUE(at(7, 55'000).empty());  // the current span is in no span file
  ActivationSampleStats stats = attribution_.activation_stats();
  EXPECT_EQ(stats.samples, 3u);
  EXPECT_EQ(stats.samples_before_first, 1u);
  EXPECT_EQ(stats.samples_no_span, 1u);
  EXPECT_EQ(stats.samples_unknown_span, 1u);
  EXPECT_EQ(stats.samples_in_spans, 0u);
  EXPECT_EQ(stats.join.unknown_spans, 1u);
  EXPECT_EQ(stats.join.records_unknown_span, 1u);
  EXPECT_EQ(stats.join.spans_activated, 4u);  // a1, b1, c, b
}

TEST_F(SpanAttributionActivations, OtherThreadsAreJoinedBySpanTimes) {
  auto labels = at(8, 25'000);
  EXPECT_EQ(label(labels, "span_name"), "GET /d");
  EXPECT_TRUE(at(8, 95'000).empty());  // after span d
  ActivationSampleStats stats = attribution_.activation_stats();
  EXPECT_EQ(stats.samples, 0u);  // thread 8's samples are not the records'
  AttributionSummary summary = attribution_.summarize(0);
  EXPECT_EQ(summary.samples, 2u);
  EXPECT_EQ(summary.samples_in_spans, 1u);
}

TEST_F(SpanAttributionActivations, CountsAddUpOverAThreadsSamples) {
  for (int64_t t = 15'000; t < 80'000; t += 1'000) at(7, t);
  ActivationSampleStats stats = attribution_.activation_stats();
  EXPECT_EQ(stats.samples, 65u);
  EXPECT_EQ(stats.samples, stats.samples_in_spans + stats.samples_no_span +
                               stats.samples_before_first + stats.samples_unknown_span);
  EXPECT_EQ(stats.samples_before_first, 5u);   // 15'000..19'000
  EXPECT_EQ(stats.samples_no_span, 10u);       // 40'000..49'000
  EXPECT_EQ(stats.samples_unknown_span, 10u);  // 50'000..59'000
  AttributionSummary summary = attribution_.summarize(0);
  EXPECT_EQ(summary.samples_in_spans, stats.samples_in_spans);
}

TEST(SpanAttributionWithoutActivations, TheEventLoopsOpenSpansGiveNoGuess) {
  // The same spans joined by times alone: a and b do not nest and share no
  // ancestor, so a sample among them gets no span (never a guessed one).
  SpanAttribution attribution(event_loop_spans(), SpanScope::kRoot);
  std::vector<profile::Label> labels;
  attribution.label(kPid, 7, 25'000 + kDelta, 10, labels);
  EXPECT_TRUE(labels.empty());
  EXPECT_EQ(attribution.activations(), nullptr);
  EXPECT_EQ(attribution.activation_stats().samples, 0u);
}

}  // namespace
}  // namespace spanprof::attribute
