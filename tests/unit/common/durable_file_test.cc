#include "common/durable_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/json_writer.h"

namespace spanprof {
namespace {

namespace fs = std::filesystem;

class DurableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spanprof-durable-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(DurableFileTest, ReplacesTheFileWholeAndLeavesNoTemporary) {
  std::string path = (dir_ / "summary.json").string();
  ASSERT_TRUE(write_file_durably(path, "old").has_value());
  ASSERT_TRUE(write_file_durably(path, std::string(100000, 'x')).has_value());
  EXPECT_EQ(read(path), std::string(100000, 'x'));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(DurableFileTest, AFailedWriteKeepsTheOldFileAndNamesThePath) {
  std::string path = (dir_ / "missing-dir" / "profile.pb.gz").string();
  auto written = write_file_durably(path, "bytes");
  ASSERT_FALSE(written.has_value());
  EXPECT_NE(written.error().where.find("missing-dir"), std::string::npos);
  EXPECT_NE(written.error().message.find("cannot create"), std::string::npos);
}

TEST_F(DurableFileTest, RecognizesItsOwnTemporariesOnly) {
  EXPECT_TRUE(is_durable_temporary("capture.json.tmp-1234-0"));
  EXPECT_TRUE(is_durable_temporary("000001-profile.body.tmp-9-12"));
  EXPECT_FALSE(is_durable_temporary("capture.json"));
  EXPECT_FALSE(is_durable_temporary("capture.json.tmp"));
  EXPECT_FALSE(is_durable_temporary("capture.json.tmp-12"));
  EXPECT_FALSE(is_durable_temporary("capture.json.tmp-12-"));
  EXPECT_FALSE(is_durable_temporary("capture.json.tmp-1a-2"));
  EXPECT_FALSE(is_durable_temporary(".tmp-1-2"));
}

TEST_F(DurableFileTest, ReadSmallFileRefusesLargeAndNonRegularFiles) {
  std::string path = (dir_ / "push.json").string();
  ASSERT_TRUE(write_file_durably(path, "0123456789").has_value());
  auto whole = read_small_file(path);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(*whole, "0123456789");
  auto too_large = read_small_file(path, 5);
  ASSERT_FALSE(too_large.has_value());
  EXPECT_EQ(too_large.error().where, path);
  EXPECT_FALSE(read_small_file(dir_.string()).has_value());
  EXPECT_FALSE(read_small_file((dir_ / "absent").string()).has_value());
}

TEST(JsonWriterTest, CompactKeepsOrderEscapesAndSeparates) {
  JsonWriter json;
  json.begin_object();
  json.field("name", "a\"b\n");
  json.field("count", uint64_t{3});
  json.field("delta", int64_t{-2});
  json.field("share", 0.5);
  json.field("ok", true);
  json.null_field("none");
  json.begin_array("list");
  json.value("x");
  json.value(int64_t{7});
  json.end_array();
  json.begin_object("empty");
  json.end_object();
  json.raw_field("raw", "[1,2]");
  json.end_object();
  EXPECT_EQ(json.take(),
            "{\"name\":\"a\\\"b\\n\",\"count\":3,\"delta\":-2,\"share\":0.5000,\"ok\":true,"
            "\"none\":null,\"list\":[\"x\",7],\"empty\":{},\"raw\":[1,2]}\n");
}

TEST(JsonWriterTest, PrettyPutsMembersOnTheirOwnLines) {
  JsonWriter json(JsonWriter::Style::kPretty);
  json.begin_object();
  json.field("a", int64_t{1});
  json.begin_object("b");
  json.field("c", "d");
  json.end_object();
  json.begin_array("e");
  json.end_array();
  json.end_object();
  EXPECT_EQ(json.take(), "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"d\"\n  },\n  \"e\": []\n}\n");
}

}  // namespace
}  // namespace spanprof
