// Scheduler records: PERF_RECORD_SWITCH / SWITCH_CPU_WIDE (perf record
// --switch-events) in time order, and PERF_SAMPLE_RAW (a tracepoint's record) in
// samples, in file mode and pipe mode.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "perf_data_builder.h"
#include "perfdata/record_parsers.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

// What `perf record -e sched:sched_switch --switch-events -c 1` writes (perf 6.1):
// IP|TID|TIME|CALLCHAIN|CPU|PERIOD|RAW, sample_id_all.
TestAttr sched_switch_attr() {
  TestAttr a;
  a.type = 2;
  a.config = 372;
  a.sample_period = 1;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kCallchain | bits::kCpu |
                  bits::kPeriod | bits::kRaw;
  a.ids = {9};
  return a;
}

TestSampleId at(uint64_t time, uint32_t tid = 51, uint32_t cpu = 1) {
  return {.pid = 50, .tid = tid, .time = time, .cpu = cpu};
}

Bytes raw_of(size_t n, int first) {
  Bytes out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(first + static_cast<int>(i)));
  return out;
}

// Records in file order deliberately out of time order: the queue sorts them.
PerfDataBuilder switch_capture() {
  TestAttr a = sched_switch_attr();
  PerfDataBuilder b;
  b.attr(a);
  b.record(switch_record(a, true, true, at(300)));  // out, preempted
  b.record(switch_record(a, false, false, at(100)));
  TestSample s{.ip = 0xffffffff81000000, .pid = 50, .tid = 51, .time = 200, .cpu = 1};
  s.callchain = {0xffffffffffffff80ULL, 0xffffffff81000000};
  s.raw = raw_of(68, 1);  // sched_switch's record: 4 + 68 = 72, 8-aligned
  b.record(sample_record(a, s));
  b.record(switch_record(a, true, false, at(250)));  // out, sleeping
  b.record(finished_round_record());
  b.record(switch_record(a, false, false, at(400), true, 0, 0));  // CPU_WIDE in from swapper
  return b;
}

void expect_switch_capture(const ReadOutcome& out) {
  ASSERT_TRUE(out.seen);
  std::vector<std::string> kinds;
  std::vector<uint64_t> times;
  for (const auto& e : out.seen->order) {
    kinds.push_back(e.kind);
    times.push_back(e.time);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"switch-in", "sample", "switch-out", "switch-out",
                                             "switch-in"}));
  EXPECT_EQ(times, (std::vector<uint64_t>{100, 200, 250, 300, 400}));
  const auto& sw = out.seen->switches;
  ASSERT_EQ(sw.size(), 4u);
  EXPECT_FALSE(sw[0].out);
  EXPECT_FALSE(sw[0].cpu_wide);
  EXPECT_TRUE(sw[1].out);
  EXPECT_FALSE(sw[1].preempt);
  EXPECT_TRUE(sw[2].out);
  EXPECT_TRUE(sw[2].preempt);
  EXPECT_EQ(sw[2].sample_id.tid, 51u);
  EXPECT_EQ(sw[2].sample_id.cpu, 1u);
  EXPECT_TRUE(sw[3].cpu_wide);
  EXPECT_EQ(out.stats.switches, 4u);
  EXPECT_EQ(out.stats.undecodable_records, 0u);
  ASSERT_EQ(out.seen->samples.size(), 1u);
  EXPECT_EQ(out.seen->samples[0].raw, raw_of(68, 1));
  EXPECT_EQ(out.seen->samples[0].callchain.size(), 2u);
  EXPECT_FALSE(out.stats.damage);
}

TEST(SchedRecordsTest, SwitchRecordsComeInTimeOrderInFileMode) {
  expect_switch_capture(read_bytes(switch_capture().file_bytes(), "switch_file"));
}

TEST(SchedRecordsTest, SwitchRecordsComeInTimeOrderInPipeMode) {
  expect_switch_capture(read_bytes(switch_capture().pipe_bytes(), "switch_pipe"));
}

TEST(SchedRecordsTest, CpuWideSwitchCarriesTheOtherTask) {
  TestAttr a = sched_switch_attr();
  Bytes record = switch_record(a, true, true, at(5, 51, 3), true, 60, 61);
  Switch sw;
  EventAttr attr;
  attr.sample_type = a.sample_type;
  attr.flags = a.flags;
  ASSERT_TRUE(parse_switch(record, attr, sw));
  EXPECT_TRUE(sw.cpu_wide);
  EXPECT_TRUE(sw.out);
  EXPECT_TRUE(sw.preempt);
  EXPECT_EQ(sw.next_prev_pid, 60u);
  EXPECT_EQ(sw.next_prev_tid, 61u);
  EXPECT_EQ(sw.sample_id.time, 5u);
  EXPECT_EQ(sw.sample_id.cpu, 3u);
}

TEST(SchedRecordsTest, SwitchWithoutSampleIdAllIsTheHeaderAlone) {
  TestAttr a = sched_switch_attr();
  a.flags = 0;
  EventAttr attr;
  attr.sample_type = a.sample_type;
  Switch sw;
  ASSERT_TRUE(parse_switch(switch_record(a, true, false, {}), attr, sw));
  EXPECT_TRUE(sw.out);
  EXPECT_FALSE(sw.sample_id.has_time);
}

// A size that does not fit the fixed layout is counted as an undecodable record;
// the records around it are still delivered.
TEST(SchedRecordsTest, SwitchOfTheWrongSizeIsCountedAndSkipped) {
  TestAttr a = sched_switch_attr();
  Bytes too_long = switch_record(a, true, false, at(20));
  too_long.insert(too_long.end(), 8, std::byte{0});
  too_long[6] = static_cast<std::byte>(too_long.size());
  Bytes wide_too_short = switch_record(a, false, false, at(30));
  wide_too_short[0] = std::byte{15};  // CPU_WIDE without its two u32
  Bytes too_short = opaque_record(14, 8);  // shorter than header + 24-byte trailer
  for (bool pipe : {false, true}) {
    PerfDataBuilder b;
    b.attr(a);
    b.record(switch_record(a, false, false, at(10)));
    b.record(too_long);
    b.record(wide_too_short);
    b.record(too_short);
    b.record(switch_record(a, true, false, at(40)));
    auto out = read_bytes(pipe ? b.pipe_bytes() : b.file_bytes(), "switch_bad_sizes");
    ASSERT_TRUE(out.seen);
    ASSERT_EQ(out.seen->switches.size(), 2u) << (pipe ? "pipe" : "file");
    EXPECT_EQ(out.seen->switches[1].sample_id.time, 40u);
    EXPECT_EQ(out.stats.switches, 2u);
    EXPECT_EQ(out.stats.undecodable_records, 3u);
    EXPECT_FALSE(out.stats.damage);
  }
}

// A dwarf sched_switch: RAW sits between CALLCHAIN and REGS_USER / STACK_USER
// (perf_event.h's PERF_RECORD_SAMPLE layout), so the fields after it must land.
TEST(SchedRecordsTest, RawWithCallchainRegsAndStackParses) {
  TestAttr a = sched_switch_attr();
  a.sample_type |= bits::kRegsUser | bits::kStackUser;
  a.sample_regs_user = 0b1011;
  a.sample_stack_user = 64;
  TestSample s{.ip = 0x1000, .pid = 50, .tid = 51, .time = 7, .cpu = 0};
  s.callchain = {0xfffffffffffffe00ULL, 0x401000, 0x402000};
  s.raw = raw_of(68, 0x40);
  s.regs_abi = 2;
  s.regs = {11, 22, 33};
  s.stack = raw_of(64, 0x80);
  s.dyn_size = 48;
  for (bool pipe : {false, true}) {
    PerfDataBuilder b;
    b.attr(a);
    b.record(sample_record(a, s));
    auto out = read_bytes(pipe ? b.pipe_bytes() : b.file_bytes(), "raw_dwarf");
    ASSERT_TRUE(out.seen);
    ASSERT_EQ(out.seen->samples.size(), 1u);
    const SeenSample& got = out.seen->samples[0];
    EXPECT_EQ(got.raw, raw_of(68, 0x40));
    EXPECT_EQ(got.callchain, s.callchain);
    EXPECT_EQ(got.regs_abi, 2u);
    EXPECT_EQ(got.regs_user, (std::vector<uint64_t>{11, 22, 33}));
    EXPECT_EQ(got.stack_user, raw_of(64, 0x80));
    EXPECT_EQ(got.dyn_size, 48u);
  }
}

TEST(SchedRecordsTest, RawSizeIsTheDataLength) {
  // perf's evsel__parse_sample: the data is raw_size bytes after the u32, whatever
  // the alignment; 4 + 12 = 16 here.
  TestAttr a = sched_switch_attr();
  TestSample s{.time = 1};
  s.raw = raw_of(12, 1);
  EventAttr attr;
  attr.sample_type = a.sample_type;
  Bytes record = sample_record(a, s);
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(record, attr, buffers, out));
  ASSERT_EQ(out.raw.size(), 12u);
  EXPECT_EQ(Bytes(out.raw.begin(), out.raw.end()), raw_of(12, 1));
}

TEST(SchedRecordsTest, RawSizePastTheRecordIsUndecodable) {
  TestAttr a = sched_switch_attr();
  TestSample s{.time = 1};
  s.raw = raw_of(20, 1);
  Bytes record = sample_record(a, s);
  // The u32 size follows header(8) + ip, tid, time, callchain nr, cpu, period (6 u64).
  const size_t size_at = 8 + 6 * 8;
  EventAttr attr;
  attr.sample_type = a.sample_type;
  SampleBuffers buffers;
  Sample out;
  for (uint32_t bad : {uint32_t{21}, uint32_t{0xffffffff}}) {
    Bytes damaged = record;
    std::memcpy(damaged.data() + size_at, &bad, 4);
    EXPECT_FALSE(parse_sample(damaged, attr, buffers, out)) << bad;
  }
  PerfDataBuilder b;
  b.attr(a);
  Bytes damaged = record;
  const uint32_t bad = 4000;
  std::memcpy(damaged.data() + size_at, &bad, 4);
  b.record(damaged);
  b.record(sample_record(a, s));
  auto read = read_bytes(b.file_bytes(), "raw_past_end");
  ASSERT_TRUE(read.seen);
  ASSERT_EQ(read.seen->samples.size(), 1u);
  EXPECT_EQ(read.seen->samples[0].raw, raw_of(20, 1));
}

}  // namespace
}  // namespace spanprof::perfdata
