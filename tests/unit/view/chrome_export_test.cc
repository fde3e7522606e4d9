// The Chrome trace export, parsed back: metadata names every process and
// thread, spans are X events that nest per thread (the overlapping child cut
// and said), samples are instants whose "sf" ids resolve in stackFrames,
// off-CPU pieces are balanced async slices, and the edge cases say what is
// missing.
#include "view/chrome_export.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "export_test_model.h"

namespace spanprof::view {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

struct Parsed {
  simdjson::dom::parser parser;
  element doc;
  std::string text;
  ChromeTrace trace;
};

// The format's rules: X events nest per (pid, tid), durations are not
// negative, every sf and parent id is a stackFrames key, b/e pairs balance.
std::vector<std::string> format_problems(element doc) {
  std::vector<std::string> problems;
  if (std::string_view(doc["displayTimeUnit"]) != "ms") problems.push_back("displayTimeUnit");
  object frames = doc["stackFrames"];
  for (auto [id, frame] : frames) {
    std::string_view parent;
    if (frame["parent"].get(parent) == simdjson::SUCCESS && frames[parent].error() != simdjson::SUCCESS) {
      problems.push_back("frame parent " + std::string(parent));
    }
  }
  std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<double, double>>> slices;
  std::map<std::string, int> open_async;
  for (element event : array(doc["traceEvents"])) {
    std::string_view phase = event["ph"];
    if (!event["pid"].is_int64() || !event["tid"].is_int64()) problems.push_back("pid/tid");
    std::string_view sf;
    if (event["sf"].get(sf) == simdjson::SUCCESS && frames[sf].error() != simdjson::SUCCESS) {
      problems.push_back("sf " + std::string(sf));
    }
    if (phase == "X") {
      double ts = event["ts"];
      double dur = event["dur"];
      if (dur < 0) problems.push_back("negative dur");
      slices[{int64_t(event["pid"]), int64_t(event["tid"])}].emplace_back(ts, ts + dur);
    } else if (phase == "b" || phase == "e") {
      open_async[std::string(std::string_view(event["id"]))] += phase == "b" ? 1 : -1;
    }
  }
  for (auto& [thread, list] : slices) {
    std::stable_sort(list.begin(), list.end(), [](auto a, auto b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    });
    std::vector<double> ends;
    for (auto [start, end] : list) {
      while (!ends.empty() && ends.back() <= start) ends.pop_back();
      if (!ends.empty() && end > ends.back()) problems.push_back("X events overlap without nesting");
      ends.push_back(end);
    }
  }
  for (auto [id, balance] : open_async) {
    if (balance != 0) problems.push_back("async slices of " + id + " do not balance");
  }
  return problems;
}

void parse(const ViewModel& model, Parsed& parsed) {
  parsed.trace = chrome_trace(model, ExportContext{"./demo"});
  parsed.text = parsed.trace.json;
  ASSERT_EQ(parsed.parser.parse(parsed.text).get(parsed.doc), simdjson::SUCCESS) << parsed.text;
  std::vector<std::string> problems = format_problems(parsed.doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

std::vector<element> events(element doc, std::string_view phase) {
  std::vector<element> out;
  for (element event : array(doc["traceEvents"])) {
    if (std::string_view(event["ph"]) == phase) out.push_back(event);
  }
  return out;
}

bool has_note(const ChromeTrace& trace, std::string_view text) {
  for (const std::string& note : trace.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ChromeExport, SpansNestPerThreadAndTheOverlapIsCutAndSaid) {
  Parsed parsed;
  parse(test::sample_model(), parsed);
  std::vector<element> slices = events(parsed.doc, "X");
  ASSERT_EQ(slices.size(), 4U);  // the span without a thread is not placed
  std::map<std::string, element> by_id;
  for (element slice : slices) by_id.emplace(std::string_view(slice["args"]["span_id"]), slice);
  element child = by_id.at("0000000000000011");
  EXPECT_EQ(std::string_view(child["name"]), "db query");
  EXPECT_DOUBLE_EQ(double(child["ts"]), 2000.0);   // microseconds from the zero
  EXPECT_DOUBLE_EQ(double(child["dur"]), 8000.0);  // cut at its parent's end (10 ms)
  EXPECT_DOUBLE_EQ(double(child["args"]["clamped_from_dur_us"]), 10000.0);
  EXPECT_EQ(std::string_view(child["args"]["parent_span_id"]), "0000000000000010");
  EXPECT_EQ(std::string_view(child["args"]["service"]), "shop");
  EXPECT_EQ(parsed.trace.clamped_spans, 1U);
  EXPECT_TRUE(has_note(parsed.trace, "cut at its end"));
  EXPECT_TRUE(has_note(parsed.trace, "1 spans have no known thread"));
  EXPECT_EQ(int64_t(parsed.doc["otherData"]["zero_unix_ns"]), test::kStartNs);
}

TEST(ChromeExport, MetadataNamesProcessesAndThreads) {
  Parsed parsed;
  parse(test::sample_model(), parsed);
  std::map<std::string, std::string> names;
  for (element event : events(parsed.doc, "M")) {
    names[std::string(std::string_view(event["name"])) + " " + std::to_string(int64_t(event["tid"]))] =
        std::string_view(event["args"]["name"]);
  }
  EXPECT_EQ(names["process_name 100"], "./demo (pid 100)");
  EXPECT_EQ(names["thread_name 100"], "app");
  EXPECT_EQ(names["thread_name 101"], "worker");
}

TEST(ChromeExport, SamplesAreInstantsWithTheirStacks) {
  Parsed parsed;
  parse(test::sample_model(), parsed);
  std::vector<element> instants = events(parsed.doc, "i");
  ASSERT_EQ(instants.size(), 6U);
  element first = instants[0];  // the samples' order: 5 ms, main>work
  EXPECT_EQ(std::string_view(first["name"]), "work");
  EXPECT_EQ(std::string_view(first["s"]), "t");
  EXPECT_DOUBLE_EQ(double(first["ts"]), 5000.0);
  EXPECT_EQ(int64_t(first["args"]["weight_ns"]), 1'000'000);
  element frame = parsed.doc["stackFrames"][std::string_view(first["sf"])];
  EXPECT_EQ(std::string_view(frame["name"]), "work");
  EXPECT_EQ(std::string_view(parsed.doc["stackFrames"][std::string_view(frame["parent"])]["name"]), "main");
  EXPECT_EQ(std::string_view(instants[4]["name"]), "[no stack]");
  // Off-CPU: one b/e pair per piece, the state as its name, its length as its span.
  std::vector<element> begins = events(parsed.doc, "b");
  std::vector<element> ends = events(parsed.doc, "e");
  ASSERT_EQ(begins.size(), 2U);
  EXPECT_EQ(std::string_view(begins[0]["name"]), "sleeping");
  EXPECT_EQ(std::string_view(begins[0]["cat"]), "off_cpu");
  EXPECT_DOUBLE_EQ(double(ends[0]["ts"]) - double(begins[0]["ts"]), 5000.0);
}

TEST(ChromeExport, ASpanEndingBeforeItStartsHasNoDurationAndIsSaid) {
  ViewModel model = test::sample_model();
  std::swap(model.spans[3].start_ns, model.spans[3].end_ns);  // a?b on worker: [30, 20] ms
  Parsed parsed;
  parse(model, parsed);
  bool found = false;
  for (element slice : events(parsed.doc, "X")) {
    if (std::string_view(slice["name"]) != "a?b") continue;
    found = true;
    EXPECT_DOUBLE_EQ(double(slice["ts"]), 30000.0);
    EXPECT_DOUBLE_EQ(double(slice["dur"]), 0.0);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(has_note(parsed.trace, "1 spans end before they start"));
}

TEST(ChromeExport, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  ViewModel model = test::sample_model();
  model.threads[0].name = "app\xfe";
  model.frames[1].function = "work\xe2\x82";  // a sequence cut short
  Parsed parsed;
  parse(model, parsed);  // simdjson refuses a document that is not UTF-8
  EXPECT_NE(parsed.text.find("app\xef\xbf\xbd"), std::string::npos);
  EXPECT_NE(parsed.text.find("work\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos);
}

TEST(ChromeExport, EdgeCasesSayWhatIsMissing) {
  Parsed no_spans;
  parse(test::model_without_spans(), no_spans);
  EXPECT_TRUE(events(no_spans.doc, "X").empty());
  EXPECT_TRUE(has_note(no_spans.trace, "no span files were joined"));

  Parsed no_clock;
  parse(test::model_without_clock(), no_clock);
  EXPECT_TRUE(events(no_clock.doc, "i").empty());
  EXPECT_TRUE(has_note(no_clock.trace, "no clock data"));
  EXPECT_TRUE(no_clock.doc["otherData"]["zero_unix_ns"].is_null());

  Parsed empty;
  parse(test::empty_model(), empty);
  EXPECT_EQ(array(empty.doc["traceEvents"]).size(), 0U);
  EXPECT_TRUE(has_note(empty.trace, "no samples"));
  EXPECT_NE(empty.text.find("no samples"), std::string::npos);  // in otherData.notes
}

}  // namespace
}  // namespace spanprof::view
