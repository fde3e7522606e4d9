// Why spans met no sample: each cause of the diagnosis on a hand-made span set
// joined to hand-made samples, through SpanAttribution as the join uses it.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "attribute/span_attribution.h"

namespace spanprof::attribute {
namespace {

struct SpanSpec {
  std::optional<uint32_t> pid;  // the resource's process.pid
  std::optional<uint32_t> tid;  // thread.os_id
  // Not on whole milliseconds: the coarse-clock repair leaves them where they are.
  int64_t start = 7;
  int64_t end = 1007;
  std::optional<int64_t> runtime_thread_id = std::nullopt;  // thread.id
};

spans::SpanSet span_set(const std::vector<SpanSpec>& specs) {
  spans::SpanSet set;
  uint64_t id = 1;
  for (const SpanSpec& spec : specs) {
    spans::Span span;
    span.trace_id[0] = 1;
    span.span_id = id++;
    span.start_unix_ns = spec.start;
    span.end_unix_ns = spec.end;
    span.os_tid = spec.tid;
    span.runtime_thread_id = spec.runtime_thread_id;
    span.resource_index = set.intern_resource({"svc", spec.pid});
    span.name_index = set.intern_name("work");
    set.spans.push_back(span);
  }
  return set;
}

struct SampleSpec {
  uint32_t pid, tid;
  int64_t unix_ns;
};

SpanAttribution joined(const std::vector<SpanSpec>& spans, const std::vector<SampleSpec>& samples) {
  SpanAttribution attribution(span_set(spans), SpanScope::kRoot);
  std::vector<profile::Label> labels;
  for (const SampleSpec& sample : samples) {
    labels.clear();
    attribution.label(sample.pid, sample.tid, sample.unix_ns, 1, labels);
  }
  return attribution;
}

TEST(MatchDiagnosis, SpansThatMeetTheirSamplesAreNotDiagnosed) {
  SpanAttribution attribution = joined({{100, 7}, {100, 8}}, {{100, 7, 10}, {100, 9, 2000}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  EXPECT_EQ(diagnosis.span_processes, 1u);
  EXPECT_TRUE(diagnosis.unmatched.empty());
  EXPECT_EQ(diagnosis.spans_end_before_samples_ns, 0);
  EXPECT_EQ(diagnosis.spans_start_after_samples_ns, 0);
}

TEST(MatchDiagnosis, TidsSampledInAnotherProcessMeanAWrongProcessPid) {
  // A pre-fork server: the workers' spans carry the parent's pid 100.
  SpanAttribution attribution =
      joined({{100, 201}, {100, 202}}, {{201, 201, 10}, {202, 202, 20}, {201, 201, 30}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].pid, 100u);
  EXPECT_EQ(diagnosis.unmatched[0].cause, UnmatchedCause::kWrongPid);
  EXPECT_EQ(diagnosis.unmatched[0].sampled_pid, 201u);
  EXPECT_EQ(diagnosis.unmatched[0].spans, 2u);
  EXPECT_EQ(diagnosis.processes_wrong_pid, 1u);
  EXPECT_EQ(diagnosis.processes_not_in_capture, 0u);
}

TEST(MatchDiagnosis, SmallAbsentIdsBelowEverySampledPidLookNamespaced) {
  // `unshare --pid --fork`: the app is pid 1 with threads 2 and 3 inside.
  SpanAttribution attribution =
      joined({{1, 2}, {1, 3}}, {{40'000, 40'001, 10}, {40'000, 40'002, 20}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].cause, UnmatchedCause::kNamespaced);
  EXPECT_EQ(diagnosis.unmatched[0].largest_id, 3u);
  EXPECT_EQ(diagnosis.unmatched[0].threads, 2u);
  EXPECT_EQ(diagnosis.processes_namespaced, 1u);
  EXPECT_EQ(diagnosis.smallest_sampled_pid, 40'000u);
}

TEST(MatchDiagnosis, IdsTheCaptureNeverSawAreSpansOfAnotherRun) {
  // Not namespaced: the ids are larger than the capture's.
  SpanAttribution attribution = joined({{5000, 5001}}, {{300, 301, 10}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].cause, UnmatchedCause::kNotInCapture);
  EXPECT_EQ(diagnosis.processes_not_in_capture, 1u);
  EXPECT_EQ(diagnosis.processes_namespaced, 0u);
}

TEST(MatchDiagnosis, ASampledPidWithoutTheSpansTidsPointsAtTheTidAttribute) {
  SpanAttribution attribution = joined({{100, 999'999}}, {{100, 101, 10}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].cause, UnmatchedCause::kThreadsNotSampled);
  EXPECT_EQ(diagnosis.processes_threads_not_sampled, 1u);
}

TEST(MatchDiagnosis, OnlyTheProcessWhoseSpansCannotMatchIsNamed) {
  SpanAttribution attribution =
      joined({{100, 101}, {200, 201}, {std::nullopt, 301}}, {{100, 101, 10}, {300, 301, 20}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  EXPECT_EQ(diagnosis.span_processes, 3u);  // 100, 200 and the spans without process.pid
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].pid, 200u);
}

TEST(MatchDiagnosis, SpansWithoutProcessPidAreJudgedByTheirTids) {
  SpanAttribution attribution = joined({{std::nullopt, 2}}, {{900, 901, 10}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  ASSERT_EQ(diagnosis.unmatched.size(), 1u);
  EXPECT_EQ(diagnosis.unmatched[0].pid, 0u);
  EXPECT_EQ(diagnosis.unmatched[0].cause, UnmatchedCause::kNamespaced);
}

TEST(MatchDiagnosis, DisjointTimesSayByHowMuchAndWhichIsEarlier) {
  SpanAttribution earlier = joined({{100, 7, 7, 1000}, {100, 7, 2000, 3000}},
                                   {{100, 7, 10'000}, {100, 7, 20'000}});
  EXPECT_EQ(earlier.diagnose_matching().spans_end_before_samples_ns, 7000);
  EXPECT_EQ(earlier.diagnose_matching().spans_start_after_samples_ns, 0);

  SpanAttribution later = joined({{100, 7, 50'000, 60'000}}, {{100, 7, 10'000}, {100, 7, 20'000}});
  EXPECT_EQ(later.diagnose_matching().spans_start_after_samples_ns, 30'000);
  EXPECT_EQ(later.diagnose_matching().spans_end_before_samples_ns, 0);

  // Overlapping by one sample is a match in time.
  SpanAttribution overlapping = joined({{100, 7, 7, 10'001}}, {{100, 7, 10'000}});
  EXPECT_EQ(overlapping.diagnose_matching().spans_end_before_samples_ns, 0);
}

TEST(MatchDiagnosis, SpansOfAnotherRunAreNotBlamedOnTheirIds) {
  // Spans from an earlier run: smaller pids than the capture's, hours before.
  // Their ids look namespaced, but the times alone say why nothing matched.
  SpanAttribution attribution =
      joined({{21665, 21666, 7, 1000}, {21665, 21667, 2000, 3000}},
             {{31800, 31801, 5'000'000}, {31800, 31802, 6'000'000}});
  MatchDiagnosis diagnosis = attribution.diagnose_matching();
  EXPECT_GT(diagnosis.spans_end_before_samples_ns, 0);
  EXPECT_TRUE(diagnosis.unmatched.empty());
  EXPECT_EQ(diagnosis.processes_namespaced, 0u);
  EXPECT_EQ(diagnosis.processes_not_in_capture, 0u);
}

TEST(MatchDiagnosis, PlacedByThreadIdCountsOnlySpansWhoseTidWasSampledInTheirProcess) {
  std::vector<SpanSpec> spans = {{100, std::nullopt, 7, 1007, 55}, {100, std::nullopt, 7, 1007, 66}};
  SpanAttribution no_sample = joined(spans, {{100, 101, 10}, {200, 55, 10}});
  EXPECT_EQ(no_sample.summarize(1).spans_placed_by_runtime_thread_id, 0u);
  EXPECT_EQ(no_sample.index_stats().spans_by_runtime_thread_id, 2u);  // keyed, not proven

  SpanAttribution one_sampled = joined(spans, {{100, 55, 10}});
  EXPECT_EQ(one_sampled.summarize(1).spans_placed_by_runtime_thread_id, 1u);
}

}  // namespace
}  // namespace spanprof::attribute
