// The --off-cpu permission decision on injected facts (CI runs as root, so
// the refusals are only reachable this way): what is missing, where, and the fix.
#include "record/tracepoint_access.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace spanprof::record {
namespace {

TracepointAccessFacts unprivileged(int paranoid, TracefsState tracing) {
  TracepointAccessFacts facts;
  facts.paranoid = paranoid;
  facts.perf_path = "/usr/bin/perf";
  facts.tracefs = {{"/sys/kernel/tracing", tracing},
                   {"/sys/kernel/debug/tracing", TracefsState::kMissing}};
  return facts;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(TracepointAccess, RootNeedsNothingMore) {
  TracepointAccessFacts facts = unprivileged(2, TracefsState::kMissing);
  facts.root = true;
  EXPECT_TRUE(check_tracepoint_access(facts).has_value());
}

TEST(TracepointAccess, ParanoidAboveMinusOneWithoutPerfmonIsRefusedWithTheFixes) {
  for (int paranoid : {0, 1, 2, 4}) {
    auto checked = check_tracepoint_access(unprivileged(paranoid, TracefsState::kReadable));
    ASSERT_FALSE(checked.has_value()) << paranoid;
    const Error& error = checked.error();
    EXPECT_TRUE(contains(error.message, "perf_event_paranoid is " + std::to_string(paranoid)));
    EXPECT_TRUE(contains(error.message, "/usr/bin/perf has no CAP_PERFMON"));
    EXPECT_EQ(error.where, "/proc/sys/kernel/perf_event_paranoid");
    EXPECT_TRUE(contains(error.hint, "sysctl kernel.perf_event_paranoid=-1"));
    EXPECT_TRUE(contains(error.hint, "setcap cap_perfmon+ep /usr/bin/perf"));
    EXPECT_FALSE(contains(error.message, "does not inherit"));
  }
}

TEST(TracepointAccess, SpanprofsOwnCapabilityThatPerfDoesNotInheritIsSaidSo) {
  TracepointAccessFacts facts = unprivileged(2, TracefsState::kReadable);
  facts.spanprof_has_perfmon = true;
  auto checked = check_tracepoint_access(facts);
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(contains(checked.error().message, "perf does not inherit it"));
}

TEST(TracepointAccess, PerfmonOrParanoidMinusOneWithReadableTracefsIsEnough) {
  TracepointAccessFacts facts = unprivileged(2, TracefsState::kReadable);
  facts.perf_has_perfmon = true;
  EXPECT_TRUE(check_tracepoint_access(facts).has_value());
  EXPECT_TRUE(check_tracepoint_access(unprivileged(-1, TracefsState::kReadable)).has_value());
  // Either mount point will do.
  facts = unprivileged(-1, TracefsState::kMissing);
  facts.tracefs[1].state = TracefsState::kReadable;
  EXPECT_TRUE(check_tracepoint_access(facts).has_value());
}

TEST(TracepointAccess, RootOnlyTracefsNamesTheFileAndTheRemount) {
  auto checked = check_tracepoint_access(unprivileged(-1, TracefsState::kDenied));
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().where, "/sys/kernel/tracing/events/sched/sched_switch/id");
  EXPECT_TRUE(contains(checked.error().hint, "mount -o remount,mode=755 /sys/kernel/tracing"));
  // The permission is told first: fixing tracefs alone would not do.
  checked = check_tracepoint_access(unprivileged(1, TracefsState::kDenied));
  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().where, "/proc/sys/kernel/perf_event_paranoid");
}

TEST(TracepointAccess, UnmountedTracefsGivesTheMountCommand) {
  auto checked = check_tracepoint_access(unprivileged(-1, TracefsState::kMissing));
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(contains(checked.error().message,
                       "not mounted (checked /sys/kernel/tracing, /sys/kernel/debug/tracing)"));
  EXPECT_EQ(checked.error().hint, "sudo mount -t tracefs nodev /sys/kernel/tracing");
}

TEST(TracepointAccess, AKernelWithoutTheTracepointIsToldApart) {
  auto checked = check_tracepoint_access(unprivileged(-1, TracefsState::kNoEvent));
  ASSERT_FALSE(checked.has_value());
  EXPECT_TRUE(contains(checked.error().message, "no sched:sched_switch tracepoint"));
}

TEST(TracepointAccess, TheProbeReadsThisMachinesTracefs) {
  TracepointAccessFacts facts = probe_tracepoint_access("/usr/bin/perf");
  if (!facts.root) GTEST_SKIP() << "not root: tracefs is likely closed to this user";
  ASSERT_EQ(facts.tracefs.size(), 2u);
  EXPECT_EQ(facts.tracefs[0].mount, "/sys/kernel/tracing");
  for (const TracefsProbe& probe : facts.tracefs) {
    std::error_code ignored;
    bool present =
        std::filesystem::exists(probe.mount + "/events/sched/sched_switch/id", ignored);
    EXPECT_EQ(probe.state == TracefsState::kReadable, present) << probe.mount;
  }
}

}  // namespace
}  // namespace spanprof::record
