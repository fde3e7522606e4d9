// SpanAttribution's interval API (issue #13): an off-CPU interval is cut at
// every instant the span on its thread may change (next_change) and each
// piece is labelled with match_at + append_labels exactly as label() would
// label a sample there, without counting it; cpu_on_thread sums a span's
// samples on its own thread, children there included.
#include <gtest/gtest.h>

#include <algorithm>

#include "attribute/span_attribution.h"
#include "span_set_builder.h"

namespace spanprof::attribute {
namespace {

constexpr uint32_t kPid = 100;

std::string label(const std::vector<profile::Label>& labels, const std::string& key) {
  auto it = std::find_if(labels.begin(), labels.end(),
                         [&](const profile::Label& l) { return l.key == key; });
  return it == labels.end() ? "" : it->str;
}

struct Piece {
  int64_t start;
  int64_t end;
  std::string innermost;  // innermost_span_name, "" for no span
  bool operator==(const Piece&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Piece& piece) {
  return out << "[" << piece.start << ", " << piece.end << ") '" << piece.innermost << "'";
}

// What the join does with an interval: one piece per stretch with one answer.
std::vector<Piece> split(SpanAttribution& attribution, uint32_t pid, uint32_t tid, int64_t start,
                         int64_t end) {
  std::vector<Piece> pieces;
  for (int64_t t = start; t < end;) {
    SpanMatch match = attribution.match_at(pid, tid, t);
    int64_t next = std::min(attribution.next_change(pid, tid, t), end);
    EXPECT_GT(next, t);
    std::vector<profile::Label> labels;
    attribution.append_labels(match, labels);
    pieces.push_back({t, next, label(labels, "innermost_span_name")});
    t = next;
  }
  return pieces;
}

// A request on tid 7 with two children one after the other, a child running
// on tid 8, and a later span that opens on its own.
spans::SpanSet request_spans() {
  fixtures::SpanSetBuilder builder;
  builder.add(0x1, 0, 1'000, 9'000, 7, "GET /x");
  builder.add(0x2, 0x1, 2'000, 4'000, 7, "parse");
  builder.add(0x3, 0x1, 4'000, 6'000, 7, "query");
  builder.add(0x4, 0x1, 2'000, 8'000, 8, "worker");
  builder.add(0x5, 0, 20'000, 30'000, 7, "later");
  return std::move(builder.set());
}

TEST(SpanInterval, IntervalOverTwoSiblingsSplitsAtTheirBoundary) {
  SpanAttribution attribution(request_spans(), SpanScope::kRoot);
  EXPECT_EQ(split(attribution, kPid, 7, 3'000, 5'000),
            (std::vector<Piece>{{3'000, 4'000, "parse"}, {4'000, 5'000, "query"}}));
  EXPECT_EQ(split(attribution, kPid, 7, 500, 10'000),
            (std::vector<Piece>{{500, 1'000, ""},
                                {1'000, 2'000, "GET /x"},
                                {2'000, 4'000, "parse"},
                                {4'000, 6'000, "query"},
                                {6'000, 9'000, "GET /x"},
                                {9'000, 10'000, ""}}));
}

TEST(SpanInterval, SpanOpeningMidIntervalStartsAPiece) {
  SpanAttribution attribution(request_spans(), SpanScope::kRoot);
  EXPECT_EQ(split(attribution, kPid, 7, 15'000, 25'000),
            (std::vector<Piece>{{15'000, 20'000, ""}, {20'000, 25'000, "later"}}));
  EXPECT_EQ(attribution.next_change(kPid, 7, 25'000), 30'000);
  EXPECT_EQ(attribution.next_change(kPid, 7, 30'000), INT64_MAX);
  // Thread 8 sees only its own span.
  EXPECT_EQ(attribution.next_change(kPid, 8, 0), 2'000);
  EXPECT_EQ(attribution.next_change(kPid, 8, 2'000), 8'000);
  EXPECT_EQ(attribution.next_change(kPid, 9, 0), INT64_MAX);
}

TEST(SpanInterval, PiecesGetTheLabelsASampleWouldGetThere) {
  for (SpanScope scope : {SpanScope::kRoot, SpanScope::kInnermost}) {
    SpanAttribution sampled(request_spans(), scope);
    SpanAttribution pieces(request_spans(), scope);
    for (int64_t t : {500, 1'000, 2'500, 4'000, 7'000, 9'000, 25'000}) {
      for (uint32_t tid : {7u, 8u}) {
        std::vector<profile::Label> from_label;
        sampled.label(kPid, tid, t, 1, from_label);
        std::vector<profile::Label> from_match;
        pieces.append_labels(pieces.match_at(kPid, tid, t), from_match);
        ASSERT_EQ(from_match.size(), from_label.size()) << "tid " << tid << " at " << t;
        for (size_t i = 0; i < from_label.size(); ++i) {
          EXPECT_EQ(from_match[i].key, from_label[i].key);
          EXPECT_EQ(from_match[i].str, from_label[i].str);
        }
      }
    }
  }
}

TEST(SpanInterval, MatchAtCountsNoSample) {
  SpanAttribution attribution(request_spans(), SpanScope::kRoot);
  for (int64_t t = 0; t < 30'000; t += 500) attribution.match_at(kPid, 7, t);
  AttributionSummary summary = attribution.summarize(1'000);
  EXPECT_EQ(summary.samples, 0u);
  EXPECT_EQ(summary.samples_in_spans, 0u);
  EXPECT_EQ(summary.spans_with_samples, 0u);
  EXPECT_EQ(attribution.cpu_on_thread(0), 0);
  EXPECT_EQ(attribution.diagnose_matching().smallest_sampled_pid, 0u);  // no sampled thread either
  std::vector<profile::Label> labels;
  attribution.label(kPid, 7, 2'500, 10, labels);
  EXPECT_EQ(attribution.summarize(1'000).samples, 1u);
}

TEST(SpanInterval, InterleavedAsyncSpansGiveNoLabelsAndAreNotCounted) {
  fixtures::SpanSetBuilder builder;
  builder.add_in_trace(1, 0xa, 0, 1'000, 5'000, 7, "GET /a");
  builder.add_in_trace(2, 0xb, 0, 2'000, 6'000, 7, "GET /b");
  SpanAttribution attribution(std::move(builder.set()), SpanScope::kRoot);
  EXPECT_EQ(split(attribution, kPid, 7, 0, 7'000),
            (std::vector<Piece>{{0, 1'000, ""},
                                {1'000, 2'000, "GET /a"},
                                {2'000, 5'000, ""},
                                {5'000, 6'000, "GET /b"},
                                {6'000, 7'000, ""}}));
  EXPECT_TRUE(attribution.match_at(kPid, 7, 3'000).ambiguous());
  EXPECT_EQ(attribution.index_stats().samples_unlabelled_not_nested, 0u);
}

TEST(SpanInterval, SpansWithoutPidAndByRuntimeThreadIdAreBoundariesToo) {
  fixtures::SpanSetBuilder builder;
  builder.add(0x1, 0, 1'000, 2'000, 7, "with pid");
  uint32_t by_thread_id = builder.add(0x2, 0, 3'000, 4'000, std::nullopt, "thread.id");
  builder.set().spans[by_thread_id].runtime_thread_id = 7;
  builder.use_resource_without_pid();
  builder.add(0x3, 0, 5'000, 6'000, 7, "no pid");
  SpanAttribution attribution(std::move(builder.set()), SpanScope::kRoot);
  EXPECT_EQ(split(attribution, kPid, 7, 0, 7'000),
            (std::vector<Piece>{{0, 1'000, ""},
                                {1'000, 2'000, "with pid"},
                                {2'000, 3'000, ""},
                                {3'000, 4'000, "thread.id"},
                                {4'000, 5'000, ""},
                                {5'000, 6'000, "no pid"},
                                {6'000, 7'000, ""}}));
  // Another process's tid 7 sees only the span without a pid.
  EXPECT_EQ(attribution.next_change(kPid + 1, 7, 0), 5'000);
}

TEST(SpanInterval, CpuOnThreadCountsChildrenOnTheSameThreadOnly) {
  SpanAttribution attribution(request_spans(), SpanScope::kRoot);
  std::vector<profile::Label> labels;
  attribution.label(kPid, 7, 2'500, 10, labels);  // parse, in GET /x
  attribution.label(kPid, 7, 7'000, 3, labels);   // GET /x itself
  attribution.label(kPid, 8, 3'000, 5, labels);   // worker on thread 8: not GET /x's thread
  attribution.label(kPid, 7, 25'000, 1, labels);  // later
  EXPECT_EQ(attribution.cpu_on_thread(0), 13);    // GET /x
  EXPECT_EQ(attribution.cpu_on_thread(1), 10);    // parse
  EXPECT_EQ(attribution.cpu_on_thread(2), 0);     // query
  EXPECT_EQ(attribution.cpu_on_thread(3), 5);     // worker
  EXPECT_EQ(attribution.cpu_on_thread(4), 1);     // later
  EXPECT_TRUE(attribution.on_thread(0, kPid, 7));
  EXPECT_FALSE(attribution.on_thread(0, kPid, 8));
}

// Thread 7 has activation records; thread 8 is joined by span times.
activations::ActivationRecord record(uint64_t time_ns, uint32_t tid, uint64_t span_id) {
  activations::ActivationRecord r;
  r.time_ns = time_ns;
  r.pid = kPid;
  r.tid = tid;
  if (span_id != 0) r.trace_id[0] = 1;
  r.span_id = span_id;
  return r;
}

class SpanIntervalActivations : public ::testing::Test {
 protected:
  static constexpr int64_t kDelta = 100;  // Unix minus CLOCK_MONOTONIC
  SpanIntervalActivations() : attribution_(spans(), SpanScope::kRoot) {
    activations::ThreadActivations loop;
    loop.pid = kPid;
    loop.tid = 7;
    loop.records = {record(1'000, 7, 0x2), record(3'000, 7, 0x3), record(5'000, 7, 0),
                    record(7'000, 7, 0x3)};
    activations::ActivationSet set;
    set.threads.push_back(loop);
    attribution_.use_activations(set, kDelta);
  }
  static spans::SpanSet spans() {
    fixtures::SpanSetBuilder builder;
    builder.add(0x1, 0, 0, 10'000, std::nullopt, "GET /x");
    builder.add(0x2, 0x1, 500, 2'500, std::nullopt, "a");
    builder.add(0x3, 0x1, 2'500, 9'000, std::nullopt, "b");
    builder.add(0x4, 0, 0, 10'000, 7, "timed");  // on thread 7 by its tid: records win there
    return std::move(builder.set());
  }
  SpanAttribution attribution_;
};

TEST_F(SpanIntervalActivations, RecordsAloneCutTheirThreadsIntervals) {
  EXPECT_EQ(split(attribution_, kPid, 7, 0, 9'000),
            (std::vector<Piece>{{0, 1'100, ""},
                                {1'100, 3'100, "a"},
                                {3'100, 5'100, "b"},
                                {5'100, 7'100, ""},
                                {7'100, 9'000, "b"}}));
  EXPECT_EQ(attribution_.next_change(kPid, 7, 7'100), INT64_MAX);
  EXPECT_EQ(attribution_.activation_stats().samples, 0u);  // match_at counted nothing
}

TEST_F(SpanIntervalActivations, CpuOnThreadFollowsActivatedParents) {
  std::vector<profile::Label> labels;
  attribution_.label(kPid, 7, 2'000, 4, labels);  // a, in GET /x
  EXPECT_EQ(label(labels, "innermost_span_name"), "a");
  EXPECT_EQ(attribution_.cpu_on_thread(1), 4);
  // GET /x has no thread id and no record names it: not known to be on thread 7.
  EXPECT_EQ(attribution_.cpu_on_thread(0), 0);
  EXPECT_TRUE(attribution_.on_thread(1, kPid, 7));
  EXPECT_FALSE(attribution_.on_thread(0, kPid, 7));
  EXPECT_FALSE(attribution_.on_thread(1, kPid, 8));
}

}  // namespace
}  // namespace spanprof::attribute
