// join_options_for: the span-matching options a capture's last join recorded
// apply when none is given, and only then; and namespace ids move spans.
#include "join/capture_inputs.h"

#include <gtest/gtest.h>

#include "join/namespace_mapping.h"

namespace spanprof::join {
namespace {

capture::Capture capture_with_recorded_join() {
  capture::Capture capture;
  capture.dir = "/captures/run1";
  capture.perf_data = "/captures/run1/perf.data";
  capture.span_files = {"/captures/run1/spans.jsonl"};
  capture.namespace_ids = "/captures/run1/namespace-ids.tsv";
  capture::CaptureRecord record;
  capture::RecordedJoin recorded;
  recorded.tid_attribute = "tid";
  recorded.clock_offset_ns = 5000;
  recorded.span_files = {"other/spans-b.jsonl", "/abs/spans-c.pb"};
  recorded.span_scope = "innermost";
  record.join = recorded;
  capture.record = record;
  return capture;
}

TEST(JoinOptionsFor, RecordedOptionsApplyWhenNoneIsGivenAndANoteSaysSo) {
  JoinOptions options = join_options_for(capture_with_recorded_join(), JoinOptions{});
  EXPECT_EQ(options.span_reader.tid_attribute, "tid");
  EXPECT_EQ(options.clock_offset_ns, 5000);
  EXPECT_EQ(options.span_scope, attribute::SpanScope::kInnermost);
  EXPECT_EQ(options.span_files, (std::vector<std::string>{"/captures/run1/other/spans-b.jsonl",
                                                          "/abs/spans-c.pb"}));
  EXPECT_EQ(options.span_reader.max_spans, size_t{1} << 22);  // not recorded: the default
  ASSERT_EQ(options.input_notes.size(), 1u);
  EXPECT_NE(options.input_notes[0].find("--tid-attribute tid --clock-offset 5000"),
            std::string::npos);
  EXPECT_NE(options.input_notes[0].find("capture.json"), std::string::npos);
  EXPECT_EQ(options.namespace_ids_path, "/captures/run1/namespace-ids.tsv");
}

TEST(JoinOptionsFor, AGivenOptionReplacesOnlyItsRecordedOne) {
  // `push DIR --max-spans 10` after `join DIR --tid-attribute tid ...`: the
  // recorded thread attribute, offset, scope and span files still hold.
  JoinOptions given;
  given.matching.max_spans = 10;
  JoinOptions options = join_options_for(capture_with_recorded_join(), given);
  EXPECT_EQ(options.span_reader.max_spans, 10u);
  EXPECT_EQ(options.span_reader.tid_attribute, "tid");
  EXPECT_EQ(options.clock_offset_ns, 5000);
  EXPECT_EQ(options.span_scope, attribute::SpanScope::kInnermost);
  EXPECT_EQ(options.span_files,
            (std::vector<std::string>{"/captures/run1/other/spans-b.jsonl", "/abs/spans-c.pb"}));
  ASSERT_EQ(options.input_notes.size(), 1u);
  EXPECT_NE(options.input_notes[0].find("--tid-attribute tid"), std::string::npos);
  EXPECT_EQ(options.input_notes[0].find("--max-spans"), std::string::npos);

  given.matching.tid_attribute = "app.tid";
  options = join_options_for(capture_with_recorded_join(), given);
  EXPECT_EQ(options.span_reader.tid_attribute, "app.tid");
  EXPECT_EQ(options.clock_offset_ns, 5000);
}

TEST(JoinOptionsFor, GivenActivationFilesReplaceTheDirectorysAndItsNotes) {
  capture::Capture capture;
  capture.dir = "/c";
  capture.activation_files = {"/c/activations-1.bin"};
  capture.activation_error_notes = {"/c/activations-2.error"};
  JoinOptions given;
  given.matching.activation_files = {"/elsewhere/activations-9.bin"};
  JoinOptions options = join_options_for(capture, given);
  EXPECT_EQ(options.activation_files, given.matching.activation_files);
  EXPECT_TRUE(options.activation_error_notes.empty());
}

spans::SpanSet namespaced_spans() {
  spans::SpanSet set;
  uint32_t in_namespace = set.intern_resource({"app", 1});
  uint32_t on_host = set.intern_resource({"other", 300});
  auto add = [&set](uint32_t resource, std::optional<uint32_t> tid) {
    spans::Span span;
    span.resource_index = resource;
    span.os_tid = tid;
    set.spans.push_back(span);
  };
  add(in_namespace, 2);
  add(in_namespace, 3);
  add(in_namespace, 9);             // a thread the poller missed
  add(in_namespace, std::nullopt);  // no thread id
  add(on_host, 301);
  return set;
}

TEST(NamespaceMapping, SpansOfListedThreadsGetTheHostsPidAndTid) {
  capture::NamespaceIds ids;
  ids.add({4711, 4711, 1, 1});
  ids.add({4711, 4712, 1, 2});
  ids.add({4711, 4713, 1, 3});
  spans::SpanSet set = namespaced_spans();
  NamespaceMappingStats stats = map_namespaced_ids(ids, set);
  EXPECT_EQ(stats.spans_mapped, 2u);
  EXPECT_EQ(stats.threads_listed, 3u);
  EXPECT_EQ(set.resources[0].pid, 4711u);
  EXPECT_EQ(set.spans[0].os_tid, 4712u);
  EXPECT_EQ(set.spans[1].os_tid, 4713u);
  EXPECT_EQ(set.spans[2].os_tid, 9u);   // not listed: kept
  EXPECT_EQ(set.resources[1].pid, 300u);  // not in a namespace
  EXPECT_EQ(set.spans[4].os_tid, 301u);
}

TEST(NamespaceMapping, AnAmbiguousPairMovesNothing) {
  capture::NamespaceIds ids;
  ids.add({100, 100, 1, 1});
  ids.add({200, 200, 1, 1});
  ids.add({100, 102, 1, 2});
  ids.add({200, 202, 1, 2});
  spans::SpanSet set = namespaced_spans();
  NamespaceMappingStats stats = map_namespaced_ids(ids, set);
  EXPECT_EQ(stats.spans_mapped, 0u);
  EXPECT_EQ(stats.ambiguous_pairs, 2u);
  EXPECT_EQ(set.resources[0].pid, 1u);
  EXPECT_EQ(set.spans[0].os_tid, 2u);
}

}  // namespace
}  // namespace spanprof::join
