// Reads captures written by the real `perf record` on this machine. Skipped when
// perf is missing or cannot record (no permission, no perf_event support).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "perfdata/tracepoint_fields.h"
#include "perfdata/tracing_data.h"
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

// `spanprof run --off-cpu`'s events: sched_switch samples with RAW, switch records
// and TRACING_DATA. The formats must give the offsets tracefs shows on this kernel,
// and the sample's own prev_pid (read through them) is the sampled thread.
class LiveSchedSwitchTest : public ::testing::TestWithParam<const char*> {};

TEST_P(LiveSchedSwitchTest, FormatsSwitchesAndRawAgreeWithTheKernel) {
  const std::string mode = GetParam();
  if (std::system("perf --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "perf is not installed";
  const std::string path = temp_path("live_sched_" + mode + ".data");
  std::string command = "perf record -q -e sched:sched_switch -g --switch-events -c 1";
  if (mode == "pipe") {
    command += " -o - -- sleep 0.05 > " + path + " 2>/dev/null";
  } else {
    command += " -o " + path + " -- sleep 0.05 > /dev/null 2>&1";
  }
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "perf record failed: " << command;

  auto reader = Reader::open(path);
  ASSERT_TRUE(reader) << reader.error().to_string();
  Collector seen(&(*reader)->info());
  auto stats = (*reader)->read_records(seen);
  ASSERT_TRUE(stats);
  const CaptureInfo& info = (*reader)->info();
  EXPECT_FALSE(stats->damage) << stats->damage->to_string();
  EXPECT_TRUE(info.warnings.empty()) << info.warnings[0];
  EXPECT_EQ(stats->undecodable_records, 0u);
  ASSERT_EQ(info.attrs.size(), 1u);
  EXPECT_EQ(info.attrs[0].type, 2u);
  EXPECT_EQ(info.attrs[0].name, "sched:sched_switch");
  const TracepointFormat* format = nullptr;
  for (const auto& f : info.tracepoints) {
    if (f.system == "sched" && f.name == "sched_switch") format = &f;
  }
  ASSERT_NE(format, nullptr) << info.tracepoints.size() << " formats";
  EXPECT_EQ(format->id, info.attrs[0].config);

  std::ifstream tracefs("/sys/kernel/tracing/events/sched/sched_switch/format");
  if (tracefs) {
    std::stringstream text;
    text << tracefs.rdbuf();
    auto kernel = parse_event_format(text.str(), "sched");
    ASSERT_TRUE(kernel) << kernel.error().to_string();
    EXPECT_EQ(kernel->id, format->id);
    ASSERT_EQ(kernel->fields.size(), format->fields.size());
    for (size_t i = 0; i < kernel->fields.size(); ++i) {
      EXPECT_EQ(kernel->fields[i].name, format->fields[i].name);
      EXPECT_EQ(kernel->fields[i].offset, format->fields[i].offset) << kernel->fields[i].name;
      EXPECT_EQ(kernel->fields[i].size, format->fields[i].size) << kernel->fields[i].name;
    }
  }

  EXPECT_GT(stats->switches, 0u);
  EXPECT_EQ(stats->switches, seen.switches.size());
  size_t outs = 0;
  for (const auto& sw : seen.switches) outs += sw.out ? 1 : 0;
  EXPECT_GT(outs, 0u);
  ASSERT_FALSE(seen.samples.empty());
  const TracepointField* prev_pid = format->field("prev_pid");
  ASSERT_NE(prev_pid, nullptr);
  for (const auto& s : seen.samples) {
    EXPECT_FALSE(s.callchain.empty());
    // The event fires in the context of the task leaving the CPU.
    EXPECT_EQ(read_signed_field(s.raw, *prev_pid), static_cast<int64_t>(s.tid));
    ASSERT_TRUE(read_unsigned_field(s.raw, *format->field("prev_state")));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LiveSchedSwitchTest, ::testing::Values("file", "pipe"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace spanprof::perfdata
