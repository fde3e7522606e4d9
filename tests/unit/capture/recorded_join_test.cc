// capture.json's "join" key: the span-matching options a join was given.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "capture/capture_record.h"

namespace spanprof::capture {
namespace {

namespace fs = std::filesystem;

class RecordedJoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-recorded-join-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    CaptureRecord record;
    record.state = "finished";
    record.command = {"/usr/bin/server"};
    record.spans_file = "spans.jsonl";
    ASSERT_TRUE(write_capture_record(dir_.string(), record).has_value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(RecordedJoinTest, RoundTripsAndKeepsTheRestOfCaptureJson) {
  RecordedJoin join;
  join.tid_attribute = "tid";
  join.clock_offset_ns = -250;
  join.span_files = {(dir_ / "extra" / "spans-b.jsonl").string(), "/elsewhere/spans.pb"};
  join.max_spans = 1000;
  join.span_scope = "innermost";
  ASSERT_TRUE(record_join(dir_.string(), join).has_value());
  auto record = read_capture_record(dir_.string());
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(record->command.front(), "/usr/bin/server");
  ASSERT_TRUE(record->join.has_value());
  EXPECT_EQ(record->join->tid_attribute, "tid");
  EXPECT_EQ(record->join->clock_offset_ns, -250);
  // Inside DIR relative to it, so a moved directory keeps working.
  EXPECT_EQ(record->join->span_files,
            (std::vector<std::string>{"extra/spans-b.jsonl", "/elsewhere/spans.pb"}));
  EXPECT_TRUE(record->join->activation_files.empty());
  EXPECT_EQ(record->join->max_spans, 1000u);
  EXPECT_EQ(record->join->span_scope, "innermost");
  EXPECT_EQ(record->join->as_flags(),
            "--tid-attribute tid --clock-offset -250 --spans extra/spans-b.jsonl --spans "
            "/elsewhere/spans.pb --max-spans 1000 --span-scope innermost");
}

TEST_F(RecordedJoinTest, OptionsNotGivenStayAbsent) {
  RecordedJoin join;
  join.tid_attribute = "tid";
  ASSERT_TRUE(record_join(dir_.string(), join).has_value());
  auto record = read_capture_record(dir_.string());
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE(record->join->clock_offset_ns.has_value());
  EXPECT_FALSE(record->join->max_spans.has_value());
  EXPECT_FALSE(record->join->span_scope.has_value());
  EXPECT_FALSE(record->join->empty());
  EXPECT_EQ(record->join->as_flags(), "--tid-attribute tid");
}

TEST_F(RecordedJoinTest, AMistypedOrUnknownValueIsAnErrorNamingTheFile) {
  std::string base = capture_record_json(CaptureRecord{});
  std::string bad_scope = base.substr(0, base.rfind('}')) + ",\"join\": {\"span_scope\": \"leaf\"}}";
  auto parsed = parse_capture_record(bad_scope, "DIR/capture.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("span_scope"), std::string::npos);
  EXPECT_EQ(parsed.error().where, "DIR/capture.json");

  std::string bad_offset =
      base.substr(0, base.rfind('}')) + ",\"join\": {\"clock_offset_ns\": \"five\"}}";
  parsed = parse_capture_record(bad_offset, "DIR/capture.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("clock_offset_ns"), std::string::npos);
}

TEST_F(RecordedJoinTest, NothingIsRecordedWithoutCaptureJson) {
  fs::path bare = dir_ / "bare";
  fs::create_directories(bare);
  RecordedJoin join;
  join.tid_attribute = "tid";
  EXPECT_TRUE(record_join(bare.string(), join).has_value());
  EXPECT_FALSE(fs::exists(bare / "capture.json"));
}

}  // namespace
}  // namespace spanprof::capture
