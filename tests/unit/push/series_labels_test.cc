#include "push/series_labels.h"

#include <gtest/gtest.h>

#include "push/ingest_request.h"

namespace spanprof::push {
namespace {

TEST(SeriesLabelsTest, NameServiceThenUserLabels) {
  auto labels = series_labels("shop", {{"env", "prod"}, {"region", "eu-1"}}, true, false);
  ASSERT_TRUE(labels) << labels.error().to_string();
  EXPECT_EQ(*labels, (LabelList{{"__name__", "process_cpu"},
                                {"service_name", "shop"},
                                {"env", "prod"},
                                {"region", "eu-1"}}));
}

TEST(SeriesLabelsTest, RejectsBadAndReservedNames) {
  for (const char* name : {"", "1abc", "a-b", "a.b", "__x", "service_name", "span_id",
                           "trace_id", "span_name"}) {
    auto labels = series_labels("shop", {{name, "v"}}, true, false);
    EXPECT_FALSE(labels) << name;
    if (!labels) {
      EXPECT_FALSE(labels.error().hint.empty()) << name;
    }
  }
  EXPECT_FALSE(series_labels("shop", {{"env", ""}}, true, false));
  EXPECT_FALSE(series_labels("shop", {{"env", "a"}, {"env", "b"}}, true, false));
  EXPECT_FALSE(series_labels("", {}, true, false));
  EXPECT_TRUE(is_valid_label_name("_ok9"));
}

TEST(SeriesLabelsTest, AtMostThirtyNamesCountingSpanName) {
  LabelList user;
  for (int i = 0; i < 27; ++i) user.emplace_back("l" + std::to_string(i), "v");
  EXPECT_TRUE(series_labels("shop", user, true, false));  // 2 + 27 + span_name = 30
  user.emplace_back("l27", "v");
  auto over = series_labels("shop", user, true, false);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("31 label names"), std::string::npos);
  EXPECT_NE(over.error().hint.find("--no-span-name"), std::string::npos);
  EXPECT_TRUE(series_labels("shop", user, false, false));
}

TEST(SeriesLabelsTest, IngestNeedsValuesItsSyntaxCanCarry) {
  EXPECT_TRUE(series_labels("shop", {{"env", "a/b:c"}}, true, true));
  EXPECT_FALSE(series_labels("shop", {{"env", "a,b"}}, true, true));
  EXPECT_FALSE(series_labels("shop", {{"env", "a b"}}, true, true));
  EXPECT_FALSE(series_labels("my{app}", {}, true, true));
  EXPECT_TRUE(series_labels("shop", {{"env", "a,b"}}, true, false));  // Push API takes any value
}

TEST(IngestRequestTest, EncodesNameAndTimes) {
  auto labels = series_labels("shop", {{"env", "prod"}, {"v", "1.2"}}, true, true);
  ASSERT_TRUE(labels);
  EXPECT_EQ(ingest_path_and_query(*labels, 1'795'646'270'000'000'000, 1'795'646'280'000'000'000),
            "/ingest?name=shop%7Benv%3Dprod%2Cv%3D1.2%7D&from=1795646270000000000"
            "&until=1795646280000000000&format=pprof");
  auto bare = series_labels("shop", {}, true, true);
  EXPECT_EQ(ingest_path_and_query(*bare, 1, 2), "/ingest?name=shop%7B%7D&from=1&until=2&format=pprof");
  EXPECT_EQ(url_encode("a b~/\xc3\xa9"), "a%20b~%2F%C3%A9");
}

}  // namespace
}  // namespace spanprof::push
