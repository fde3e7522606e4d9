#include "receiver/trace_sink.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "receiver_test_util.h"

namespace spanprof::receiver {
namespace {

using testing::file_exists;
using testing::read_file;
using testing::split_length_prefixed;
using testing::TempDir;

TEST(TraceSink, AppendsLengthPrefixedProtobuf) {
  TempDir dir;
  auto sink = TraceSink::open(dir.path());
  ASSERT_TRUE(sink) << sink.error().to_string();
  EXPECT_FALSE(file_exists(dir.file(kProtobufFileName)));  // created on first use
  auto written = (*sink)->append_protobuf("abc");
  ASSERT_TRUE(written);
  EXPECT_EQ(*written, 7u);
  ASSERT_TRUE((*sink)->append_protobuf(std::string(300, 'x')));
  ASSERT_TRUE((*sink)->append_protobuf(""));
  std::string bytes = read_file(dir.file(kProtobufFileName));
  EXPECT_EQ(bytes.substr(0, 7), std::string("\0\0\0\x03"
                                            "abc",
                                            7));
  EXPECT_EQ(bytes.substr(7, 4), std::string("\0\0\x01\x2c", 4));
  auto records = split_length_prefixed(bytes);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1], std::string(300, 'x'));
  EXPECT_EQ(records[2], "");
  EXPECT_FALSE(file_exists(dir.file(kJsonFileName)));
}

TEST(TraceSink, AppendsJsonLines) {
  TempDir dir;
  auto sink = TraceSink::open(dir.path());
  ASSERT_TRUE(sink);
  ASSERT_TRUE((*sink)->append_json_line("{\"a\":1}"));
  ASSERT_TRUE((*sink)->append_json_line("{}"));
  EXPECT_EQ(read_file(dir.file(kJsonFileName)), "{\"a\":1}\n{}\n");
}

TEST(TraceSink, AppendsAfterAnEarlierRun) {
  TempDir dir;
  {
    auto sink = TraceSink::open(dir.path());
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->append_json_line("1"));
  }
  auto sink = TraceSink::open(dir.path());
  ASSERT_TRUE(sink);
  ASSERT_TRUE((*sink)->append_json_line("2"));
  EXPECT_EQ(read_file(dir.file(kJsonFileName)), "1\n2\n");
}

TEST(TraceSink, ConcurrentAppendsDoNotInterleave) {
  TempDir dir;
  auto sink = TraceSink::open(dir.path());
  ASSERT_TRUE(sink);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE((*sink)->append_protobuf(
            std::string(1000 + static_cast<size_t>(t), static_cast<char>('a' + t))));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto records = split_length_prefixed(read_file(dir.file(kProtobufFileName)));
  ASSERT_EQ(records.size(), 100u);
  for (const std::string& record : records) {
    ASSERT_FALSE(record.empty());
    size_t t = static_cast<size_t>(record[0] - 'a');
    EXPECT_EQ(record, std::string(1000 + t, record[0]));
  }
}

TEST(TraceSink, RefusesMissingDirectoryAndAppendsAfterClose) {
  TempDir dir;
  EXPECT_FALSE(TraceSink::open(dir.file("missing")));
  auto sink = TraceSink::open(dir.path());
  ASSERT_TRUE(sink);
  (*sink)->close();
  EXPECT_FALSE((*sink)->append_json_line("{}"));
}

}  // namespace
}  // namespace spanprof::receiver
