// Event names: the recorded one, else perf's name for a generic event, else the
// ABI numbers. Every generic name here was checked against `perf evlist` 6.1 on
// captures whose attr was rewritten and EVENT_DESC removed, except bpf-output and
// cgroup-switches (software configs 10, 11), which perf 6.1 predates
// ("unknown-software"; later perf names them so).
#include <gtest/gtest.h>

#include "perfdata/event_attr.h"

namespace spanprof::perfdata {
namespace {

constexpr uint64_t kExcludeUser = 1ULL << 4, kExcludeKernel = 1ULL << 5, kExcludeHv = 1ULL << 6;
constexpr uint64_t kExcludeHost = 1ULL << 19, kExcludeGuest = 1ULL << 20;
constexpr uint64_t kPreciseIpShift = 15;

// What perf record sets for a plain `-e EVENT` (exclude_guest on, nothing else).
EventAttr attr(uint32_t type, uint64_t config, uint64_t flags = kExcludeGuest) {
  EventAttr a;
  a.type = type;
  a.config = config;
  a.flags = flags;
  return a;
}

uint64_t cache(uint64_t id, uint64_t op, uint64_t result) { return id | (op << 8) | (result << 16); }

TEST(EventNameTest, RecordedNameWins) {
  EventAttr a = attr(0, 5);
  a.name = "cpu/branch-misses/u";
  EXPECT_EQ(event_name(a), "cpu/branch-misses/u");
}

TEST(EventNameTest, HardwareEventsByConfig) {
  const char* expected[] = {"cycles",       "instructions",  "cache-references",
                            "cache-misses", "branches",      "branch-misses",
                            "bus-cycles",   "stalled-cycles-frontend", "stalled-cycles-backend",
                            "ref-cycles"};
  for (uint64_t config = 0; config < 10; ++config) {
    EXPECT_EQ(event_name(attr(0, config)), expected[config]) << config;
  }
  EXPECT_EQ(event_name(attr(0, 10)), "type 0 config 10");
}

TEST(EventNameTest, SoftwareEventsByConfig) {
  const char* expected[] = {"cpu-clock",        "task-clock",   "page-faults",
                            "context-switches", "cpu-migrations", "minor-faults",
                            "major-faults",     "alignment-faults", "emulation-faults",
                            "dummy",            "bpf-output",   "cgroup-switches"};
  for (uint64_t config = 0; config < 12; ++config) {
    EXPECT_EQ(event_name(attr(1, config)), expected[config]) << config;
  }
  EXPECT_EQ(event_name(attr(1, 12)), "type 1 config 12");
}

TEST(EventNameTest, HardwareCacheEventsAsPerfSpellsThem) {
  EXPECT_EQ(event_name(attr(3, cache(0, 0, 1))), "L1-dcache-load-misses");
  EXPECT_EQ(event_name(attr(3, cache(0, 0, 0))), "L1-dcache-loads");
  EXPECT_EQ(event_name(attr(3, cache(0, 1, 0))), "L1-dcache-stores");
  EXPECT_EQ(event_name(attr(3, cache(1, 2, 1))), "L1-icache-prefetch-misses");
  EXPECT_EQ(event_name(attr(3, cache(2, 1, 1))), "LLC-store-misses");
  EXPECT_EQ(event_name(attr(3, cache(3, 2, 0))), "dTLB-prefetches");
  EXPECT_EQ(event_name(attr(3, cache(4, 0, 1))), "iTLB-load-misses");
  EXPECT_EQ(event_name(attr(3, cache(5, 0, 0))), "branch-loads");
  EXPECT_EQ(event_name(attr(3, cache(6, 0, 1))), "node-load-misses");
  // Combinations perf calls invalid (iTLB has no stores), and ids past its tables.
  EXPECT_EQ(event_name(attr(3, cache(4, 1, 0))), "type 3 config 260");
  EXPECT_EQ(event_name(attr(3, cache(7, 0, 0))), "type 3 config 7");
  EXPECT_EQ(event_name(attr(3, cache(0, 3, 0))), "type 3 config 768");
  EXPECT_EQ(event_name(attr(3, cache(0, 0, 2))), "type 3 config 131072");
  EXPECT_EQ(event_name(attr(3, cache(0, 0, 1) | (1ULL << 24))), "type 3 config 16842752");
}

// perf evlist 6.1 on these attrs. An exclusion makes excluding guests the
// default, so perf then says that the host is counted ("H").
TEST(EventNameTest, ModifiersAsPerfAppendsThem) {
  EXPECT_EQ(event_name(attr(0, 0, kExcludeGuest | kExcludeKernel | kExcludeHv)), "cycles:uH");
  EXPECT_EQ(event_name(attr(0, 0, kExcludeGuest | kExcludeUser | kExcludeHv)), "cycles:kH");
  EXPECT_EQ(event_name(attr(0, 5, kExcludeGuest | (3ULL << kPreciseIpShift))),
            "branch-misses:pppH");
  EXPECT_EQ(event_name(attr(0, 0, kExcludeGuest | kExcludeKernel | kExcludeHv |
                                      (1ULL << kPreciseIpShift))),
            "cycles:upH");
  EXPECT_EQ(event_name(attr(1, 0, 0)), "cpu-clock:HG");
  EXPECT_EQ(event_name(attr(1, 0, kExcludeHost)), "cpu-clock:G");
}

TEST(EventNameTest, OtherTypesKeepTheirNumbers) {
  EXPECT_EQ(event_name(attr(2, 316)), "type 2 config 316");  // a tracepoint without its name
  EXPECT_EQ(event_name(attr(8, 0x2c)), "type 8 config 44");  // a dynamic PMU
}

}  // namespace
}  // namespace spanprof::perfdata
