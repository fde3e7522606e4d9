// Labels and summary of the span join on a hand-made span set.
#include <gtest/gtest.h>

#include <algorithm>

#include "attribute/span_attribution.h"

namespace spanprof::attribute {
namespace {

spans::SpanSet two_level_set() {
  spans::SpanSet set;
  uint32_t resource = set.intern_resource({"svc", 100});
  auto add = [&](uint64_t id, uint64_t parent, int64_t start, int64_t end, const char* name,
                 std::optional<uint32_t> tid) {
    spans::Span span;
    span.trace_id[15] = 0xab;
    span.span_id = id;
    span.parent_span_id = parent;
    span.start_unix_ns = start;
    span.end_unix_ns = end;
    span.os_tid = tid;
    span.resource_index = resource;
    span.name_index = set.intern_name(name);
    set.spans.push_back(span);
  };
  add(0x1111, 0, 0, 1000, "GET /x", 7);
  add(0x2222, 0x1111, 100, 500, "work", 7);
  add(0x3333, 0, 2000, 2001, "short", 7);
  add(0x4444, 0, 0, 5000, "no thread", std::nullopt);
  return set;
}

std::string label(const std::vector<profile::Label>& labels, const std::string& key) {
  auto it = std::find_if(labels.begin(), labels.end(),
                         [&](const profile::Label& l) { return l.key == key; });
  return it == labels.end() ? "" : it->str;
}

TEST(SpanAttribution, RootScopeLabelsTheLocalRootAndAlwaysTheInnermost) {
  SpanAttribution attribution(two_level_set(), SpanScope::kRoot);
  std::vector<profile::Label> labels;
  attribution.label(100, 7, 200, 10, labels);
  EXPECT_EQ(label(labels, "span_id"), "0000000000001111");
  EXPECT_EQ(label(labels, "span_name"), "GET /x");
  EXPECT_EQ(label(labels, "trace_id"), "000000000000000000000000000000ab");
  EXPECT_EQ(label(labels, "innermost_span_id"), "0000000000002222");
  EXPECT_EQ(label(labels, "innermost_span_name"), "work");
  EXPECT_EQ(label(labels, "service_name"), "svc");

  labels.clear();
  attribution.label(100, 7, 1500, 10, labels);  // between spans
  EXPECT_TRUE(labels.empty());
}

TEST(SpanAttribution, InnermostScope) {
  SpanAttribution attribution(two_level_set(), SpanScope::kInnermost);
  std::vector<profile::Label> labels;
  attribution.label(100, 7, 200, 10, labels);
  EXPECT_EQ(label(labels, "span_id"), "0000000000002222");
  EXPECT_EQ(label(labels, "span_name"), "work");
}

TEST(SpanAttribution, SummaryCountsParentsOfSampledSpansAsSampled) {
  SpanAttribution attribution(two_level_set(), SpanScope::kRoot);
  std::vector<profile::Label> labels;
  attribution.label(100, 7, 200, 10, labels);  // in "work", inside "GET /x"
  attribution.label(100, 7, 700, 5, labels);   // in "GET /x" only
  attribution.label(100, 7, 1500, 1, labels);  // outside
  AttributionSummary summary = attribution.summarize(/*period_ns=*/100);
  EXPECT_EQ(summary.samples, 3u);
  EXPECT_EQ(summary.samples_in_spans, 2u);
  EXPECT_EQ(summary.spans_with_samples, 2u);
  // "short" got none and is shorter than the period; "no thread" is not placed.
  EXPECT_EQ(summary.spans_without_samples, 1u);
  EXPECT_EQ(summary.spans_without_samples_shorter_than_period, 1u);
  auto by = [&](const std::string& name) {
    return *std::find_if(summary.by_name.begin(), summary.by_name.end(),
                         [&](const SpanCpu& cpu) { return cpu.name == name; });
  };
  EXPECT_EQ(by("GET /x").self, 5);
  EXPECT_EQ(by("GET /x").total, 15);
  EXPECT_EQ(by("work").self, 10);
  EXPECT_EQ(by("work").total, 10);
}

}  // namespace
}  // namespace spanprof::attribute
