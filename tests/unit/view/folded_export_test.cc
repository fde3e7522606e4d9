// The folded export: one file per scope and measure, lines FlameGraph can
// read ("a;b;c 123", no stray ';' or line breaks in frames), span files
// inclusive, safe and unique file names, README listing; and write_export's
// directory handling (an earlier export replaced, anything else refused) and
// its model check.
#include "view/folded_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <unistd.h>

#include "export_test_model.h"

namespace spanprof::view {
namespace {

std::map<std::string, std::string> files_of(const FoldedStacks& stacks) {
  std::map<std::string, std::string> files;
  for (const ExportedFile& file : stacks.files) files[file.name] = file.text;
  return files;
}

// A folded line's shape: "frame(;frame)* weight", frames non-empty and
// without ';', the weight decimal digits. (No std::regex: g++ 12's -O1
// sanitizer build warns inside <regex>.)
bool well_formed(const std::string& line, int64_t& weight) {
  const size_t space = line.rfind(' ');
  if (space == std::string::npos || space == 0 || space + 1 == line.size()) return false;
  const std::string digits = line.substr(space + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const std::string frames = line.substr(0, space);
  size_t start = 0;
  for (;;) {
    size_t end = frames.find(';', start);
    if ((end == std::string::npos ? frames.size() : end) == start) return false;  // an empty frame
    if (end == std::string::npos) break;
    start = end + 1;
  }
  weight = std::stoll(digits);
  return true;
}

// The sum of a folded file's weights, after checking every line's shape.
int64_t total_of(const std::string& text) {
  int64_t total = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    int64_t weight = 0;
    EXPECT_TRUE(well_formed(line, weight)) << line;
    total += weight;
  }
  return total;
}

TEST(FoldedExport, OneFilePerScopeAndMeasureWithCorrectTotals) {
  FoldedStacks stacks = folded_stacks(test::sample_model(), ExportContext{"./demo"});
  std::map<std::string, std::string> files = files_of(stacks);
  // Main event: 6 samples of 1 ms; the span files count inclusively.
  EXPECT_EQ(total_of(files.at("all.cpu-clock-ns.folded")), 6'000'000);
  EXPECT_EQ(total_of(files.at("outside-spans.cpu-clock-ns.folded")), 2'000'000);
  EXPECT_EQ(total_of(files.at("span-GET__users.cpu-clock-ns.folded")), 3'000'000);
  // "db query" twice in one chain (a child of itself) counts the sample once.
  EXPECT_EQ(total_of(files.at("span-db_query.cpu-clock-ns.folded")), 2'000'000);
  // "a/b" and "a?b" are both "a_b": the second gets a suffix.
  EXPECT_EQ(total_of(files.at("span-a_b-2.cpu-clock-ns.folded")), 1'000'000);
  EXPECT_FALSE(files.contains("span-a_b.cpu-clock-ns.folded"));  // a/b has no samples
  // Off-CPU states: files of their own, in nanoseconds.
  EXPECT_EQ(total_of(files.at("all.off-cpu-sleeping-ns.folded")), 5'000'000);
  EXPECT_EQ(total_of(files.at("span-a_b-2.off-cpu-sleeping-ns.folded")), 5'000'000);
  EXPECT_EQ(total_of(files.at("all.off-cpu-blocked-io-ns.folded")), 2'500'000);
  EXPECT_EQ(files.at("all.off-cpu-blocked-io-ns.folded"), "[no stack] 2500000\n");
  EXPECT_FALSE(files.contains("all.off-cpu-runnable-ns.folded"));
  // Frames: ';' and line breaks replaced, addresses with their module, root first.
  EXPECT_NE(files.at("all.cpu-clock-ns.folded").find("main;work;odd:name line 1000000\n"), std::string::npos);
  EXPECT_NE(files.at("all.cpu-clock-ns.folded").find("main;0x1234 [libx.so] 1000000\n"), std::string::npos);
  // README: every file listed with its measure; the name without samples noted.
  const std::string& readme = files.at("README.txt");
  EXPECT_TRUE(readme.starts_with(kFoldedReadmeTitle));
  EXPECT_NE(readme.find("all.cpu-clock-ns.folded\tevery sample; 5 stacks, total 6000000 (nanoseconds of "
                        "cpu-clock time)"),
            std::string::npos)
      << readme;
  EXPECT_NE(readme.find("1 span names have no samples"), std::string::npos) << readme;
  EXPECT_EQ(stacks.files.back().name, "README.txt");
}

TEST(FoldedExport, SafeNames) {
  EXPECT_EQ(file_safe_name("GET /users/{id}"), "GET__users__id_");
  EXPECT_EQ(file_safe_name(".hidden"), "_hidden");
  EXPECT_EQ(file_safe_name(""), "unnamed");
  EXPECT_EQ(file_safe_name("../../etc"), "_._.._etc");
  EXPECT_EQ(file_safe_name(std::string(200, 'x')).size(), 80U);
  EXPECT_EQ(folded_frame("a;b\r\nc\td"), "a:b  c d");
  EXPECT_EQ(folded_frame(""), "[unknown]");
}

TEST(FoldedExport, FileNamesCarryTheEventWithoutModifiersAndItsUnit) {
  ViewModel model = test::model_without_spans();
  model.event.name = "cpu-clock:ppp";
  EXPECT_EQ(folded_stacks(model, {}).files[0].name, "all.cpu-clock-ns.folded");
  model.event.name = "cpu-clock/freq=999,call-graph=fp/";
  EXPECT_EQ(folded_stacks(model, {}).files[0].name, "all.cpu-clock-ns.folded");
  model.event = {"sched:sched_switch", "events/count", 1};
  model.event_is_time = false;
  EXPECT_EQ(folded_stacks(model, {}).files[0].name, "all.sched_sched_switch-count.folded");
  model.event.name = "cpu/event=0x3c,period=100000/";
  EXPECT_EQ(folded_stacks(model, {}).files[0].name, "all.cpu_event_0x3c_-count.folded");
  model.event.name = "cycles:u";
  FoldedStacks cycles = folded_stacks(model, {});
  EXPECT_EQ(cycles.files[0].name, "all.cycles-count.folded");
  EXPECT_NE(cycles.files.back().text.find("(cycles events counted)"), std::string::npos);
}

TEST(FoldedExport, EdgeCases) {
  FoldedStacks no_spans = folded_stacks(test::model_without_spans(), {});
  std::map<std::string, std::string> files = files_of(no_spans);
  EXPECT_EQ(total_of(files.at("all.cpu-clock-ns.folded")), 6'000'000);
  EXPECT_FALSE(files.contains("outside-spans.cpu-clock-ns.folded"));
  ASSERT_FALSE(no_spans.notes.empty());
  EXPECT_NE(no_spans.notes.front().find("no span files were joined"), std::string::npos);
  // No clock: folded stacks need no times, all is there.
  EXPECT_EQ(files_of(folded_stacks(test::model_without_clock(), {})), files);

  FoldedStacks empty = folded_stacks(test::empty_model(), {});
  ASSERT_EQ(empty.files.size(), 2U);  // the whole-capture file and README.txt
  EXPECT_EQ(empty.files[0].name, "all.cpu-clock-ns.folded");
  EXPECT_EQ(empty.files[0].text, "");
  EXPECT_NE(empty.files[1].text.find("the capture has no samples"), std::string::npos);

  FoldedStacks deep = folded_stacks(test::deep_model(2000), {});
  const std::string& line = deep.files[0].text;
  EXPECT_EQ(std::count(line.begin(), line.end(), ';'), 1999);
}

class FoldedDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spanprof-folded-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FoldedDirectory, AnEarlierExportIsReplacedAndForeignFilesRefused) {
  Result<ExportOutcome> first = write_export(test::sample_model(), ExportFormat::kFolded, dir_.string(), {});
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "span-db_query.cpu-clock-ns.folded"));
  EXPECT_EQ(first->files.size(), files_of(folded_stacks(test::sample_model(), {})).size());
  // Again, without spans: the span files of the first export are gone.
  Result<ExportOutcome> second = write_export(test::model_without_spans(), ExportFormat::kFolded, dir_.string(), {});
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "span-db_query.cpu-clock-ns.folded"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "all.cpu-clock-ns.folded"));
  // A directory holding someone else's files is refused, the files kept.
  std::filesystem::remove(dir_ / "README.txt");
  Result<ExportOutcome> third = write_export(test::sample_model(), ExportFormat::kFolded, dir_.string(), {});
  ASSERT_FALSE(third.has_value());
  EXPECT_NE(third.error().to_string().find("not empty"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "all.cpu-clock-ns.folded"));
}

TEST(WriteExport, AnInconsistentModelIsAnErrorNotACrash) {
  ViewModel model = test::sample_model();
  model.samples[0].stack = 99;
  Result<ExportOutcome> out = write_export(model, ExportFormat::kChrome, "/nonexistent/x.json", {});
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().to_string().find("sample 0"), std::string::npos);
  model = test::sample_model();
  model.stacks[0].parent = 2;  // a parent after its child
  out = write_export(model, ExportFormat::kFirefox, "/nonexistent/x.json", {});
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().to_string().find("before its parent"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::view
