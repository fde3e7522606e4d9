// The span-match part of the terminal report: the warnings of spans that cannot
// meet samples, the notes, and the mode spanprof push prints.
#include <gtest/gtest.h>

#include <vector>

#include "join/span_match_warnings.h"
#include "report_test_util.h"

namespace spanprof::join {
namespace {

using report_test::clean_report;
using report_test::print;

attribute::MatchDiagnosis every_cause() {
  attribute::MatchDiagnosis diagnosis;
  diagnosis.smallest_sampled_pid = 4000;
  using enum attribute::UnmatchedCause;
  diagnosis.unmatched = {
      {.pid = 100, .spans = 5, .threads = 2, .largest_id = 102, .cause = kThreadsNotSampled},
      {.pid = 200, .spans = 6, .threads = 1, .largest_id = 201, .cause = kWrongPid,
       .sampled_pid = 4201},
      {.pid = 1, .spans = 7, .threads = 3, .largest_id = 4, .cause = kNamespaced},
      {.pid = 0, .spans = 8, .threads = 1, .largest_id = 9000, .cause = kNotInCapture},
  };
  diagnosis.spans_end_before_samples_ns = 90 * 60'000'000'000LL;
  return diagnosis;
}

TEST(SpanMatchWarnings, OneLinePerCauseNamingThePidAndTheWayOut) {
  std::vector<Warning> warnings;
  add_span_match_warnings(every_cause(), warnings);
  ASSERT_EQ(warnings.size(), 5u);
  for (const Warning& warning : warnings) {
    EXPECT_EQ(warning.kind, WarningKind::kSpanMatch);
    EXPECT_EQ(warning.message.find('\n'), std::string::npos);
  }
  EXPECT_NE(warnings[0].message.find("process.pid 100 (5 spans on 2 threads)"), std::string::npos);
  EXPECT_NE(warnings[0].message.find("--tid-attribute"), std::string::npos);
  EXPECT_NE(warnings[1].message.find("in process 4201"), std::string::npos);
  EXPECT_NE(warnings[1].message.find("after the fork"), std::string::npos);
  EXPECT_NE(warnings[2].message.find("all <= 4"), std::string::npos);
  EXPECT_NE(warnings[2].message.find("start at 4000"), std::string::npos);
  EXPECT_NE(warnings[2].message.find("pid namespace"), std::string::npos);
  EXPECT_NE(warnings[3].message.find("spans without process.pid"), std::string::npos);
  EXPECT_NE(warnings[3].message.find("another run or host"), std::string::npos);
  EXPECT_NE(warnings[4].message.find("end 90.0 min before the first sample"), std::string::npos);
}

TEST(SpanMatchWarnings, NothingWhenEverySpanProcessMet) {
  std::vector<Warning> warnings;
  attribute::MatchDiagnosis diagnosis;
  diagnosis.span_processes = 3;
  add_span_match_warnings(diagnosis, warnings);
  EXPECT_TRUE(warnings.empty());
}

JoinReport report_with_unmatched_spans() {
  JoinReport report = clean_report();
  SpanReport& spans = report.spans.emplace();
  spans.files = {"spans.jsonl"};
  spans.read.spans = 12;
  spans.attribution.samples = 40;
  spans.attribution.spans_without_samples = 12;
  spans.matching = every_cause();
  add_span_match_warnings(spans.matching, report.warnings);
  report.notes = {"span matching as the last join of DIR gave it: --tid-attribute tid"};
  return report;
}

TEST(SpanMatchReport, TheNoSampleLinePointsAtTheWarnings) {
  auto printed = print(report_with_unmatched_spans(), false);
  EXPECT_NE(printed.out.find("12 got no sample (0 shorter than the 1.00 ms sampling period); why: "
                             "the warnings below\n"),
            std::string::npos)
      << printed.out;
  EXPECT_NE(printed.out.find("note: span matching as the last join"), std::string::npos);
  EXPECT_NE(printed.err.find("warning: spans of process.pid 200"), std::string::npos);
}

TEST(SpanMatchReport, PushModePrintsNotesSpanLinesAndWarningsOnly) {
  auto printed = print(report_with_unmatched_spans(), cli::ReportDetail::kSpanMatch);
  EXPECT_EQ(printed.out.find("spanprof join: wrote"), std::string::npos) << printed.out;
  EXPECT_EQ(printed.out.find("hottest"), std::string::npos);
  EXPECT_NE(printed.out.find("note: span matching"), std::string::npos);
  EXPECT_NE(printed.out.find("  spans      12 read from 1 file(s); 0.0% of samples inside spans"),
            std::string::npos)
      << printed.out;
  EXPECT_NE(printed.out.find("got no sample"), std::string::npos);
  EXPECT_NE(printed.err.find("warning: spans of process.pid 1 "), std::string::npos);

  // Quiet leaves out the notes, not the warnings.
  auto quiet = print(report_with_unmatched_spans(), true);
  EXPECT_EQ(quiet.out.find("note:"), std::string::npos);
  EXPECT_NE(quiet.err.find("warning: spans of process.pid 100"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::join
