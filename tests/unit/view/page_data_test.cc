// The report page's JSON from the fixture's model: per-name figures count each
// sample once per name, in every span up to its local root; listed spans are
// closed under parents; samples of unlisted spans go to their nearest listed
// one, or say they were cut; the timeline coarsens to fit and says so.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <map>
#include <string>

#include "view/page_data.h"
#include "view_fixture.h"

namespace spanprof::view {
namespace {

struct Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit Parsed(const std::string& json) { root = parser.parse(json); }
  std::map<std::string, simdjson::dom::object> names() {
    std::map<std::string, simdjson::dom::object> out;
    simdjson::dom::array list = root["names"];
    std::vector<std::string> text;
    for (auto n : list) text.emplace_back(std::string_view(n));
    for (simdjson::dom::object entry : simdjson::dom::array(root["span_names"])) {
      out[text[static_cast<size_t>(int64_t(entry["name"]))]] = entry;
    }
    return out;
  }
  std::vector<int64_t> ints(const char* key) {
    std::vector<int64_t> out;
    for (auto v : simdjson::dom::array(root[key])) out.push_back(int64_t(v));
    return out;
  }
};

TEST(PageData, SpanNamesCountTheirOwnThreadsSamples) {
  ViewFixture fx;
  PageData page = page_data(fx.collect(), "{\"x\":1}", "app --flag");
  Parsed json(page.json);
  EXPECT_EQ(std::string_view(json.root["title"]), "app --flag");
  EXPECT_EQ(int64_t(json.root["summary"]["x"]), 1);
  auto names = json.names();
  ASSERT_EQ(names.size(), 4u);
  simdjson::dom::object get = names["GET /x"];
  EXPECT_EQ(int64_t(get["count"]), 1);
  EXPECT_EQ(int64_t(get["max_ns"]), 1000);
  EXPECT_EQ(int64_t(get["event"]), 30);  // tid 7's two samples and its child's on tid 8
  EXPECT_EQ(int64_t(get["samples"]), 3);
  EXPECT_EQ(int64_t(get["off_cpu"].at(0)), 50);
  EXPECT_EQ(int64_t(names["remote"]["event"]), 10);
  EXPECT_EQ(int64_t(names["work"]["samples"]), 1);
  EXPECT_EQ(int64_t(names["idle"]["without_samples"]), 1);
  EXPECT_TRUE(page.cuts.empty());
  EXPECT_EQ(page.spans_kept, 4u);
}

TEST(PageData, RowsAddUpToTheSamples) {
  ViewFixture fx;
  PageData page = page_data(fx.collect(), "", "");
  Parsed json(page.json);
  std::vector<int64_t> rows = json.ints("rows");
  ASSERT_EQ(rows.size() % 8, 0u);
  int64_t event = 0, off = 0, count = 0;
  for (size_t i = 0; i < rows.size(); i += 8) {
    (rows[i + 5] == 0 ? event : off) += rows[i + 6];
    count += rows[i + 7];
  }
  EXPECT_EQ(event, 40);
  EXPECT_EQ(off, 50);
  EXPECT_EQ(count, 5);
  std::vector<int64_t> name_rows = json.ints("name_rows");
  ASSERT_EQ(name_rows.size() % 5, 0u);
  EXPECT_TRUE(json.root["summary"].is_null());
}

TEST(PageData, ListedSpansKeepTheirParentsAndCutSamplesSaySo) {
  ViewFixture fx;
  ViewModel model = fx.collect();
  // The sample at 1500 put in "idle", a root that will not be listed.
  model.samples[3].span = model.samples[3].span_top = 2;
  PageLimits limits;
  limits.max_spans = 1;
  PageData page = page_data(model, "", "", limits);
  ASSERT_EQ(page.spans_kept, 1u);
  ASSERT_EQ(page.cuts.size(), 1u);
  EXPECT_NE(page.cuts[0].find("1 of 4 spans are listed"), std::string::npos);
  Parsed json(page.json);
  std::vector<int64_t> spans = json.ints("spans");
  ASSERT_EQ(spans.size(), 7u);
  EXPECT_EQ(spans[4], -1);  // GET /x: a root
  std::vector<int64_t> rows = json.ints("rows");
  bool cut_seen = false, in_parent = false;
  for (size_t i = 0; i < rows.size(); i += 8) {
    if (rows[i + 2] == -2) cut_seen = true;                      // idle was not listed
    if (rows[i + 2] == 0 && rows[i + 1] == 1) in_parent = true;  // remote's sample: in GET /x
  }
  EXPECT_TRUE(cut_seen);
  EXPECT_TRUE(in_parent);
}

TEST(PageData, TheTimelineCoarsensToFitAndSaysSo) {
  ViewFixture fx;
  PageLimits limits;
  limits.max_rows = 1;
  PageData page = page_data(fx.collect(), "", "", limits);
  Parsed json(page.json);
  EXPECT_EQ(int64_t(json.root["buckets"]), 1);
  ASSERT_FALSE(page.cuts.empty());
  EXPECT_NE(page.cuts.back().find("timeline has 1 steps"), std::string::npos);
}

TEST(PageData, AnOffCpuPieceIsSplitOverTheStepsItCovers) {
  ViewFixture fx;
  ViewModel model = fx.collect();
  model.samples[4].time_ns = 150;
  model.samples[4].weight = 500;  // 150..650 at 2 ns a step: 250 steps
  PageData page = page_data(model, "", "");
  Parsed json(page.json);
  std::vector<int64_t> rows = json.ints("rows");
  int64_t off = 0, count = 0, steps = 0, first = -1, last = -1;
  for (size_t i = 0; i < rows.size(); i += 8) {
    if (rows[i + 5] == 0) continue;
    off += rows[i + 6];
    count += rows[i + 7];
    ++steps;
    if (first < 0 || rows[i] < first) first = rows[i];
    last = std::max(last, rows[i]);
  }
  EXPECT_EQ(off, 500);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(steps, 250);
  EXPECT_EQ(first, 75);
  EXPECT_EQ(last, 324);
}

TEST(PageData, NoSpansNoSamplesIsStillAPage) {
  ViewModel empty;
  PageData page = page_data(empty, "", "");
  Parsed json(page.json);
  EXPECT_EQ(json.ints("rows").size(), 0u);
  EXPECT_FALSE(bool(json.root["has_clock"]));
  EXPECT_EQ(simdjson::dom::array(json.root["span_names"]).size(), 0u);
}

}  // namespace
}  // namespace spanprof::view
