#include "join/report_counters.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "join/summary_json.h"
#include "report_test_util.h"

namespace spanprof::join {
namespace {

using report_test::clean_report;
using report_test::print;

// Every counter summary.json has written since schema 1 (and the ones added
// since), each with the distinct value numbered_report() gives it: a getter
// reading the wrong field, or a key dropped from the table, fails here.
struct Expected {
  CounterSection section;
  std::string_view key;
  uint64_t value;
};

const std::vector<Expected> kExpected = {
    {CounterSection::kLosses, "lost_events", 101},
    {CounterSection::kLosses, "lost_samples", 102},
    {CounterSection::kLosses, "samples_without_event", 103},
    {CounterSection::kLosses, "samples_other_events", 104},
    {CounterSection::kLosses, "undecodable_records", 105},
    {CounterSection::kLosses, "skipped_records", 106},
    {CounterSection::kLosses, "ordering_overflows", 107},
    {CounterSection::kLosses, "truncated_stacks", 108},
    {CounterSection::kLosses, "guest_frames_skipped", 109},
    {CounterSection::kLosses, "binaries_missing", 110},
    {CounterSection::kLosses, "binaries_changed", 111},
    {CounterSection::kLosses, "addresses_unsymbolized", 112},
    {CounterSection::kLosses, "frames_outside_mappings", 113},
    {CounterSection::kLosses, "processes_without_perf_map", 114},
    {CounterSection::kLosses, "perf_map_bad_lines", 115},
    {CounterSection::kUnwind, "samples", 201},
    {CounterSection::kUnwind, "samples_without_registers", 202},
    {CounterSection::kUnwind, "samples_other_arch", 203},
    {CounterSection::kUnwind, "frames", 204},
    {CounterSection::kUnwind, "cfi_rules", 205},
    {CounterSection::kUnwindStops, "end_of_stack", 301},
    {CounterSection::kUnwindStops, "no_mapping", 302},
    {CounterSection::kUnwindStops, "jit", 303},
    {CounterSection::kUnwindStops, "no_binary", 304},
    {CounterSection::kUnwindStops, "no_cfi", 305},
    {CounterSection::kUnwindStops, "stack_copy_exhausted", 306},
    {CounterSection::kUnwindStops, "missing_register", 307},
    {CounterSection::kUnwindStops, "bad_cfi", 308},
    {CounterSection::kUnwindStops, "depth_cap", 309},
    {CounterSection::kUnwindStops, "sp_not_increasing", 310},
    {CounterSection::kSpans, "lines", 401},
    {CounterSection::kSpans, "bad_lines", 402},
    {CounterSection::kSpans, "files_cut_short", 403},
    {CounterSection::kSpans, "spans", 404},
    {CounterSection::kSpans, "bad_spans", 950},
    {CounterSection::kSpans, "bad_ids", 445},  // bad_spans - spans_over_limit
    {CounterSection::kSpans, "spans_over_limit", 505},
    {CounterSection::kSpans, "end_before_start", 406},
    {CounterSection::kSpans, "duplicate_span_ids", 407},
    {CounterSection::kSpans, "parent_cycles", 408},
    {CounterSection::kSpans, "local_roots", 409},
    {CounterSection::kSpans, "without_thread_id", 410},
    {CounterSection::kSpans, "placed_by_thread_id", 411},
    {CounterSection::kSpans, "ambiguous", 412},
    {CounterSection::kSpans, "coarse_clock", 413},
    {CounterSection::kSpans, "moved_coarse_clock", 414},
    {CounterSection::kSpans, "samples_in_spans", 415},
    {CounterSection::kSpans, "with_samples", 416},
    {CounterSection::kSpans, "without_samples", 417},
    {CounterSection::kSpans, "without_samples_shorter_than_period", 418},
    {CounterSection::kSpans, "placed_by_activation", 419},
    {CounterSection::kSpans, "samples_by_common_ancestor", 420},
    {CounterSection::kSpans, "weight_by_common_ancestor", 421},
    {CounterSection::kSpans, "samples_unlabelled_not_nested", 422},
    {CounterSection::kSpans, "weight_unlabelled_not_nested", 423},
    {CounterSection::kSpans, "concurrent_coarse_clock", 424},
    {CounterSection::kSpans, "ambiguous_on_activated_threads", 425},
    {CounterSection::kSpans, "span_processes", 426},
    {CounterSection::kSpans, "namespace_mapped", 433},
    {CounterSection::kSpans, "processes_threads_not_sampled", 427},
    {CounterSection::kSpans, "processes_wrong_pid", 428},
    {CounterSection::kSpans, "processes_namespaced", 429},
    {CounterSection::kSpans, "processes_not_in_capture", 430},
    {CounterSection::kSpans, "spans_end_before_samples_ns", 431},
    {CounterSection::kSpans, "spans_start_after_samples_ns", 432},
    {CounterSection::kActivations, "files_read", 601},
    {CounterSection::kActivations, "files_skipped", 602},
    {CounterSection::kActivations, "writer_errors", 603},
    {CounterSection::kActivations, "records", 604},
    {CounterSection::kActivations, "threads", 605},
    {CounterSection::kActivations, "torn_bytes", 606},
    {CounterSection::kActivations, "records_wrong_pid", 607},
    {CounterSection::kActivations, "records_out_of_order", 608},
    {CounterSection::kActivations, "records_outside_capture", 609},
    {CounterSection::kActivations, "records_unknown_span", 610},
    {CounterSection::kActivations, "threads_without_clock", 611},
    {CounterSection::kActivations, "spans_activated", 612},
    {CounterSection::kActivations, "unknown_spans", 613},
    {CounterSection::kActivations, "samples", 614},
    {CounterSection::kActivations, "samples_in_spans", 615},
    {CounterSection::kActivations, "samples_no_span", 616},
    {CounterSection::kActivations, "samples_before_first", 617},
    {CounterSection::kActivations, "samples_unknown_span", 618},
    {CounterSection::kOffCpu, "switch_records", 701},
    {CounterSection::kOffCpu, "idle_switch_records", 702},
    {CounterSection::kOffCpu, "sched_switch_samples", 703},
    {CounterSection::kOffCpu, "intervals", 704},
    {CounterSection::kOffCpu, "pieces", 705},
    {CounterSection::kOffCpu, "intervals_without_stack", 706},
    {CounterSection::kOffCpu, "samples_unpaired", 707},
    {CounterSection::kOffCpu, "samples_state_undecoded", 708},
    {CounterSection::kOffCpu, "ins_without_out", 709},
    {CounterSection::kOffCpu, "cut_capture_end", 710},
    {CounterSection::kOffCpu, "thread_starts", 711},
    {CounterSection::kOffCpu, "ins_after_in", 712},
    {CounterSection::kOffCpu, "out_of_order", 713},
    {CounterSection::kOffCpu, "cut_thread_exit", 714},
    {CounterSection::kOffCpu, "cut_lost", 715},
    {CounterSection::kOffCpu, "cut_lost_ns", 716},
    {CounterSection::kOffCpu, "idle_samples", 717},
    {CounterSection::kOffCpu, "records_without_time", 718},
};

JoinReport numbered_report() {
  JoinReport report = clean_report();
  report.read.lost_events = 101;
  report.read.lost_samples = 102;
  report.read.samples_without_attr = 103;
  report.samples_other_events = 104;
  report.read.undecodable_records = 105;
  report.read.skipped_records = 106;
  report.read.forced_flushes = 107;
  report.stacks.truncated_stacks = 108;
  report.stacks.guest_frames_skipped = 109;
  report.symbols.binaries_missing = 110;
  report.symbols.binaries_mismatched = 111;
  report.symbols.addresses_unsymbolized = 112;
  report.stacks.frames_without_mapping = 113;
  report.symbols.perf_maps_missing = 114;
  report.symbols.perf_map_bad_lines = 115;
  unwind::UnwindStats& unwind = report.stacks.unwind;
  unwind.samples = 201;
  unwind.samples_without_registers = 202;
  unwind.samples_other_arch = 203;
  unwind.frames = 204;
  unwind.rules = 205;
  unwind.end_of_stack = 301;
  unwind.stop_no_mapping = 302;
  unwind.stop_jit = 303;
  unwind.stop_no_binary = 304;
  unwind.stop_no_cfi = 305;
  unwind.stop_stack_exhausted = 306;
  unwind.stop_missing_register = 307;
  unwind.stop_bad_cfi = 308;
  unwind.stop_depth_cap = 309;
  unwind.stop_sp_not_increasing = 310;
  SpanReport& spans = report.spans.emplace();
  spans.files = {"spans.jsonl"};
  spans.read.lines = 401;
  spans.read.bad_lines = 402;
  spans.read.files_cut_short = 403;
  spans.read.spans = 404;
  spans.read.bad_spans = 950;
  spans.read.spans_over_limit = 505;
  spans.read.spans_end_before_start = 406;
  spans.tree.duplicate_span_ids = 407;
  spans.tree.parent_cycles = 408;
  spans.tree.local_roots = 409;
  spans.index.spans_without_thread = 829;  // 410 without a thread id + 419 placed by activation
  spans.attribution.spans_placed_by_runtime_thread_id = 411;
  spans.index.ambiguous_spans = 837;  // 412 + 425 on activated threads
  spans.coarse_clock.coarse_spans = 413;
  spans.coarse_clock.moved_spans = 414;
  spans.attribution.samples = 40;
  spans.attribution.samples_in_spans = 415;
  spans.attribution.spans_with_samples = 416;
  spans.attribution.spans_without_samples = 417;
  spans.attribution.spans_without_samples_shorter_than_period = 418;
  spans.attribution.spans_placed_by_activation = 419;
  spans.index.samples_by_common_ancestor = 420;
  spans.index.weight_by_common_ancestor = 421;
  spans.index.samples_unlabelled_not_nested = 422;
  spans.index.weight_unlabelled_not_nested = 423;
  spans.coarse_clock.concurrent_spans = 424;
  spans.attribution.ambiguous_spans_on_activated_threads = 425;
  spans.matching.span_processes = 426;
  spans.namespace_mapping = NamespaceMappingStats{.threads_listed = 3, .spans_mapped = 433};
  spans.matching.processes_threads_not_sampled = 427;
  spans.matching.processes_wrong_pid = 428;
  spans.matching.processes_namespaced = 429;
  spans.matching.processes_not_in_capture = 430;
  spans.matching.spans_end_before_samples_ns = 431;
  spans.matching.spans_start_after_samples_ns = 432;
  ActivationReport& activations = spans.activations.emplace();
  activations.read.files = 601;
  activations.read.files_skipped = 602;
  activations.read.writer_errors = 603;
  activations.read.records = 604;
  activations.read.threads = 605;
  activations.read.torn_bytes = 606;
  activations.read.records_wrong_pid = 607;
  activations.read.records_out_of_order = 608;
  activations.records_outside_capture = 609;
  activations.samples.join.records_unknown_span = 610;
  activations.samples.join.threads_without_clock = 611;
  activations.samples.join.spans_activated = 612;
  activations.samples.join.unknown_spans = 613;
  activations.samples.samples = 614;
  activations.samples.samples_in_spans = 615;
  activations.samples.samples_no_span = 616;
  activations.samples.samples_before_first = 617;
  activations.samples.samples_unknown_span = 618;
  OffCpuReport& off = report.off_cpu.emplace();
  off.switch_records = 701;
  off.idle_switch_records = 702;
  off.sched_switch_samples = 703;
  off.pairing.intervals = 704;
  off.pieces = 705;
  off.pairing.intervals_without_stack = 706;
  off.pairing.samples_unpaired = 707;
  off.samples_state_undecoded = 708;
  off.pairing.ins_without_out = 709;
  off.pairing.cut_capture_end = 710;
  off.pairing.thread_starts = 711;
  off.pairing.ins_after_in = 712;
  off.pairing.out_of_order = 713;
  off.pairing.cut_thread_exit = 714;
  off.pairing.cut_lost = 715;
  off.pairing.cut_lost_ns = 716;
  off.idle_samples = 717;
  off.records_without_time = 718;
  return report;
}

simdjson::dom::element section_object(simdjson::dom::element doc, CounterSection section) {
  switch (section) {
    case CounterSection::kLosses: return doc["losses"].value();
    case CounterSection::kUnwind: return doc["unwind"].value();
    case CounterSection::kUnwindStops: return doc["unwind"]["stops"].value();
    case CounterSection::kSpans: return doc["spans"].value();
    case CounterSection::kActivations: return doc["spans"]["activations"].value();
    case CounterSection::kOffCpu: return doc["off_cpu"].value();
  }
  return doc;
}

constexpr CounterSection kSections[] = {CounterSection::kLosses, CounterSection::kUnwind,
                                        CounterSection::kUnwindStops, CounterSection::kSpans,
                                        CounterSection::kActivations, CounterSection::kOffCpu};

TEST(ReportCounters, TableHoldsExactlyTheDocumentedKeys) {
  std::set<std::pair<CounterSection, std::string_view>> expected;
  for (const Expected& e : kExpected) expected.insert({e.section, e.key});
  std::set<std::pair<CounterSection, std::string_view>> table;
  for (CounterSection section : kSections) {
    for (const ReportCounter& counter : report_counters(section)) {
      EXPECT_EQ(counter.section, section) << counter.key;
      EXPECT_TRUE(table.insert({section, counter.key}).second) << "repeated key " << counter.key;
      if (counter.display != CounterDisplay::kJsonOnly) {
        EXPECT_FALSE(counter.tag.empty()) << counter.key;
        EXPECT_FALSE(counter.wording.empty()) << counter.key;
      }
    }
  }
  EXPECT_EQ(table, expected);
}

TEST(ReportCounters, SummaryJsonHasEveryCounterWithItsValue) {
  JoinReport report = numbered_report();
  std::string text = summary_json(report);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  for (const Expected& e : kExpected) {
    uint64_t value = 0;
    ASSERT_EQ(section_object(doc, e.section)[e.key].get_uint64().get(value), simdjson::SUCCESS)
        << e.key << " in " << text;
    EXPECT_EQ(value, e.value) << e.key;
  }
  // Fields that are not counters stay where schema 1 put them.
  EXPECT_TRUE(doc["losses"]["damage"].is_null());
  double share = 0;
  ASSERT_EQ(doc["spans"]["share_of_samples_in_spans"].get_double().get(share), simdjson::SUCCESS);
  EXPECT_GT(share, 10.0);  // 415 of 40: the numbered values need not be consistent
}

TEST(ReportCounters, TerminalPrintsEveryNonZeroLossOnceEvenWhenQuiet) {
  JoinReport report = numbered_report();
  for (bool quiet : {false, true}) {
    std::string out = print(report, quiet).out;
    for (CounterSection section : kSections) {
      for (const ReportCounter& counter : report_counters(section)) {
        std::string line = fmt::format("  {:<10} {} {}\n", counter.tag, counter.value(report),
                                       counter.wording);
        size_t at = out.find(line);
        bool shown = counter.display == CounterDisplay::kAlways ||
                     (counter.display == CounterDisplay::kUnlessQuiet && !quiet);
        EXPECT_EQ(at != std::string::npos, shown) << counter.key << (quiet ? " (quiet)" : "")
                                                  << "\n" << out;
        if (shown) {
          EXPECT_EQ(out.find(line, at + 1), std::string::npos) << counter.key;
        }
      }
    }
  }
}

// The counters -q leaves out; every other counter is a loss or repair and is
// printed whenever non-zero (STYLE.md: the summary prints every non-zero counter).
TEST(ReportCounters, QuietPrintsAllButTheseCounters) {
  const std::set<std::pair<CounterSection, std::string_view>> not_quiet = {
      {CounterSection::kLosses, "samples_other_events"},  // a warning says it
      {CounterSection::kLosses, "skipped_records"},       // types spanprof does not use
      {CounterSection::kUnwind, "samples"},
      {CounterSection::kUnwind, "frames"},
      {CounterSection::kUnwind, "cfi_rules"},
      {CounterSection::kUnwindStops, "end_of_stack"},
      {CounterSection::kSpans, "lines"},
      {CounterSection::kSpans, "spans"},
      {CounterSection::kSpans, "bad_spans"},  // printed as bad_ids and spans_over_limit
      {CounterSection::kSpans, "local_roots"},
      {CounterSection::kSpans, "placed_by_thread_id"},
      {CounterSection::kSpans, "coarse_clock"},
      {CounterSection::kSpans, "samples_in_spans"},
      {CounterSection::kSpans, "with_samples"},
      {CounterSection::kSpans, "placed_by_activation"},
      {CounterSection::kSpans, "weight_by_common_ancestor"},
      {CounterSection::kSpans, "weight_unlabelled_not_nested"},
      {CounterSection::kSpans, "concurrent_coarse_clock"},
      {CounterSection::kSpans, "ambiguous_on_activated_threads"},
      // Each non-zero one has a warning of its own (kSpanMatch).
      {CounterSection::kSpans, "span_processes"},
      {CounterSection::kSpans, "processes_threads_not_sampled"},
      {CounterSection::kSpans, "processes_wrong_pid"},
      {CounterSection::kSpans, "processes_namespaced"},
      {CounterSection::kSpans, "processes_not_in_capture"},
      {CounterSection::kSpans, "spans_end_before_samples_ns"},
      {CounterSection::kSpans, "spans_start_after_samples_ns"},
      // Activation counters: the ones that cost samples have a warning of their own
      // (kActivations); the others are one sentence when not quiet.
      {CounterSection::kActivations, "files_read"},
      {CounterSection::kActivations, "files_skipped"},
      {CounterSection::kActivations, "writer_errors"},
      {CounterSection::kActivations, "records"},
      {CounterSection::kActivations, "threads"},
      {CounterSection::kActivations, "torn_bytes"},
      {CounterSection::kActivations, "records_wrong_pid"},
      {CounterSection::kActivations, "records_out_of_order"},
      {CounterSection::kActivations, "records_outside_capture"},
      {CounterSection::kActivations, "records_unknown_span"},
      {CounterSection::kActivations, "threads_without_clock"},
      {CounterSection::kActivations, "spans_activated"},
      {CounterSection::kActivations, "unknown_spans"},
      {CounterSection::kActivations, "samples"},
      {CounterSection::kActivations, "samples_in_spans"},
      {CounterSection::kActivations, "samples_no_span"},
      {CounterSection::kActivations, "samples_before_first"},
      {CounterSection::kActivations, "samples_unknown_span"},
      // Off-CPU: the totals are one sentence when not quiet; the rest are losses.
      {CounterSection::kOffCpu, "switch_records"},
      {CounterSection::kOffCpu, "idle_switch_records"},
      {CounterSection::kOffCpu, "sched_switch_samples"},
      {CounterSection::kOffCpu, "intervals"},
      {CounterSection::kOffCpu, "pieces"},
      {CounterSection::kOffCpu, "ins_without_out"},
      {CounterSection::kOffCpu, "cut_capture_end"},
      {CounterSection::kOffCpu, "thread_starts"},
      {CounterSection::kOffCpu, "cut_thread_exit"},
      {CounterSection::kOffCpu, "cut_lost_ns"},
      {CounterSection::kOffCpu, "idle_samples"},
  };
  // without_samples and without_samples_shorter_than_period are printed in a
  // sentence of their own (checked below), not as table lines.
  // Every value has 3 digits and none is a part of another line's text.
  std::string out = print(numbered_report(), true).out;
  for (const Expected& e : kExpected) {
    bool printed = out.find(std::to_string(e.value)) != std::string::npos;
    EXPECT_EQ(printed, !not_quiet.contains({e.section, e.key})) << e.key << "\n" << out;
  }
  EXPECT_NE(out.find("  spans      417 got no sample (418 shorter than the 1.00 ms sampling period)"),
            std::string::npos)
      << out;
}

TEST(ReportCounters, TerminalLinesKeepTheirWording) {
  std::string out = print(numbered_report(), true).out;
  EXPECT_NE(out.find("  lost       101 events (perf ring buffer overflow: PERF_RECORD_LOST; try a "
                     "lower -F or larger -m)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  unwind     309 stacks stopped early: depth cap of 512 frames\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  spans      445 spans with missing or malformed ids (skipped)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  symbols    112 unique addresses left unsymbolized"), std::string::npos)
      << out;
}

TEST(ReportCounters, CleanReportPrintsNoCounterLine) {
  JoinReport report = clean_report();
  report.spans.emplace().files = {"spans.jsonl"};
  std::string out = print(report, false).out;
  for (std::string_view tag : {"  lost ", "  skipped ", "  unwind "}) {
    EXPECT_EQ(out.find(tag), std::string::npos) << tag << "\n" << out;
  }
  EXPECT_TRUE(print(report, true).out.empty()) << print(report, true).out;
}

TEST(ReportCounters, UnwindIsNullWithoutDwarfSamples) {
  JoinReport report = clean_report();
  report.stacks.unwind.end_of_stack = 3;  // not a dwarf capture without unwound samples
  EXPECT_FALSE(has_unwind(report));
  std::string text = summary_json(report);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  EXPECT_TRUE(doc["unwind"].is_null());
  EXPECT_TRUE(doc["spans"].is_null());
  report.stacks.unwind.samples_other_arch = 1;
  EXPECT_TRUE(has_unwind(report));
  EXPECT_NE(print(report, true).out.find("samples not unwound"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::join
