// AUX area tracing (Intel PT, CoreSight): AUXTRACE records are followed by AUX
// data that header.size does not count. The reader must step over it in every
// source (mapped file, read() stream, pipe, zstd data) and read what follows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "perf_data_builder.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

TestAttr pt_attr() {
  TestAttr a;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod;
  a.ids = {11};
  return a;
}

TestSample sample_at(uint64_t time) {
  return TestSample{.ip = 0x4000 + time, .pid = 3, .tid = 4, .time = time, .period = 1};
}

// AUX data as Intel PT leaves it: mostly zeros (read as records they claim size 0,
// the damage seen on real captures) and a stretch that would frame as a sample.
Bytes aux_payload(size_t size) {
  Bytes payload(size, std::byte{0});
  if (size >= 64) {
    const Bytes fake = sample_record(pt_attr(), sample_at(999));
    std::copy(fake.begin(), fake.end(), payload.begin() + 16);
  }
  return payload;
}

// Samples, then AUXTRACE records (one payload larger than a read() chunk and
// several mapped pages), PERF_RECORD_AUX and AUXTRACE_INFO, then more samples.
PerfDataBuilder pt_capture(size_t big_payload) {
  const TestAttr a = pt_attr();
  PerfDataBuilder b;
  b.attr(a);
  for (uint64_t t = 1; t <= 3; ++t) b.record(sample_record(a, sample_at(t)));
  b.record(opaque_record(70, 40));  // AUXTRACE_INFO
  b.record(aux_record(a, 4096, {.pid = 3, .tid = 4, .time = 4}));
  b.record(auxtrace_record(aux_payload(big_payload), 0, 4));
  b.record(finished_round_record());
  b.record(auxtrace_record(aux_payload(24), 1, 4));
  for (uint64_t t = 5; t <= 7; ++t) b.record(sample_record(a, sample_at(t)));
  b.record(auxtrace_record({}, 1, 4));  // an empty payload is legal
  b.record(sample_record(a, sample_at(8)));
  return b;
}

std::vector<uint64_t> times_of(const Collector& seen) {
  std::vector<uint64_t> times;
  for (const auto& s : seen.samples) times.push_back(s.time);
  return times;
}

const std::vector<uint64_t> kAllTimes{1, 2, 3, 5, 6, 7, 8};

struct AuxCase {
  const char* name;
  bool pipe;
  size_t payload;
};

class AuxtraceTest : public ::testing::TestWithParam<AuxCase> {};

TEST_P(AuxtraceTest, PayloadIsSkippedAndEverySampleRead) {
  const AuxCase& c = GetParam();
  PerfDataBuilder b = pt_capture(c.payload);
  auto out = read_bytes(c.pipe ? b.pipe_bytes() : b.file_bytes(), c.name);
  ASSERT_TRUE(out.reader);
  EXPECT_FALSE(out.stats.damage) << out.stats.damage->to_string();
  EXPECT_EQ(times_of(*out.seen), kAllTimes);
  EXPECT_EQ(out.stats.samples, kAllTimes.size());
  EXPECT_EQ(out.stats.skipped_by_type[71], 3u);
  EXPECT_EQ(out.stats.skipped_by_type[11], 1u);
  EXPECT_EQ(out.stats.skipped_by_type[70], 1u);
  EXPECT_EQ(out.stats.aux_bytes_skipped, c.payload + 24);
  EXPECT_EQ(out.stats.undecodable_records, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Sources, AuxtraceTest,
    ::testing::Values(AuxCase{"file_small", false, 4096}, AuxCase{"pipe_small", true, 4096},
                      // Larger than RecordStream's 2 MiB read() chunk: skipped across refills.
                      AuxCase{"file_large", false, (3u << 20) + 8},
                      AuxCase{"pipe_large", true, (3u << 20) + 8}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(AuxtraceDamageTest, PayloadPastTheEndOfTheDataIsDamageAtTheRecord) {
  const TestAttr a = pt_attr();
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(pipe ? "pipe" : "file");
    PerfDataBuilder b;
    b.attr(a);
    b.record(sample_record(a, sample_at(1)));
    b.record(sample_record(a, sample_at(2)));
    Bytes aux = auxtrace_record(aux_payload(1 << 20));
    aux.resize(48 + 1000);  // the capture ends 1000 bytes into the payload
    b.record(aux);
    Bytes bytes = pipe ? b.pipe_bytes() : b.file_bytes();
    const uint64_t aux_offset = bytes.size() - aux.size();
    auto out = read_bytes(bytes, pipe ? "aux_cut_pipe" : "aux_cut_file");
    EXPECT_EQ(times_of(*out.seen), (std::vector<uint64_t>{1, 2}));
    ASSERT_TRUE(out.stats.damage);
    EXPECT_EQ(out.stats.damage->where, "perf.data byte offset " + std::to_string(aux_offset));
    EXPECT_NE(out.stats.damage->message.find("AUXTRACE record at byte offset " +
                                             std::to_string(aux_offset) +
                                             " is followed by a payload of 1048576 bytes"),
              std::string::npos)
        << out.stats.damage->message;
    EXPECT_NE(out.stats.damage->message.find(std::to_string((1 << 20) - 1000) + " bytes short"),
              std::string::npos)
        << out.stats.damage->message;
    EXPECT_EQ(out.stats.aux_bytes_skipped, 0u);
  }
}

TEST(AuxtraceDamageTest, SizeFieldLargerThanAnyFileIsDamageNotACrash) {
  const TestAttr a = pt_attr();
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(1)));
  Bytes aux = auxtrace_record({});
  const uint64_t huge = ~uint64_t{0} - 7;
  std::memcpy(aux.data() + 8, &huge, 8);
  b.record(aux);
  b.record(sample_record(a, sample_at(2)));
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(pipe ? "pipe" : "file");
    auto out = read_bytes(pipe ? b.pipe_bytes() : b.file_bytes(), "aux_huge");
    EXPECT_EQ(times_of(*out.seen), (std::vector<uint64_t>{1}));
    ASSERT_TRUE(out.stats.damage);
    EXPECT_NE(out.stats.damage->message.find("AUXTRACE record"), std::string::npos);
  }
}

TEST(AuxtraceDamageTest, RecordTooShortForItsSizeFieldIsUndecodable) {
  const TestAttr a = pt_attr();
  PerfDataBuilder b;
  b.attr(a);
  b.record(opaque_record(71, 0));  // header only: no u64 size to skip by
  b.record(sample_record(a, sample_at(1)));
  auto out = read_bytes(b.file_bytes(), "aux_short");
  EXPECT_EQ(out.stats.undecodable_records, 1u);
  EXPECT_EQ(times_of(*out.seen), (std::vector<uint64_t>{1}));
  EXPECT_FALSE(out.stats.damage);
}

// perf record does not compress AUX data, but a COMPRESSED record may hold any
// record: the payload is then skipped in the decompressed bytes, also when it
// continues in the next compressed record.
TEST(AuxtraceCompressedTest, PayloadInsideCompressedDataIsSkippedAcrossRecords) {
  const TestAttr a = pt_attr();
  const Bytes aux = auxtrace_record(aux_payload(3000));
  Bytes inner = concat({sample_record(a, sample_at(2)), aux, sample_record(a, sample_at(3))});
  const size_t aux_start = inner.size() - aux.size() - sample_record(a, sample_at(3)).size();
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(pipe ? "pipe" : "file");
    PerfDataBuilder b;
    b.attr(a);
    b.record(sample_record(a, sample_at(1)));
    // Cuts inside the AUXTRACE header's tail and twice inside its payload.
    b.records(compressed_records(inner, {aux_start + 20, aux_start + 500, aux_start + 2000}, true));
    b.record(sample_record(a, sample_at(4)));
    auto out = read_bytes(pipe ? b.pipe_bytes() : b.file_bytes(), "aux_zstd");
    EXPECT_FALSE(out.stats.damage) << out.stats.damage->to_string();
    EXPECT_EQ(times_of(*out.seen), (std::vector<uint64_t>{1, 2, 3, 4}));
    EXPECT_EQ(out.stats.aux_bytes_skipped, 3000u);
  }
}

TEST(AuxtraceCompressedTest, CompressedDataEndingInsideThePayloadIsDamage) {
  const TestAttr a = pt_attr();
  Bytes inner = concat({sample_record(a, sample_at(1)), auxtrace_record(aux_payload(3000))});
  auto compressed = compressed_records(inner, {inner.size() - 1000}, true);
  compressed.pop_back();  // the last 1000 payload bytes never arrive
  PerfDataBuilder b;
  b.attr(a);
  b.records(compressed);
  auto out = read_bytes(b.file_bytes(), "aux_zstd_cut");
  EXPECT_EQ(times_of(*out.seen), (std::vector<uint64_t>{1}));
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("1000 bytes short"), std::string::npos)
      << out.stats.damage->message;
}

}  // namespace
}  // namespace spanprof::perfdata
