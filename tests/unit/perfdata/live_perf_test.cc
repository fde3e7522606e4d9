// Reads captures written by the real `perf record` on this machine. Skipped when
// perf is missing or cannot record (no permission, no perf_event support).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT

// A shell loop: long enough for a few dozen cpu-clock samples at a 100 us period.
constexpr const char* kWorkload =
    "sh -c 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done'";

class LivePerfTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LivePerfTest, SamplesMmapsCommAndClockDataArrive) {
  const std::string mode = GetParam();
  if (std::system("perf --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "perf is not installed";
  const std::string path = temp_path("live_" + mode + ".data");
  std::string options = "-e cpu-clock -c 100000 -g -k monotonic -N";
  if (mode == "zstd") options += " -z";
  std::string command = "perf record -q " + options;
  if (mode == "pipe") {
    command += " -o - -- " + std::string(kWorkload) + " > " + path + " 2>/dev/null";
  } else {
    command += " -o " + path + " -- " + std::string(kWorkload) + " > /dev/null 2>&1";
  }
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "perf record failed: " << command;

  auto reader = Reader::open(path);
  ASSERT_TRUE(reader) << reader.error().to_string();
  Collector seen(&(*reader)->info());
  auto stats = (*reader)->read_records(seen);
  ASSERT_TRUE(stats);
  const CaptureInfo& info = (*reader)->info();
  EXPECT_FALSE(stats->damage) << stats->damage->to_string();
  EXPECT_EQ(info.pipe_mode, mode == "pipe");
  ASSERT_FALSE(info.attrs.empty());
  EXPECT_TRUE(info.attrs[0].use_clockid());
  EXPECT_EQ(info.attrs[0].clockid, 1);  // CLOCK_MONOTONIC
  ASSERT_TRUE(info.clock_data) << "perf record -k writes CLOCK_DATA";
  EXPECT_GT(info.clock_data->tod_ns, 1600000000000000000ULL);
  EXPECT_GT(seen.samples.size(), 5u);
  EXPECT_GT(seen.mmaps.size(), 0u);
  EXPECT_GT(seen.comms.size(), 0u);
  EXPECT_EQ(stats->samples_without_attr, 0u);
  EXPECT_EQ(stats->undecodable_records, 0u);
  if (mode == "zstd") {
    EXPECT_GT(stats->compressed_records, 0u);
  }
  uint64_t previous = 0;
  size_t out_of_order = 0;
  for (const auto& s : seen.samples) {
    if (s.time < previous) ++out_of_order;
    previous = s.time;
    EXPECT_FALSE(s.callchain.empty());
  }
  EXPECT_EQ(out_of_order, 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, LivePerfTest, ::testing::Values("file", "pipe", "zstd"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace spanprof::perfdata
