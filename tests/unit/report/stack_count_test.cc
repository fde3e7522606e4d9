#include <gtest/gtest.h>

#include <string>

#include <simdjson.h>

#include "join/summary_json.h"
#include "profile/profile_builder.h"
#include "report_test_util.h"

namespace spanprof {
namespace {

// 2 stacks, each sampled inside 3 spans: 6 pprof samples (stack x label set),
// 2 distinct stacks. The terminal once called the 6 "distinct stacks".
TEST(StackCount, StacksAreCountedApartFromTheirLabelSets) {
  profile::ProfileBuilder builder({{"samples", "count"}}, {"cpu", "nanoseconds"}, 1'000'000);
  profile::MappingInfo app;
  app.memory_start = 0x400000;
  app.memory_limit = 0x500000;
  app.filename = "/usr/bin/app";
  uint64_t mapping = builder.add_mapping(app);
  uint64_t leaf = builder.add_location(mapping, 0x401000, {});
  uint64_t middle = builder.add_location(mapping, 0x402000, {});
  uint64_t root = builder.add_location(mapping, 0x403000, {});
  const std::vector<uint64_t> stacks[] = {{leaf, middle, root}, {middle, root}};
  const int64_t one[] = {1};
  for (int repeat = 0; repeat < 2; ++repeat) {
    for (const std::vector<uint64_t>& stack : stacks) {
      for (std::string span : {"checkout", "login", "search"}) {
        const profile::Label labels[] = {{"span_name", span, 0, ""}};
        builder.add_sample(stack, labels, one);
      }
    }
  }
  EXPECT_EQ(builder.sample_count(), 6u);
  EXPECT_EQ(builder.stack_count(), 2u);

  // A stack whose ids begin another stack's ids is still a stack of its own.

  const uint64_t no_labels_leaf_only[] = {leaf};
  builder.add_sample(no_labels_leaf_only, {}, one);
  EXPECT_EQ(builder.sample_count(), 7u);
  EXPECT_EQ(builder.stack_count(), 3u);
}

TEST(StackCount, BothCountsReachSummaryJsonAndTheTerminal) {
  join::JoinReport report = report_test::clean_report();
  report.pprof_samples = 815;
  report.unique_stacks = 89;
  std::string text = join::summary_json(report);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  uint64_t distinct = 0, pprof = 0, unique = 0;
  ASSERT_EQ(doc["distinct_stacks"].get_uint64().get(distinct), simdjson::SUCCESS);
  ASSERT_EQ(doc["pprof_samples"].get_uint64().get(pprof), simdjson::SUCCESS);
  ASSERT_EQ(doc["unique_stacks"].get_uint64().get(unique), simdjson::SUCCESS);
  EXPECT_EQ(distinct, 815u);  // schema 1 kept: it always counted pprof samples
  EXPECT_EQ(pprof, 815u);
  EXPECT_EQ(unique, 89u);

  std::string out = report_test::print(report, false).out;
  EXPECT_NE(out.find("  samples    40 from 2 threads, 89 distinct stacks, 815 pprof samples "
                     "(stack x labels)\n"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace spanprof
