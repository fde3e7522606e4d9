#include "push/series_labels.h"

#include <gtest/gtest.h>

#include "push/ingest_request.h"

namespace spanprof::push {
namespace {

SeriesLabelInputs inputs(const std::string& service, LabelList user, bool span_name = true,
                         bool for_ingest = false) {
  SeriesLabelInputs in;
  in.service_name = service;
  in.user_labels = std::move(user);
  in.span_name_label = span_name;
  in.for_ingest = for_ingest;
  return in;
}

TEST(SeriesLabelsTest, NameServiceThenUserLabels) {
  auto labels = series_labels(inputs("shop", {{"env", "prod"}, {"region", "eu-1"}}));
  ASSERT_TRUE(labels) << labels.error().to_string();
  EXPECT_EQ(*labels, (LabelList{{"__name__", "process_cpu"},
                                {"service_name", "shop"},
                                {"env", "prod"},
                                {"region", "eu-1"}}));
  EXPECT_EQ(label_bytes(*labels), 52u);  // 8+11 + 12+4 + 3+4 + 6+4
}

TEST(SeriesLabelsTest, NamespaceAndHostFollowTheService) {
  SeriesLabelInputs in = inputs("cart", {{"env", "prod"}});
  in.service_namespace = "shop";
  in.hostname = "web-3";
  in.host_label = true;
  auto labels = series_labels(in);
  ASSERT_TRUE(labels) << labels.error().to_string();
  EXPECT_EQ(*labels, (LabelList{{"__name__", "process_cpu"},
                                {"service_name", "cart"},
                                {"service_namespace", "shop"},
                                {"hostname", "web-3"},
                                {"env", "prod"}}));
  // --label hostname collides with --host-label; without it, it is the user's.
  in.user_labels = {{"hostname", "x"}};
  auto clash = series_labels(in);
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().hint.find("--host-label"), std::string::npos);
  in.hostname.clear();
  in.host_label = false;
  EXPECT_TRUE(series_labels(in));
}

TEST(SeriesLabelsTest, RejectsBadAndReservedNames) {
  for (const char* name : {"", "1abc", "a-b", "a.b", "__x", "service_name", "service_namespace",
                           "span_id", "trace_id", "span_name"}) {
    auto labels = series_labels(inputs("shop", {{name, "v"}}));
    EXPECT_FALSE(labels) << name;
    if (!labels) {
      EXPECT_FALSE(labels.error().hint.empty()) << name;
    }
  }
  EXPECT_FALSE(series_labels(inputs("shop", {{"env", ""}})));
  EXPECT_FALSE(series_labels(inputs("shop", {{"env", "a"}, {"env", "b"}})));
  EXPECT_FALSE(series_labels(inputs("", {})));
  EXPECT_TRUE(is_valid_label_name("_ok9"));
}

TEST(SeriesLabelsTest, AtMostThirtyNamesCountingSpanName) {
  LabelList user;
  for (int i = 0; i < 27; ++i) user.emplace_back("l" + std::to_string(i), "v");
  EXPECT_TRUE(series_labels(inputs("shop", user)));  // 2 + 27 + span_name = 30
  user.emplace_back("l27", "v");
  auto over = series_labels(inputs("shop", user));
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("31 label names"), std::string::npos);
  EXPECT_NE(over.error().hint.find("--no-span-name"), std::string::npos);
  EXPECT_TRUE(series_labels(inputs("shop", user, false)));
}

TEST(SeriesLabelsTest, IngestAddsTwoNamesToTheCount) {
  LabelList user;
  for (int i = 0; i < 26; ++i) user.emplace_back("l" + std::to_string(i), "v");
  EXPECT_TRUE(series_labels(inputs("shop", user, false, false)));  // 2 + 26 = 28
  EXPECT_TRUE(series_labels(inputs("shop", user, false, true)));   // + 2 = 30
  auto over = series_labels(inputs("shop", user, true, true));     // + span_name = 31
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("pyroscope_app"), std::string::npos);
}

TEST(SeriesLabelsTest, IngestNeedsValuesItsSyntaxCanCarry) {
  EXPECT_TRUE(series_labels(inputs("shop", {{"env", "a/b:c"}}, true, true)));
  EXPECT_FALSE(series_labels(inputs("shop", {{"env", "a,b"}}, true, true)));
  EXPECT_FALSE(series_labels(inputs("shop", {{"env", "a b"}}, true, true)));
  EXPECT_FALSE(series_labels(inputs("my{app}", {}, true, true)));
  EXPECT_TRUE(series_labels(inputs("shop", {{"env", "a,b"}})));  // Push API takes any value
}

TEST(SeriesLabelsTest, IngestAppNameIsLettersDigitsAndFewPunctuation) {
  EXPECT_TRUE(series_labels(inputs("team/shop-api_v2.1", {}, true, true)));
  for (const char* bad : {"shop:api", "shop api", "caf\xc3\xa9", "a+b"}) {
    auto labels = series_labels(inputs(bad, {}, true, true));
    EXPECT_FALSE(labels) << bad;
    EXPECT_TRUE(series_labels(inputs(bad, {}, true, false))) << bad;  // the Push API takes it
  }
  EXPECT_TRUE(is_valid_ingest_app_name("a-b.c/d_e"));
  EXPECT_FALSE(is_valid_ingest_app_name(""));
  EXPECT_EQ(sanitize_ingest_app_name("shop:api v2"), "shop_api_v2");
  EXPECT_EQ(sanitize_ingest_app_name("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(sanitize_ingest_value("a b{c}"), "a_b_c_");
  EXPECT_EQ(sanitize_ingest_value("a/b:c"), "a/b:c");
}

TEST(IngestRequestTest, EncodesNameAndTimes) {
  auto labels = series_labels(inputs("shop", {{"env", "prod"}, {"v", "1.2"}}, true, true));
  ASSERT_TRUE(labels);
  EXPECT_EQ(ingest_path_and_query(*labels, 1'795'646'270'000'000'000, 1'795'646'280'000'000'000),
            "/ingest?name=shop%7Benv%3Dprod%2Cv%3D1.2%7D&from=1795646270000000000"
            "&until=1795646280000000000&format=pprof");
  auto bare = series_labels(inputs("shop", {}, true, true));
  EXPECT_EQ(ingest_path_and_query(*bare, 1, 2), "/ingest?name=shop%7B%7D&from=1&until=2&format=pprof");
  EXPECT_EQ(url_encode("a b~/\xc3\xa9"), "a%20b~%2F%C3%A9");
}

}  // namespace
}  // namespace spanprof::push
