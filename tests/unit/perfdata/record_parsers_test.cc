// One test per record parser and per SAMPLE field combination.
#include "perfdata/record_parsers.h"

#include <gtest/gtest.h>

#include "perf_data_builder.h"
#include "perfdata/event_attr.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

EventAttr decoded(const TestAttr& attr) {
  EventAttr out = parse_event_attr(attr.encode());
  out.ids = attr.ids;
  return out;
}

TEST(EventAttrTest, DecodesFieldsAtTheirByteOffsets) {
  TestAttr t;
  t.type = 2;
  t.config = 0x11;
  t.sample_type = bits::kIp | bits::kRegsUser;
  t.read_format = 5;
  t.flags = bits::kSampleIdAll | bits::kUseClockid | (1ULL << 10);
  t.branch_sample_type = 1ULL << 17;
  t.sample_regs_user = 0xff;
  t.sample_stack_user = 8192;
  t.clockid = 1;
  EventAttr a = decoded(t);
  EXPECT_EQ(a.type, 2u);
  EXPECT_EQ(a.size, 128u);
  EXPECT_EQ(a.config, 0x11u);
  EXPECT_EQ(a.sample_period_or_freq, 4000u);
  EXPECT_EQ(a.sample_type, t.sample_type);
  EXPECT_EQ(a.read_format, 5u);
  EXPECT_TRUE(a.sample_id_all());
  EXPECT_TRUE(a.use_clockid());
  EXPECT_TRUE(a.freq());
  EXPECT_EQ(a.branch_sample_type, 1ULL << 17);
  EXPECT_EQ(a.sample_regs_user, 0xffu);
  EXPECT_EQ(a.sample_stack_user, 8192u);
  EXPECT_EQ(a.clockid, 1);
}

TEST(EventAttrTest, FieldsBeyondAShortAttrAreZero) {
  TestAttr t;
  t.size = 64;  // PERF_ATTR_SIZE_VER0: no regs, stack or clockid
  Bytes bytes = t.encode();
  bytes.resize(64);
  EventAttr a = parse_event_attr(bytes);
  EXPECT_EQ(a.sample_type, t.sample_type);
  EXPECT_EQ(a.sample_regs_user, 0u);
  EXPECT_EQ(a.clockid, 0);
}

TEST(RecordParsersTest, Mmap) {
  TestAttr t;
  EventAttr a = decoded(t);
  TestMmap m{.pid = 10, .tid = 11, .addr = 0x400000, .len = 0x1000, .pgoff = 0x2000,
             .filename = "/usr/bin/app"};
  Bytes r = mmap_record(t, m, {.pid = 10, .tid = 11, .time = 77});
  Mmap out;
  ASSERT_TRUE(parse_mmap(r, a, out));
  EXPECT_FALSE(out.is_mmap2);
  EXPECT_EQ(out.pid, 10u);
  EXPECT_EQ(out.tid, 11u);
  EXPECT_EQ(out.addr, 0x400000u);
  EXPECT_EQ(out.len, 0x1000u);
  EXPECT_EQ(out.pgoff, 0x2000u);
  EXPECT_EQ(out.filename, "/usr/bin/app");
  EXPECT_EQ(out.sample_id.time, 77u);
  EXPECT_TRUE(out.sample_id.has_time);
}

TEST(RecordParsersTest, Mmap2WithDeviceAndInode) {
  TestAttr t;
  EventAttr a = decoded(t);
  TestMmap m{.pid = 1, .tid = 2, .addr = 0x1000, .len = 0x2000, .pgoff = 0x3000, .maj = 8,
             .min = 1, .ino = 4242, .prot = 5, .flags = 2, .filename = "/lib/libc.so.6"};
  Bytes r = mmap2_record(t, m, {.time = 5});
  Mmap out;
  ASSERT_TRUE(parse_mmap2(r, a, out));
  EXPECT_TRUE(out.is_mmap2);
  EXPECT_EQ(out.maj, 8u);
  EXPECT_EQ(out.min, 1u);
  EXPECT_EQ(out.ino, 4242u);
  EXPECT_EQ(out.prot, 5u);
  EXPECT_EQ(out.flags, 2u);
  EXPECT_TRUE(out.build_id.empty());
  EXPECT_EQ(out.filename, "/lib/libc.so.6");
  EXPECT_EQ(out.sample_id.time, 5u);
}

TEST(RecordParsersTest, Mmap2WithBuildId) {
  TestAttr t;
  EventAttr a = decoded(t);
  Bytes id = bytes_of({0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
  TestMmap m{.addr = 0x1000, .build_id = id, .filename = "/bin/x"};
  Bytes r = mmap2_record(t, m, {.time = 9});
  Mmap out;
  ASSERT_TRUE(parse_mmap2(r, a, out));
  EXPECT_EQ(Bytes(out.build_id.begin(), out.build_id.end()), id);
  EXPECT_EQ(out.maj, 0u);
  EXPECT_EQ(out.prot, 5u);
  EXPECT_EQ(out.filename, "/bin/x");
}

TEST(RecordParsersTest, CommWithExecBit) {
  TestAttr t;
  EventAttr a = decoded(t);
  Comm out;
  // out.comm views the record: keep the bytes alive while checking.
  Bytes exec_record = comm_record(t, 3, 4, "worker", true, {.time = 8});
  ASSERT_TRUE(parse_comm(exec_record, a, out));
  EXPECT_EQ(out.pid, 3u);
  EXPECT_EQ(out.tid, 4u);
  EXPECT_TRUE(out.exec);
  EXPECT_EQ(out.comm, "worker");
  Bytes plain_record = comm_record(t, 3, 4, "abcdefg", false, {});
  ASSERT_TRUE(parse_comm(plain_record, a, out));
  EXPECT_FALSE(out.exec);
  EXPECT_EQ(out.comm, "abcdefg");
}

TEST(RecordParsersTest, ForkAndExit) {
  TestAttr t;
  EventAttr a = decoded(t);
  TaskEvent out;
  ASSERT_TRUE(parse_task(task_record(7, t, 5, 1, 6, 1, 123, {.time = 124}), a, out));
  EXPECT_EQ(out.pid, 5u);
  EXPECT_EQ(out.ppid, 1u);
  EXPECT_EQ(out.tid, 6u);
  EXPECT_EQ(out.ptid, 1u);
  EXPECT_EQ(out.time, 123u);
  EXPECT_EQ(out.sample_id.time, 124u);
}

TEST(RecordParsersTest, LostAndLostSamples) {
  TestAttr t;
  t.sample_type |= bits::kId;
  EventAttr a = decoded(t);
  Lost out;
  ASSERT_TRUE(parse_lost(lost_record(t, 42, 1000, {.time = 3, .id = 42}), a, out));
  EXPECT_EQ(out.id, 42u);
  EXPECT_EQ(out.lost, 1000u);
  ASSERT_TRUE(parse_lost_samples(lost_samples_record(t, 17, {.time = 4, .id = 43}), a, out));
  EXPECT_EQ(out.lost, 17u);
  EXPECT_EQ(out.id, 43u);
  EXPECT_EQ(out.sample_id.time, 4u);
}

TEST(RecordParsersTest, SampleIdTrailerWithEveryField) {
  TestAttr t;
  t.sample_type = bits::kTid | bits::kTime | bits::kId | bits::kStreamId | bits::kCpu |
                  bits::kIdentifier;
  EventAttr a = decoded(t);
  Bytes r = comm_record(t, 1, 2, "x", false,
                        {.pid = 1, .tid = 2, .time = 99, .id = 7, .stream_id = 8, .cpu = 3});
  SampleId id;
  size_t body_end = 0;
  ASSERT_TRUE(parse_sample_id(r, a, id, body_end));
  EXPECT_EQ(id.pid, 1u);
  EXPECT_EQ(id.tid, 2u);
  EXPECT_EQ(id.time, 99u);
  EXPECT_EQ(id.id, 7u);
  EXPECT_EQ(id.cpu, 3u);
  EXPECT_EQ(body_end, r.size() - 6 * 8);
}

TEST(RecordParsersTest, NoTrailerWithoutSampleIdAll) {
  TestAttr t;
  t.flags = 0;
  EventAttr a = decoded(t);
  Comm out;
  ASSERT_TRUE(parse_comm(comm_record(t, 1, 2, "x", false, {.time = 99}), a, out));
  EXPECT_FALSE(out.sample_id.has_time);
  EXPECT_EQ(non_sample_record_time(comm_record(t, 1, 2, "x", false, {}), a), 0u);
}

TEST(RecordParsersTest, TruncatedBodyIsRejected) {
  TestAttr t;
  EventAttr a = decoded(t);
  Bytes r = task_record(7, t, 5, 1, 6, 1, 123, {.time = 124});
  r.resize(16);  // header + 8 bytes: shorter than the trailer
  r[6] = std::byte{16};
  TaskEvent out;
  EXPECT_FALSE(parse_task(r, a, out));
}

struct SampleCase {
  const char* name;
  uint64_t sample_type;
};

class SampleFieldsTest : public ::testing::TestWithParam<SampleCase> {};

TEST_P(SampleFieldsTest, EveryFieldLandsWhereExpected) {
  TestAttr t;
  t.sample_type = GetParam().sample_type;
  t.read_format = 0;
  t.sample_regs_user = 0b10110;
  EventAttr a = decoded(t);
  TestSample s{.ip = 0x401000, .pid = 5, .tid = 6, .time = 1000, .addr = 0xabc, .id = 77,
               .stream_id = 78, .cpu = 3, .period = 250000};
  s.read_words = {12345};
  s.callchain = {0xfffffffffffffe00ULL, 0x401000, 0x402000};
  s.raw = bytes_of({1, 2, 3, 4, 5});
  s.branch_nr = 2;
  s.regs_abi = 2;
  s.regs = {0x10, 0x20, 0x30};
  s.stack = Bytes(64, std::byte{0x5a});
  s.dyn_size = 40;
  Bytes r = sample_record(t, s);
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(r, a, buffers, out));
  const uint64_t st = t.sample_type;
  EXPECT_EQ(out.ip, st & bits::kIp ? 0x401000u : 0u);
  EXPECT_EQ(out.tid, st & bits::kTid ? 6u : 0u);
  EXPECT_EQ(out.time, st & bits::kTime ? 1000u : 0u);
  EXPECT_EQ(out.id, st & (bits::kId | bits::kIdentifier) ? 77u : 0u);
  EXPECT_EQ(out.cpu, st & bits::kCpu ? 3u : 0u);
  EXPECT_EQ(out.period, st & bits::kPeriod ? 250000u : 1u);
  if (st & bits::kCallchain) {
    EXPECT_EQ(std::vector<uint64_t>(out.callchain.begin(), out.callchain.end()), s.callchain);
  } else {
    EXPECT_TRUE(out.callchain.empty());
  }
  if (st & bits::kRegsUser) {
    EXPECT_EQ(out.regs_abi, 2u);
    EXPECT_EQ(std::vector<uint64_t>(out.regs_user.begin(), out.regs_user.end()), s.regs);
  }
  if (st & bits::kStackUser) {
    EXPECT_EQ(out.stack_user.size(), 64u);
    EXPECT_EQ(out.stack_user_dyn_size, 40u);
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out.callchain.data()) % 8, 0u);
  EXPECT_EQ(sample_record_time(r, a), st & bits::kTime ? 1000u : 0u);
}

constexpr uint64_t kBase = bits::kIp | bits::kTid | bits::kTime;
INSTANTIATE_TEST_SUITE_P(
    Combinations, SampleFieldsTest,
    ::testing::Values(SampleCase{"ip_only", bits::kIp},
                      SampleCase{"base", kBase},
                      SampleCase{"identifier", bits::kIdentifier | kBase | bits::kPeriod},
                      SampleCase{"id_cpu_period", kBase | bits::kId | bits::kCpu | bits::kPeriod},
                      SampleCase{"addr_stream", kBase | bits::kAddr | bits::kId | bits::kStreamId},
                      SampleCase{"read_callchain", kBase | bits::kPeriod | bits::kRead | bits::kCallchain},
                      SampleCase{"callchain", kBase | bits::kPeriod | bits::kCallchain},
                      SampleCase{"raw_branch_regs", kBase | bits::kCallchain | bits::kRaw |
                                                        bits::kBranchStack | bits::kRegsUser},
                      SampleCase{"dwarf", kBase | bits::kPeriod | bits::kCallchain |
                                              bits::kRegsUser | bits::kStackUser},
                      SampleCase{"everything", kBase | bits::kAddr | bits::kId | bits::kStreamId |
                                                   bits::kCpu | bits::kPeriod | bits::kRead |
                                                   bits::kCallchain | bits::kRaw |
                                                   bits::kBranchStack | bits::kRegsUser |
                                                   bits::kStackUser | bits::kIdentifier}),
    [](const ::testing::TestParamInfo<SampleCase>& info) { return std::string(info.param.name); });

TEST(SampleReadTest, GroupReadFormatIsSkippedBeforeTheCallchain) {
  TestAttr t;
  t.sample_type = kBase | bits::kRead | bits::kCallchain;
  // GROUP | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING | ID | LOST
  t.read_format = 8 | 1 | 2 | 4 | 16;
  EventAttr a = decoded(t);
  TestSample s{.ip = 1, .time = 5};
  // nr = 2, enabled, running, then {value, id, lost} x 2
  s.read_words = {2, 100, 90, 11, 1, 0, 22, 2, 0};
  s.callchain = {0xaa, 0xbb};
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(sample_record(t, s), a, buffers, out));
  EXPECT_EQ(std::vector<uint64_t>(out.callchain.begin(), out.callchain.end()), s.callchain);
}

TEST(SampleReadTest, SingleReadFormatIsSkippedBeforeTheCallchain) {
  TestAttr t;
  t.sample_type = kBase | bits::kRead | bits::kCallchain;
  t.read_format = 1 | 4;  // TOTAL_TIME_ENABLED | ID
  EventAttr a = decoded(t);
  TestSample s{.ip = 1, .time = 5};
  s.read_words = {7, 100, 3};
  s.callchain = {0xcc};
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(sample_record(t, s), a, buffers, out));
  EXPECT_EQ(std::vector<uint64_t>(out.callchain.begin(), out.callchain.end()), s.callchain);
}

TEST(SampleBranchTest, HwIndexAndCountersAreSkipped) {
  TestAttr t;
  t.sample_type = kBase | bits::kBranchStack | bits::kRegsUser;
  t.branch_sample_type = (1ULL << 17) | (1ULL << 19);
  t.sample_regs_user = 0b11;
  EventAttr a = decoded(t);
  TestSample s{.ip = 1, .time = 5};
  s.branch_nr = 3;
  s.regs_abi = 2;
  s.regs = {0x111, 0x222};
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(sample_record(t, s), a, buffers, out));
  EXPECT_EQ(std::vector<uint64_t>(out.regs_user.begin(), out.regs_user.end()), s.regs);
}

TEST(SampleRegsTest, AbiZeroHasNoRegistersAndEmptyStackHasNoDynSize) {
  TestAttr t;
  t.sample_type = kBase | bits::kRegsUser | bits::kStackUser;
  t.sample_regs_user = 0xff;
  EventAttr a = decoded(t);
  TestSample s{.ip = 1, .time = 5};
  s.regs_abi = 0;
  Bytes r = sample_record(t, s);
  EXPECT_EQ(r.size(), 8u + 3 * 8 + 8 + 8);
  SampleBuffers buffers;
  Sample out;
  ASSERT_TRUE(parse_sample(r, a, buffers, out));
  EXPECT_TRUE(out.regs_user.empty());
  EXPECT_TRUE(out.stack_user.empty());
}

TEST(SampleRegsTest, CallchainLongerThanTheRecordIsRejected) {
  TestAttr t;
  t.sample_type = kBase | bits::kCallchain;
  EventAttr a = decoded(t);
  TestSample s{.ip = 1, .time = 5};
  s.callchain = {1, 2};
  Bytes r = sample_record(t, s);
  // nr is the u64 right after ip, tid and time.
  uint64_t huge = 1ULL << 60;
  std::memcpy(r.data() + 8 + 3 * 8, &huge, 8);
  SampleBuffers buffers;
  Sample out;
  EXPECT_FALSE(parse_sample(r, a, buffers, out));
}

}  // namespace
}  // namespace spanprof::perfdata
