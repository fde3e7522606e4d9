// The Firefox export, parsed back and held to the processed format's rules
// (profile.ts, version 70): version fields, equal column lengths, indices in
// range, prefixes before their stacks, times sorted per thread; and to what
// the capture holds: weights, markers, off-CPU threads, notes.
#include "view/firefox_export.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "export_test_model.h"

namespace spanprof::view {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Length of a table, after checking that every array column has that length.
int64_t table_length(object table, const std::string& name, std::vector<std::string>& problems) {
  int64_t length = table["length"].get_int64();
  for (auto [key, value] : table) {
    if (value.is_array() && static_cast<int64_t>(array(value).size()) != length) {
      problems.push_back(name + "." + std::string(key) + " length differs from " + std::to_string(length));
    }
  }
  return length;
}

void check_index(element value, int64_t limit, bool nullable, const std::string& what,
                 std::vector<std::string>& problems) {
  if (value.is_null()) {
    if (!nullable) problems.push_back(what + " is null");
    return;
  }
  int64_t index = value.get_int64();
  if (index < 0 || index >= limit) problems.push_back(what + " out of range: " + std::to_string(index));
}

// Every rule of the format we can check without the profiler.
std::vector<std::string> format_problems(element doc) {
  std::vector<std::string> problems;
  object meta = doc["meta"];
  if (int64_t(meta["preprocessedProfileVersion"]) != 70) problems.push_back("preprocessedProfileVersion");
  if (!meta["version"].is_int64()) problems.push_back("meta.version");
  if (!meta["interval"].is_number() || !meta["startTime"].is_number()) problems.push_back("meta times");
  int64_t categories = static_cast<int64_t>(array(meta["categories"]).size());
  if (std::string_view(meta["categories"].at(0)["color"]) != "grey") problems.push_back("default category");
  object shared = doc["shared"];
  int64_t strings = static_cast<int64_t>(array(shared["stringArray"]).size());
  int64_t stacks = table_length(shared["stackTable"], "stackTable", problems);
  int64_t frames = table_length(shared["frameTable"], "frameTable", problems);
  int64_t funcs = table_length(shared["funcTable"], "funcTable", problems);
  int64_t resources = table_length(shared["resourceTable"], "resourceTable", problems);
  int64_t sources = table_length(shared["sources"], "sources", problems);
  table_length(shared["nativeSymbols"], "nativeSymbols", problems);
  table_length(shared["sourceLocationTable"], "sourceLocationTable", problems);
  for (int64_t i = 0; i < stacks; ++i) {
    auto at = static_cast<size_t>(i);
    check_index(shared["stackTable"]["frame"].at(at), frames, false, "stack frame", problems);
    int64_t offset = shared["stackTable"]["prefixOffset"].at(at);
    if (offset < 0 || offset > i) problems.push_back("prefixOffset " + std::to_string(offset));
  }
  for (int64_t i = 0; i < frames; ++i) {
    auto at = static_cast<size_t>(i);
    check_index(shared["frameTable"]["func"].at(at), funcs, false, "frame func", problems);
    check_index(shared["frameTable"]["category"].at(at), categories, true, "frame category", problems);
  }
  for (int64_t i = 0; i < funcs; ++i) {
    auto at = static_cast<size_t>(i);
    check_index(shared["funcTable"]["name"].at(at), strings, false, "func name", problems);
    int64_t resource = shared["funcTable"]["resource"].at(at);
    if (resource != -1) check_index(shared["funcTable"]["resource"].at(at), resources, false, "resource", problems);
    check_index(shared["funcTable"]["source"].at(at), sources, true, "func source", problems);
  }
  for (element thread : array(doc["threads"])) {
    std::string name = std::string(std::string_view(thread["name"]));
    if (!thread["pid"].is_string()) problems.push_back(name + ": pid is not a string");
    object samples = thread["samples"];
    int64_t length = table_length(samples, name + ".samples", problems);
    double last = -1e300;
    for (int64_t i = 0; i < length; ++i) {
      auto at = static_cast<size_t>(i);
      check_index(samples["stack"].at(at), stacks, true, name + " sample stack", problems);
      double time = samples["time"].at(at);
      if (time < last) problems.push_back(name + ": sample times not sorted");
      last = time;
    }
    object markers = thread["markers"];
    int64_t marker_count = table_length(markers, name + ".markers", problems);
    for (int64_t i = 0; i < marker_count; ++i) {
      auto at = static_cast<size_t>(i);
      check_index(markers["name"].at(at), strings, false, "marker name", problems);
      check_index(markers["category"].at(at), categories, false, "marker category", problems);
      if (double(markers["startTime"].at(at)) > double(markers["endTime"].at(at))) {
        problems.push_back("marker ends before it starts");
      }
    }
  }
  return problems;
}

struct Parsed {
  simdjson::dom::parser parser;
  element doc;
  std::string text;
};

void parse(const ViewModel& model, Parsed& parsed, FirefoxProfile* profile_out = nullptr) {
  FirefoxProfile profile = firefox_profile(model, ExportContext{"./demo --fast"});
  parsed.text = profile.json;
  ASSERT_EQ(parsed.parser.parse(parsed.text).get(parsed.doc), simdjson::SUCCESS) << parsed.text;
  std::vector<std::string> problems = format_problems(parsed.doc);
  EXPECT_TRUE(problems.empty()) << problems.front();
  if (profile_out) *profile_out = std::move(profile);
}

element thread_named(element doc, std::string_view name) {
  for (element thread : array(doc["threads"])) {
    if (std::string_view(thread["name"]) == name) return thread;
  }
  ADD_FAILURE() << "no thread " << name;
  return doc;
}

std::string frame_name(element doc, int64_t stack) {
  element shared = doc["shared"];
  int64_t frame = shared["stackTable"]["frame"].at(static_cast<size_t>(stack));
  int64_t func = shared["frameTable"]["func"].at(static_cast<size_t>(frame));
  int64_t name = shared["funcTable"]["name"].at(static_cast<size_t>(func));
  return std::string(std::string_view(shared["stringArray"].at(static_cast<size_t>(name))));
}

TEST(FirefoxExport, ThreadsSamplesAndSpanMarkers) {
  Parsed parsed;
  FirefoxProfile profile;
  parse(test::sample_model(), parsed, &profile);
  element doc = parsed.doc;
  EXPECT_EQ(std::string_view(doc["meta"]["product"]), "./demo --fast");
  EXPECT_DOUBLE_EQ(double(doc["meta"]["startTime"]), 1'700'000'000'000.0);  // ms since the epoch
  EXPECT_DOUBLE_EQ(double(doc["meta"]["interval"]), 1.0);
  EXPECT_DOUBLE_EQ(double(doc["meta"]["profilingEndTime"]), 40.0);  // start + duration, past every span
  EXPECT_EQ(std::string_view(doc["meta"]["sampleUnits"]["threadCPUDelta"]), "ns");
  element app = thread_named(doc, "app");
  EXPECT_EQ(std::string_view(app["pid"]), "100");
  EXPECT_TRUE(bool(app["isMainThread"]));
  EXPECT_EQ(std::string_view(app["samples"]["weightType"]), "tracing-ms");
  EXPECT_EQ(int64_t(app["samples"]["length"]), 5);
  // Sorted: the sample at 1 ms (stack 0, main) comes first.
  EXPECT_DOUBLE_EQ(double(app["samples"]["time"].at(0)), 1.0);
  EXPECT_EQ(frame_name(doc, app["samples"]["stack"].at(0)), "main");
  EXPECT_TRUE(app["samples"]["stack"].at(4).is_null());  // the sample without a stack
  EXPECT_EQ(int64_t(app["samples"]["threadCPUDelta"].at(0)), 1'000'000);
  double weight = 0;
  for (element w : array(app["samples"]["weight"])) weight += double(w);
  EXPECT_DOUBLE_EQ(weight, 5.0);
  // Markers: the three spans on app, by start, with their ids.
  object markers = app["markers"];
  ASSERT_EQ(int64_t(markers["length"]), 3);
  EXPECT_DOUBLE_EQ(double(markers["startTime"].at(1)), 2.0);
  EXPECT_DOUBLE_EQ(double(markers["endTime"].at(1)), 12.0);
  EXPECT_EQ(int64_t(markers["phase"].at(0)), 1);
  element data = markers["data"].at(0);
  EXPECT_EQ(std::string_view(data["type"]), "span");
  EXPECT_EQ(std::string_view(data["span_id"]), "0000000000000010");
  EXPECT_EQ(std::string_view(data["trace_id"]), "00000000000000000000000000000007");
  EXPECT_EQ(std::string_view(data["service"]), "shop");
  EXPECT_EQ(std::string_view(doc["meta"]["markerSchema"].at(0)["name"]), "span");
  // The unsymbolized frame names its module; odd names are kept (JSON escapes them).
  EXPECT_NE(parsed.text.find("0x1234 [libx.so]"), std::string::npos);
  EXPECT_NE(parsed.text.find("odd;name\\nline"), std::string::npos);
  // The span without a thread is said, not dropped silently.
  ASSERT_FALSE(profile.notes.empty());
  EXPECT_NE(profile.notes.front().find("1 spans have no known thread"), std::string::npos);
  EXPECT_NE(parsed.text.find("1 spans have no known thread"), std::string::npos);  // meta.extra
}

TEST(FirefoxExport, OffCpuPiecesAreAThreadOfTheirOwnUnderTheirState) {
  Parsed parsed;
  parse(test::sample_model(), parsed);
  element doc = parsed.doc;
  element worker = thread_named(doc, "worker");
  EXPECT_EQ(int64_t(worker["samples"]["length"]), 1);
  EXPECT_EQ(int64_t(worker["markers"]["length"]), 1);
  element off = thread_named(doc, "worker (off-CPU)");
  EXPECT_EQ(int64_t(off["tid"]), 101);
  EXPECT_FALSE(bool(off["isMainThread"]));
  EXPECT_EQ(std::string_view(off["samples"]["weightType"]), "tracing-ms");
  ASSERT_EQ(int64_t(off["samples"]["length"]), 2);
  EXPECT_DOUBLE_EQ(double(off["samples"]["weight"].at(0)), 5.0);
  EXPECT_DOUBLE_EQ(double(off["samples"]["weight"].at(1)), 2.5);
  // The sleeping piece: main>work>odd under [off-CPU: sleeping], walked by prefixOffset.
  int64_t stack = off["samples"]["stack"].at(0);
  std::vector<std::string> path;
  while (true) {
    path.insert(path.begin(), frame_name(doc, stack));
    int64_t offset = doc["shared"]["stackTable"]["prefixOffset"].at(static_cast<size_t>(stack));
    if (offset == 0) break;
    stack -= offset;
  }
  EXPECT_EQ(path, (std::vector<std::string>{"[off-CPU: sleeping]", "main", "work", "odd;name\nline"}));
  // The piece without a stack is the state's root alone.
  EXPECT_EQ(frame_name(doc, off["samples"]["stack"].at(1)), "[off-CPU: blocked_io]");
}

TEST(FirefoxExport, NoSpansIsSaid) {
  Parsed parsed;
  FirefoxProfile profile;
  parse(test::model_without_spans(), parsed, &profile);
  EXPECT_EQ(int64_t(thread_named(parsed.doc, "app")["markers"]["length"]), 0);
  ASSERT_FALSE(profile.notes.empty());
  EXPECT_NE(profile.notes.front().find("no span files were joined"), std::string::npos);
}

TEST(FirefoxExport, NoClockLaysSamplesOutInOrderAndSaysSo) {
  Parsed parsed;
  FirefoxProfile profile;
  parse(test::model_without_clock(), parsed, &profile);
  element app = thread_named(parsed.doc, "app");
  EXPECT_DOUBLE_EQ(double(app["samples"]["time"].at(0)), 0.0);
  EXPECT_DOUBLE_EQ(double(app["samples"]["time"].at(1)), 1.0);  // one interval (1 ms) apart
  EXPECT_EQ(frame_name(parsed.doc, app["samples"]["stack"].at(0)), "work");  // recorded order kept
  bool said = false;
  for (const std::string& note : profile.notes) said = said || note.find("no clock data") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(FirefoxExport, EmptyCaptureIsALoadableProfileThatSaysSo) {
  Parsed parsed;
  FirefoxProfile profile;
  parse(test::empty_model(), parsed, &profile);
  ASSERT_EQ(array(parsed.doc["threads"]).size(), 1U);
  EXPECT_EQ(int64_t(parsed.doc["threads"].at(0)["samples"]["length"]), 0);
  ASSERT_FALSE(profile.notes.empty());
  EXPECT_NE(profile.notes.front().find("no samples"), std::string::npos);
}

TEST(FirefoxExport, DeepStackKeepsEveryFrame) {
  Parsed parsed;
  parse(test::deep_model(3000), parsed);
  EXPECT_EQ(int64_t(parsed.doc["shared"]["stackTable"]["length"]), 3000);
  EXPECT_EQ(int64_t(thread_named(parsed.doc, "deep")["samples"]["stack"].at(0)), 2999);
}

TEST(FirefoxExport, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  ViewModel model = test::sample_model();
  model.frames[2].function = "bad\xff\xc0name \xc3\xa9";  // two bad bytes, then a valid "é"
  model.names[0] = "GET \xed\xa0\x80";                    // an encoded surrogate
  Parsed parsed;
  parse(model, parsed);  // simdjson refuses a document that is not UTF-8
  EXPECT_NE(parsed.text.find("bad\xef\xbf\xbd\xef\xbf\xbdname \xc3\xa9"), std::string::npos);
  EXPECT_NE(parsed.text.find("GET \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos);
}

TEST(FirefoxExport, EventCountsAreSampleWeights) {
  ViewModel model = test::model_without_spans();
  model.event = {"cycles", "events/count", 100'000};
  model.event_is_time = false;
  Parsed parsed;
  FirefoxProfile profile;
  parse(model, parsed, &profile);
  element app = thread_named(parsed.doc, "app");
  EXPECT_EQ(std::string_view(app["samples"]["weightType"]), "samples");
  EXPECT_EQ(int64_t(app["samples"]["weight"].at(0)), 1'000'000);
  bool said = false;
  for (const std::string& note : profile.notes) said = said || note.find("event counts") != std::string::npos;
  EXPECT_TRUE(said);
}

}  // namespace
}  // namespace spanprof::view
