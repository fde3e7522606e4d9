#include "capture/capture_dir.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "capture/capture_record.h"
#include "capture/layout.h"

namespace spanprof::capture {
namespace {

namespace fs = std::filesystem;

class CaptureDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("spanprof-capture-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  // What `spanprof run` leaves: perf.data, its spans file, capture.json.
  fs::path made_by_run(const std::string& name, const std::string& spans_file) {
    fs::path dir = root_ / name;
    write(dir / "perf.data", "PERFILE2");
    CaptureRecord record;
    record.state = "finished";
    record.command = {"/usr/bin/server", "--port", "8080"};
    record.clocks_start = {1'700'000'000'000'000'000, 5'000'000'000};
    record.clocks_end = ClockPair{1'700'000'001'000'000'000, 6'000'000'000};
    record.spans_file = spans_file;
    EXPECT_TRUE(write_capture_record(dir.string(), record).has_value());
    return dir;
  }

  fs::path root_;
};

TEST_F(CaptureDirTest, MadeByRunGivesPerfDataSpansClocksAndOutputs) {
  fs::path dir = made_by_run("run", "spans.jsonl");
  write(dir / "spans.jsonl", "{}\n");
  write(dir / "spans-receiver.pb", "");
  write(dir / "notes.txt", "not a span file");
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_EQ(capture->perf_data, (dir / "perf.data").string());
  ASSERT_EQ(capture->span_files.size(), 2u);
  EXPECT_EQ(capture->span_files[0], (dir / "spans-receiver.pb").string());
  EXPECT_EQ(capture->span_files[1], (dir / "spans.jsonl").string());
  EXPECT_EQ(capture->profile, (dir / "profile.pb.gz").string());
  EXPECT_EQ(capture->summary, (dir / "summary.json").string());
  ASSERT_TRUE(capture->start_clocks().has_value());
  EXPECT_EQ(capture->start_clocks()->monotonic_ns, 5'000'000'000);
  EXPECT_EQ(capture->executable_name(), "server");
  EXPECT_TRUE(capture->warnings.empty());
}

TEST_F(CaptureDirTest, MadeByHandNeedsOnlyPerfData) {
  fs::path dir = root_ / "hand";
  write(dir / "perf.data", "PERFILE2");
  write(dir / "spans-a.jsonl.gz", "");
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_FALSE(capture->record.has_value());
  EXPECT_FALSE(capture->start_clocks().has_value());
  EXPECT_EQ(capture->span_files.size(), 1u);
  EXPECT_EQ(capture->executable_name(), "");
}

TEST_F(CaptureDirTest, CutShortKeepsTheStartClocks) {
  fs::path dir = root_ / "cut";
  write(dir / "perf.data", "PERFILE2");
  CaptureRecord record;  // state "recording", no end clocks, no exit
  record.clocks_start = {1'700'000'000'000'000'000, 42};
  ASSERT_TRUE(write_capture_record(dir.string(), record).has_value());
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_EQ(capture->record->state, "recording");
  ASSERT_TRUE(capture->start_clocks().has_value());
  EXPECT_EQ(capture->start_clocks()->monotonic_ns, 42);
  EXPECT_FALSE(capture->record->clocks_end.has_value());
}

TEST_F(CaptureDirTest, SpansElsewhereAreJoinedToo) {
  fs::path elsewhere = root_ / "elsewhere" / "s.jsonl";
  write(elsewhere, "{}\n");
  fs::path dir = made_by_run("run", elsewhere.string());
  write(dir / "spans-receiver.pb", "");
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  ASSERT_EQ(capture->span_files.size(), 2u);
  EXPECT_EQ(capture->span_files[1], elsewhere.string());
}

TEST_F(CaptureDirTest, SpansElsewhereThatAreGoneAreAWarningNotSilence) {
  fs::path dir = made_by_run("run", (root_ / "gone" / "s.jsonl").string());
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  EXPECT_TRUE(capture->span_files.empty());
  ASSERT_EQ(capture->warnings.size(), 1u);
  EXPECT_EQ(capture->warnings[0].kind, WarningKind::kCapture);
  EXPECT_NE(capture->warnings[0].message.find("gone/s.jsonl"), std::string::npos);
  EXPECT_NE(capture->warnings[0].message.find("--spans"), std::string::npos);
  EXPECT_NE(capture->warnings[0].where.find("capture.json"), std::string::npos);
}

TEST_F(CaptureDirTest, AMovedDirectoryKeepsItsRelativeSpansFile) {
  fs::path dir = made_by_run("run", "app-spans/out.jsonl");
  write(dir / "app-spans" / "out.jsonl", "{}\n");
  fs::path moved = root_ / "moved";
  fs::rename(dir, moved);
  auto capture = open_capture(moved.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  ASSERT_EQ(capture->span_files.size(), 1u);
  EXPECT_EQ(capture->span_files[0], (moved / "app-spans" / "out.jsonl").string());
  EXPECT_TRUE(capture->warnings.empty());
}

TEST_F(CaptureDirTest, AMovedVersion1CaptureFindsItsSpansInside) {
  // spanprof 0.1 wrote the absolute path of DIR/spans.jsonl.
  fs::path dir = root_ / "old";
  write(dir / "perf.data", "PERFILE2");
  write(dir / "spans.jsonl", "{}\n");
  write(dir / "capture.json",
        R"({"schema": "spanprof.capture/1", "state": "finished", "command": ["./app"],
            "options": {"frequency_hz": 999, "call_graph": "fp", "event": null,
                        "user_space_only": false},
            "clocks": {"start": {"realtime_ns": 1, "monotonic_ns": 2}, "end": null},
            "exit": {"code": 0, "signal": null, "shell_code": 0, "terminal_signal": null},
            "spans": {"file": "/somewhere/else/old/spans.jsonl", "receiver": null}})");
  auto capture = open_capture(dir.string());
  ASSERT_TRUE(capture.has_value()) << capture.error().to_string();
  ASSERT_EQ(capture->span_files.size(), 1u);
  EXPECT_TRUE(capture->warnings.empty());
  EXPECT_EQ(capture->record->options.frequency_hz, 999);
  EXPECT_FALSE(capture->record->sample_frequency_hz.has_value());
  ASSERT_TRUE(capture->record->exit.has_value());
  EXPECT_EQ(capture->record->exit->code, 0);
}

TEST_F(CaptureDirTest, UnusableDirectoriesAreErrorsNamingThePath) {
  auto missing = open_capture((root_ / "nonexistent").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().to_string().find("nonexistent"), std::string::npos);
  EXPECT_EQ(missing.error().message, "no such directory");

  write(root_ / "file", "x");
  EXPECT_FALSE(open_capture((root_ / "file").string()).has_value());

  fs::create_directories(root_ / "empty");
  auto empty = open_capture((root_ / "empty").string());
  ASSERT_FALSE(empty.has_value());
  EXPECT_NE(empty.error().message.find("no perf.data"), std::string::npos);
  // A caller that brings its own perf.data (join DIR --perf-data FILE) takes the rest.
  auto without = open_capture((root_ / "empty").string(), false);
  ASSERT_TRUE(without.has_value()) << without.error().to_string();
  EXPECT_TRUE(without->span_files.empty());
}

TEST_F(CaptureDirTest, ADamagedCaptureJsonIsAnErrorNotIgnored) {
  fs::path dir = root_ / "damaged";
  write(dir / "perf.data", "PERFILE2");
  for (const char* text : {"{\"schema\": \"spanprof.capture/2\", \"spans\": ",
                           "[1, 2]",
                           "{\"schema\": \"spanprof.capture/9\"}",
                           "{\"state\": \"finished\"}",
                           "{\"schema\": \"spanprof.capture/2\", \"spans\": {\"file\": 7}}",
                           "{\"schema\": \"spanprof.capture/2\", \"command\": \"./app\"}"}) {
    write(dir / "capture.json", text);
    auto capture = open_capture(dir.string());
    ASSERT_FALSE(capture.has_value()) << text;
    EXPECT_NE(capture.error().where.find("capture.json"), std::string::npos) << text;
  }
}

TEST_F(CaptureDirTest, RecordRoundTripsThroughJson) {
  CaptureRecord record;
  record.state = "finished";
  record.command = {"sh", "-c", "echo \"hi\""};
  record.app_pid = 12;
  record.perf_pid = 11;
  record.perf_command = {"perf", "record"};
  record.perf_version = "perf version 6.1";
  record.kernel_release = "6.1.0";
  record.spanprof_version = "0.1.0";
  record.options = {4000, "dwarf,8192", "cpu-clock", true, true, "dwarf,4096"};
  record.sample_frequency_hz = 1000;
  record.clocks_start = {10, 20};
  record.clocks_end = ClockPair{30, 40};
  record.exit = RecordedExit{std::nullopt, 9, 137, 0};
  record.spans_file = "spans.jsonl";
  record.receiver = RecordedReceiver{"http://127.0.0.1:4318/v1/traces", true,
                                     RecordedReceiverStats{1, 2, 3, 4, 5, 6, 7, 8, 9}};
  record.push = RecordedPush{-5, 77};
  auto parsed = parse_capture_record(capture_record_json(record), "capture.json");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(capture_record_json(*parsed), capture_record_json(record));
  EXPECT_EQ(parsed->sample_frequency_hz, 1000);
  EXPECT_FALSE(parsed->exit->code.has_value());
  EXPECT_EQ(parsed->receiver->stats->bytes_written, 9u);
  EXPECT_TRUE(parsed->options.off_cpu);
  EXPECT_EQ(parsed->options.off_cpu_stacks, "dwarf,4096");
}

TEST_F(CaptureDirTest, RecordPushKeepsEverythingElse) {
  fs::path dir = made_by_run("run", "spans.jsonl");
  ASSERT_TRUE(record_push(dir.string(), RecordedPush{30'000'000'000, 99}).has_value());
  auto record = read_capture_record(dir.string());
  ASSERT_TRUE(record.has_value());
  ASSERT_TRUE(record->push.has_value());
  EXPECT_EQ(record->push->shift_ns, 30'000'000'000);
  EXPECT_EQ(record->command.size(), 3u);
  EXPECT_EQ(record->clocks_start.monotonic_ns, 5'000'000'000);
  // Without capture.json there is nothing to record into.
  fs::create_directories(root_ / "bare");
  EXPECT_TRUE(record_push((root_ / "bare").string(), RecordedPush{1, 2}).has_value());
  EXPECT_FALSE(fs::exists(root_ / "bare" / "capture.json"));
}

TEST_F(CaptureDirTest, DefaultNamesAreNeverShared) {
  std::string base = (root_ / "spanprof-20261201-101500").string();
  auto first = create_capture_dir(base, false, true);
  auto second = create_capture_dir(base, false, true);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_EQ(first->path, base);
  EXPECT_EQ(second->path, base + "-2");
  EXPECT_TRUE(fs::exists(fs::path(second->path) / "capture.json"));
}

TEST_F(CaptureDirTest, AClaimedDirectoryIsNotTakenTwice) {
  std::string dir = (root_ / "out").string();
  ASSERT_TRUE(create_capture_dir(dir, false).has_value());
  auto again = create_capture_dir(dir, false);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("not empty"), std::string::npos);
  // An existing empty directory is taken.
  fs::create_directories(root_ / "empty");
  EXPECT_TRUE(create_capture_dir((root_ / "empty").string(), false).has_value());
}

TEST_F(CaptureDirTest, ForceRemovesTheEarlierCaptureIncludingItsPushState) {
  fs::path dir = made_by_run("run", "spans.jsonl");
  for (const char* name : {"spans.jsonl", "spans-receiver.pb", "profile.pb.gz", "summary.json",
                           "push.json", "perf.data.old", "capture.json.tmp-12-0"}) {
    write(dir / name, "x");
  }
  write(dir / "outbox" / "000001-profile.body", "batch");
  write(dir / "outbox" / "000001-profile.json", "{}");
  write(dir / "notes.txt", "the user's");
  fs::create_directories(dir / "spans-dir.jsonl");  // a directory is not a capture file
  auto created = create_capture_dir(dir.string(), true);
  ASSERT_TRUE(created.has_value()) << created.error().to_string();
  EXPECT_FALSE(fs::exists(dir / "outbox"));
  EXPECT_FALSE(fs::exists(dir / "push.json"));
  EXPECT_FALSE(fs::exists(dir / "perf.data"));
  EXPECT_FALSE(fs::exists(dir / "capture.json.tmp-12-0"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_TRUE(fs::exists(dir / "spans-dir.jsonl"));
  auto record = read_capture_record(dir.string());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->state, "preparing");
  EXPECT_NE(std::find(created->removed.begin(), created->removed.end(), "outbox/"),
            created->removed.end());
}

TEST(CaptureLayoutTest, NamesSpanAndCaptureFiles) {
  EXPECT_TRUE(is_span_file_name("spans.jsonl"));
  EXPECT_TRUE(is_span_file_name("spans-receiver.pb"));
  EXPECT_TRUE(is_span_file_name("spans-x.json.gz"));
  EXPECT_FALSE(is_span_file_name("myspans.jsonl"));
  EXPECT_FALSE(is_span_file_name("spans.txt"));
  EXPECT_TRUE(is_capture_file_name("outbox"));
  EXPECT_TRUE(is_capture_file_name("push.json"));
  EXPECT_TRUE(is_capture_file_name(".preflight.data.old"));
  EXPECT_TRUE(is_capture_file_name("summary.json.tmp-3-4"));
  EXPECT_FALSE(is_capture_file_name("notes.txt"));
  EXPECT_FALSE(is_capture_file_name("perf.data.txt"));
}

}  // namespace
}  // namespace spanprof::capture
