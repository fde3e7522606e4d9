// perf record's command line from PerfOptions, with and without --off-cpu, and
// the option checks that run before perf does: no perf needed.
#include "record/perf_launcher.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace spanprof::record {
namespace {

std::vector<std::string> argv_of(const PerfOptions& options) {
  return perf_record_argv("/usr/bin/perf", options, "/tmp/DIR/perf.data", {"./app", "--x"});
}

// The arguments between `record` and `--`.
std::vector<std::string> perf_args(const PerfOptions& options) {
  std::vector<std::string> argv = argv_of(options);
  auto dashes = std::find(argv.begin(), argv.end(), "--");
  return std::vector<std::string>(argv.begin() + 2, dashes);
}

TEST(PerfRecordArgv, WithoutOffCpuSamplesAtFrequency) {
  PerfOptions options;
  EXPECT_EQ(argv_of(options),
            (std::vector<std::string>{"/usr/bin/perf", "record", "-F", "999", "-g", "-k",
                                      "monotonic", "--buildid-mmap", "-N", "-o",
                                      "/tmp/DIR/perf.data", "--", "./app", "--x"}));
}

TEST(PerfRecordArgv, OffCpuTakesEverySwitchWithDwarfStacksAndCpuClockAtFrequency) {
  PerfOptions options;
  options.off_cpu = true;
  options.frequency_hz = 499;
  EXPECT_EQ(perf_args(options),
            (std::vector<std::string>{
                "-c", "1", "-e", "cpu-clock/freq=499/", "-e",
                "sched:sched_switch/call-graph=dwarf,stack-size=" +
                    std::to_string(kOffCpuStackBytes) + "/",
                "--switch-events", "-g", "-k", "monotonic", "--buildid-mmap", "-N", "-o",
                "/tmp/DIR/perf.data", "-m", std::to_string(kOffCpuMmapPages)}));
  // FACTS: perf refuses -F with -c.
  auto args = perf_args(options);
  EXPECT_EQ(std::find(args.begin(), args.end(), "-F"), args.end());
}

TEST(PerfRecordArgv, OffCpuStacksAndRingBufferAsAsked) {
  PerfOptions options;
  options.off_cpu = true;
  options.off_cpu_stacks = "dwarf,4096";
  options.call_graph = "dwarf,16384";
  options.mmap_pages = 256;
  auto args = perf_args(options);
  EXPECT_EQ(args[5], "sched:sched_switch/call-graph=dwarf,stack-size=4096/");
  // The sampling event keeps the user's --call-graph.
  EXPECT_EQ(args[7], "--call-graph");
  EXPECT_EQ(args[8], "dwarf,16384");
  EXPECT_EQ(args[args.size() - 1], "256");
  EXPECT_EQ(args[args.size() - 2], "-m");
  options.off_cpu_stacks = "fp";
  EXPECT_EQ(perf_args(options)[5], "sched:sched_switch/call-graph=fp/");
}

TEST(PerfRecordArgv, OffCpuGivesTheUsersEventTheFrequency) {
  PerfOptions options;
  options.off_cpu = true;
  auto event_for = [&options](const std::string& event) {
    options.event = event;
    return off_cpu_sampling_event(options);
  };
  EXPECT_EQ(event_for(""), "cpu-clock/freq=999/");
  EXPECT_EQ(event_for("cycles"), "cycles/freq=999/");
  EXPECT_EQ(event_for("cycles:u"), "cycles/freq=999/u");
  EXPECT_EQ(event_for("cpu/event=0x3c/"), "cpu/event=0x3c,freq=999/");
  EXPECT_EQ(event_for("cpu/event=0x3c/k"), "cpu/event=0x3c,freq=999/k");
  EXPECT_EQ(event_for("cpu//"), "cpu/freq=999/");
  // The user's own rate stands.
  EXPECT_EQ(event_for("cpu-clock/period=100000/"), "cpu-clock/period=100000/");
  EXPECT_EQ(event_for("cpu/event=0x3c,freq=99/"), "cpu/event=0x3c,freq=99/");
  // -e appears twice only: the sampling event and sched_switch.
  options.event = "cycles";
  auto args = perf_args(options);
  EXPECT_EQ(std::count(args.begin(), args.end(), "-e"), 2);
}

TEST(ValidateOptions, OffCpuRefusesATracepointAsTheSamplingEvent) {
  PerfOptions options;
  options.off_cpu = true;
  options.event = "sched:sched_wakeup";
  auto checked = validate_options(options);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find("a tracepoint takes no frequency"), std::string::npos);
  options.event = "cycles:ppp";
  EXPECT_TRUE(validate_options(options).has_value());
  // Without --off-cpu a tracepoint is the user's to sample.
  options.off_cpu = false;
  options.event = "sched:sched_wakeup";
  EXPECT_TRUE(validate_options(options).has_value());
}

TEST(ValidateOptions, OffCpuStacksAndMmapPages) {
  PerfOptions options;
  options.off_cpu = true;
  for (const char* good : {"dwarf", "fp", "dwarf,4096", "dwarf,65528"}) {
    options.off_cpu_stacks = good;
    EXPECT_TRUE(validate_options(options).has_value()) << good;
  }
  for (const char* bad : {"lbr", "dwarf,", "dwarf,0", "dwarf,65536", "dwarf,8k", ""}) {
    options.off_cpu_stacks = bad;
    auto checked = validate_options(options);
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_TRUE(checked.error().message.starts_with("--off-cpu-stacks")) << bad;
  }
  options.off_cpu_stacks = "dwarf";
  for (int good : {0, 1, 128, 4096}) {
    options.mmap_pages = good;
    EXPECT_TRUE(validate_options(options).has_value()) << good;
  }
  for (int bad : {-1, 3, 1000, 1 << 19}) {
    options.mmap_pages = bad;
    auto checked = validate_options(options);
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_TRUE(checked.error().message.starts_with("--mmap-pages")) << bad;
  }
}

}  // namespace
}  // namespace spanprof::record
