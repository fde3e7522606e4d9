// File-mode captures: header, attrs, features, time order, damage and refusals.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "perf_data_builder.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

constexpr uint64_t kCallchainType = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod |
                                    bits::kCallchain;

TestAttr cpu_clock() {
  TestAttr a;
  a.sample_type = kCallchainType;
  a.flags = bits::kSampleIdAll | bits::kUseClockid;
  a.clockid = 1;  // CLOCK_MONOTONIC
  a.ids = {100};
  return a;
}

TestSample sample_at(uint64_t time, uint64_t ip = 0x401000) {
  TestSample s{.ip = ip, .pid = 50, .tid = 51, .time = time, .period = 1000000};
  s.callchain = {0xfffffffffffffe00ULL, ip, 0x402000};
  return s;
}

PerfDataBuilder basic_capture() {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  b.record(comm_record(a, 50, 51, "app", true, {.pid = 50, .tid = 51, .time = 10}));
  b.record(mmap2_record(a, {.pid = 50, .tid = 51, .addr = 0x400000, .len = 0x10000, .filename = "/app"},
                        {.pid = 50, .tid = 51, .time = 20}));
  b.record(sample_record(a, sample_at(30)));
  b.record(task_record(7, a, 52, 50, 52, 51, 35, {.pid = 52, .tid = 52, .time = 35}));
  b.record(sample_record(a, sample_at(40)));
  b.record(task_record(4, a, 52, 50, 52, 51, 45, {.pid = 52, .tid = 52, .time = 45}));
  b.record(lost_record(a, 100, 5, {.time = 46}));
  b.record(lost_samples_record(a, 3, {.time = 47}));
  b.record(finished_round_record());
  b.feature(2, concat({feature::build_id_event(50, bytes_of({0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8,
                                                             9, 10, 11, 12, 13, 14, 15, 16, 17, 18}),
                                               "/app", false),
                       feature::build_id_event(-1, bytes_of({0x01, 0x02, 0x03, 0x04}), "[kernel.kallsyms]",
                                               true)}));
  b.feature(3, feature::string("host-1"));
  b.feature(4, feature::string("6.1.0-test"));
  b.feature(5, feature::string("6.1.192"));
  b.feature(11, feature::cmdline({"perf", "record", "-k", "monotonic"}));
  b.feature(12, feature::event_desc({a}, {"cpu-clock:u"}));
  b.feature(21, feature::sample_time(30, 40));
  b.feature(23, feature::clockid_res(1));
  b.feature(29, feature::clock_data(1, 1700000000000000000ULL, 5000));
  return b;
}

TEST(ReaderFileTest, DeliversEveryRecordKindAndTheHeaderFeatures) {
  auto out = read_bytes(basic_capture().file_bytes(), "basic");
  ASSERT_TRUE(out.reader);
  const CaptureInfo& info = out.reader->info();
  EXPECT_FALSE(info.pipe_mode);
  ASSERT_EQ(info.attrs.size(), 1u);
  EXPECT_EQ(info.attrs[0].ids, std::vector<uint64_t>{100});
  EXPECT_EQ(info.attrs[0].clockid, 1);
  EXPECT_TRUE(info.attrs[0].use_clockid());
  EXPECT_EQ(info.attrs[0].name, "cpu-clock:u");
  ASSERT_TRUE(info.clock_data);
  EXPECT_EQ(info.clock_data->clockid, 1u);
  EXPECT_EQ(info.clock_data->tod_ns, 1700000000000000000ULL);
  EXPECT_EQ(info.clock_data->clockid_ns, 5000u);
  EXPECT_EQ(info.clockid_res_ns, 1u);
  EXPECT_EQ(info.first_sample_time, 30u);
  EXPECT_EQ(info.last_sample_time, 40u);
  EXPECT_EQ(info.hostname, "host-1");
  EXPECT_EQ(info.os_release, "6.1.0-test");
  EXPECT_EQ(info.perf_version, "6.1.192");
  EXPECT_EQ(info.cmdline, (std::vector<std::string>{"perf", "record", "-k", "monotonic"}));
  ASSERT_EQ(info.build_ids.size(), 2u);
  EXPECT_EQ(info.build_ids[0].build_id, "abcd0102030405060708090a0b0c0d0e0f101112");
  EXPECT_EQ(info.build_ids[0].filename, "/app");
  EXPECT_EQ(info.build_ids[0].pid, 50);
  EXPECT_EQ(info.build_ids[1].build_id, "01020304");
  EXPECT_EQ(info.build_ids[1].filename, "[kernel.kallsyms]");
  EXPECT_TRUE(info.warnings.empty());

  const Collector& seen = *out.seen;
  ASSERT_EQ(seen.samples.size(), 2u);
  EXPECT_EQ(seen.samples[0].ip, 0x401000u);
  EXPECT_EQ(seen.samples[0].tid, 51u);
  EXPECT_EQ(seen.samples[0].period, 1000000u);
  EXPECT_EQ(seen.samples[0].callchain.size(), 3u);
  EXPECT_EQ(seen.samples[0].attr_name, "cpu-clock:u");
  ASSERT_EQ(seen.mmaps.size(), 1u);
  EXPECT_EQ(seen.mmaps[0].filename, "/app");
  ASSERT_EQ(seen.comms.size(), 1u);
  EXPECT_TRUE(seen.comms[0].exec);
  EXPECT_EQ(seen.forks.size(), 1u);
  EXPECT_EQ(seen.exits.size(), 1u);
  ASSERT_EQ(seen.lost.size(), 1u);
  EXPECT_EQ(seen.lost[0].lost, 5u);
  EXPECT_EQ(out.stats.lost_events, 5u);
  EXPECT_EQ(out.stats.lost_samples, 3u);
  EXPECT_EQ(out.stats.samples, 2u);
  EXPECT_EQ(out.stats.records, 9u);
  EXPECT_FALSE(out.stats.damage) << out.stats.damage->to_string();
}

TEST(ReaderFileTest, OutOfOrderRecordsComeOutSortedAcrossFinishedRound) {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  // Round 1: samples from one CPU buffer; round 2 carries the MMAP2 and a sample
  // from another CPU buffer that happened earlier (perf writes per-CPU buffers in turn).
  b.record(sample_record(a, sample_at(100)));
  b.record(sample_record(a, sample_at(300)));
  b.record(finished_round_record());
  b.record(mmap2_record(a, {.addr = 0x400000, .len = 0x1000, .filename = "/app"}, {.time = 50}));
  b.record(sample_record(a, sample_at(200)));
  b.record(sample_record(a, sample_at(400)));
  b.record(finished_round_record());
  b.record(sample_record(a, sample_at(350)));
  auto out = read_bytes(b.file_bytes(), "order");
  ASSERT_TRUE(out.reader);
  std::vector<uint64_t> times;
  for (const auto& e : out.seen->order) times.push_back(e.time);
  EXPECT_EQ(times, (std::vector<uint64_t>{50, 100, 200, 300, 350, 400}));
  EXPECT_EQ(out.seen->order[0].kind, "mmap");
}

TEST(ReaderFileTest, EqualTimesKeepFileOrder) {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(100, 1)));
  b.record(sample_record(a, sample_at(100, 2)));
  b.record(sample_record(a, sample_at(100, 3)));
  auto out = read_bytes(b.file_bytes(), "ties");
  ASSERT_EQ(out.seen->samples.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_EQ(out.seen->samples[i].ip, i + 1);
}

TEST(ReaderFileTest, RecordsWithoutTimeStayInFileOrder) {
  TestAttr a;
  a.sample_type = bits::kIp | bits::kTid;
  a.flags = 0;
  PerfDataBuilder b;
  b.attr(a);
  b.record(comm_record(a, 1, 1, "a", false, {}));
  b.record(sample_record(a, {.ip = 7}));
  b.record(mmap_record(a, {.filename = "/x"}, {}));
  b.record(sample_record(a, {.ip = 8}));
  auto out = read_bytes(b.file_bytes(), "notime");
  std::vector<std::string> kinds;
  for (const auto& e : out.seen->order) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"comm", "sample", "mmap", "sample"}));
}

TEST(ReaderFileTest, IdentifierMapsSamplesOfTwoAttrs) {
  TestAttr a = cpu_clock();
  a.sample_type = bits::kIdentifier | bits::kIp | bits::kTid | bits::kTime;
  a.ids = {100, 101};
  TestAttr b2 = a;
  b2.config = 9;
  b2.ids = {200};
  PerfDataBuilder b;
  b.attr(a).attr(b2);
  b.record(sample_record(a, {.ip = 1, .time = 1, .id = 200}));
  b.record(sample_record(a, {.ip = 2, .time = 2, .id = 101}));
  b.record(sample_record(a, {.ip = 3, .time = 3, .id = 999}));
  b.record(comm_record(a, 1, 1, "x", false, {.time = 4, .id = 200}));
  b.feature(12, feature::event_desc({a, b2}, {"first", "second"}));
  auto out = read_bytes(b.file_bytes(), "identifier");
  ASSERT_EQ(out.seen->samples.size(), 2u);
  EXPECT_EQ(out.seen->samples[0].attr_index, 1u);
  EXPECT_EQ(out.seen->samples[0].attr_name, "second");
  EXPECT_EQ(out.seen->samples[1].attr_index, 0u);
  EXPECT_EQ(out.seen->samples[1].attr_name, "first");
  EXPECT_EQ(out.stats.samples_without_attr, 1u);
  ASSERT_EQ(out.seen->comms.size(), 1u);
  EXPECT_EQ(out.seen->comms[0].time, 4u);
}

TEST(ReaderFileTest, IdWithTwoAttrsUsesThePositionFromTheFirstAttr) {
  TestAttr a = cpu_clock();
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kAddr | bits::kId | bits::kCpu |
                  bits::kPeriod;
  a.ids = {100};
  TestAttr b2 = a;
  b2.ids = {200};
  PerfDataBuilder b;
  b.attr(a).attr(b2);
  b.record(sample_record(a, {.ip = 1, .time = 1, .addr = 5, .id = 200, .cpu = 1, .period = 9}));
  b.record(sample_record(a, {.ip = 2, .time = 2, .addr = 5, .id = 100, .cpu = 2, .period = 8}));
  b.record(mmap2_record(a, {.filename = "/y"}, {.time = 3, .id = 200, .cpu = 1}));
  auto out = read_bytes(b.file_bytes(), "id_pos");
  ASSERT_EQ(out.seen->samples.size(), 2u);
  EXPECT_EQ(out.seen->samples[0].attr_index, 1u);
  EXPECT_EQ(out.seen->samples[0].cpu, 1u);
  EXPECT_EQ(out.seen->samples[0].period, 9u);
  EXPECT_EQ(out.seen->samples[1].attr_index, 0u);
  ASSERT_EQ(out.seen->mmaps.size(), 1u);
  EXPECT_EQ(out.seen->mmaps[0].mmap.sample_id.cpu, 1u);
  EXPECT_EQ(out.seen->mmaps[0].mmap.sample_id.time, 3u);
}

TEST(ReaderFileTest, UnknownRecordTypesAreSkippedAndCounted) {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  b.record(opaque_record(69, 24));  // ID_INDEX
  b.record(opaque_record(73, 8));   // THREAD_MAP
  b.record(opaque_record(73, 16));
  b.record(sample_record(a, sample_at(1)));
  auto out = read_bytes(b.file_bytes(), "unknown");
  EXPECT_EQ(out.stats.skipped_records, 3u);
  EXPECT_EQ(out.stats.skipped_by_type[69], 1u);
  EXPECT_EQ(out.stats.skipped_by_type[73], 2u);
  EXPECT_EQ(out.seen->samples.size(), 1u);
}

TEST(ReaderFileTest, EmptyDataSectionIsNotAnError) {
  PerfDataBuilder b;
  b.attr(cpu_clock());
  b.feature(3, feature::string("h"));
  auto out = read_bytes(b.file_bytes(), "empty");
  ASSERT_TRUE(out.reader);
  EXPECT_EQ(out.stats.records, 0u);
  EXPECT_FALSE(out.stats.damage);
  EXPECT_EQ(out.reader->info().hostname, "h");
}

TEST(ReaderFileTest, UnfinishedCaptureIsReadToTheEndOfTheFile) {
  PerfDataBuilder b = basic_capture();
  auto out = read_bytes(b.file_bytes(/*finished=*/false), "unfinished");
  ASSERT_TRUE(out.reader);
  EXPECT_EQ(out.seen->samples.size(), 2u);
  EXPECT_EQ(out.seen->mmaps.size(), 1u);
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("did not finish"), std::string::npos);
}

TEST(ReaderFileTest, TruncatedDataDeliversEverythingBeforeTheCut) {
  PerfDataBuilder b = basic_capture();
  const Bytes full = b.file_bytes();
  // Where each record ends in the file.
  const uint64_t data_offset = 104 + 144;  // header + one attr entry (+ 8 bytes of ids)
  std::vector<uint64_t> ends;
  uint64_t pos = data_offset + 8;
  auto out_full = read_bytes(full, "trunc_full");
  ASSERT_EQ(out_full.seen->order.size(), 6u);
  // Sizes of the records in basic_capture(), in order.
  TestAttr a = cpu_clock();
  std::vector<size_t> sizes = {
      comm_record(a, 50, 51, "app", true, {}).size(),
      mmap2_record(a, {.filename = "/app"}, {}).size(),
      sample_record(a, sample_at(30)).size(),
      task_record(7, a, 0, 0, 0, 0, 0, {}).size(),
      sample_record(a, sample_at(40)).size(),
  };
  for (size_t s : sizes) {
    pos += s;
    ends.push_back(pos);
  }
  for (size_t complete = 0; complete < ends.size(); ++complete) {
    // Cut right before the next record, 3 bytes in (a partial header) and 12 bytes in.
    uint64_t start = complete == 0 ? data_offset + 8 : ends[complete - 1];
    for (uint64_t into : {uint64_t{0}, uint64_t{3}, uint64_t{12}}) {
      Bytes cut(full.begin(), full.begin() + static_cast<long>(start + into));
      auto out = read_bytes(cut, "trunc");
      ASSERT_TRUE(out.reader);
      EXPECT_EQ(out.seen->order.size(), complete) << "cut at " << start + into;
      ASSERT_TRUE(out.stats.damage) << "cut at " << start + into;
      EXPECT_NE(out.stats.damage->where.find(std::to_string(start)), std::string::npos)
          << out.stats.damage->to_string();
      EXPECT_NE(out.stats.damage->hint.find("cut short"), std::string::npos);
    }
  }
}

TEST(ReaderFileTest, OversizedRecordSizeIsDamageNamingTheOffset) {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(1)));
  Bytes bad = sample_record(a, sample_at(2));
  bad[6] = std::byte{0x00};
  bad[7] = std::byte{0x10};  // size 4096
  b.record(bad);
  auto out = read_bytes(b.file_bytes(), "oversized");
  EXPECT_EQ(out.seen->samples.size(), 1u);
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("claims size 4096 but only"), std::string::npos)
      << out.stats.damage->to_string();
}

TEST(ReaderFileTest, RecordSizeBelowEightIsDamage) {
  TestAttr a = cpu_clock();
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(1)));
  Bytes bad = opaque_record(99, 8);
  bad[6] = std::byte{4};
  b.record(bad);
  b.record(sample_record(a, sample_at(2)));
  auto out = read_bytes(b.file_bytes(), "tiny");
  EXPECT_EQ(out.seen->samples.size(), 1u);
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("claims size 4"), std::string::npos);
}

TEST(ReaderFileTest, BrokenFeatureSectionIsAWarningOnly) {
  PerfDataBuilder b = basic_capture();
  b.feature(29, bytes_of({1, 0, 0, 0}));  // CLOCK_DATA cut to 4 bytes
  auto out = read_bytes(b.file_bytes(), "badfeature");
  ASSERT_TRUE(out.reader);
  EXPECT_FALSE(out.reader->info().clock_data);
  ASSERT_EQ(out.reader->info().warnings.size(), 1u);
  EXPECT_NE(out.reader->info().warnings[0].find("feature 29"), std::string::npos);
  EXPECT_EQ(out.reader->info().hostname, "host-1");
  EXPECT_EQ(out.seen->samples.size(), 2u);
}

TEST(ReaderFileTest, FileModeOnStandardInputIsRead) {
  std::string path = temp_path("stdin_file");
  write_file(path, basic_capture().file_bytes());
  int saved = ::dup(STDIN_FILENO);
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  auto reader = Reader::open("-");
  Collector seen;
  std::optional<ReadStats> stats;
  if (reader) {
    auto result = (*reader)->read_records(seen);
    if (result) stats = *result;
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(reader) << reader.error().to_string();
  ASSERT_TRUE(stats);
  EXPECT_EQ(seen.samples.size(), 2u);
  EXPECT_EQ((*reader)->info().hostname, "host-1");
  EXPECT_FALSE(stats->damage);
}

TEST(ReaderFileTest, RecordsCanBeReadOnlyOnce) {
  auto out = read_bytes(basic_capture().file_bytes(), "twice");
  Collector again;
  auto second = out.reader->read_records(again);
  EXPECT_FALSE(second);
}

Result<std::unique_ptr<Reader>> open_bytes(const Bytes& bytes, const std::string& name) {
  std::string path = temp_path(name);
  write_file(path, bytes);
  return Reader::open(path);
}

TEST(ReaderOpenTest, BigEndianCaptureIsRefused) {
  Bytes bytes = basic_capture().file_bytes();
  std::reverse(bytes.begin(), bytes.begin() + 8);
  auto reader = open_bytes(bytes, "bigendian");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("big-endian"), std::string::npos);
  EXPECT_NE(reader.error().hint.find("perf script"), std::string::npos);
}

TEST(ReaderOpenTest, NotAPerfFile) {
  Bytes bytes(200, std::byte{'x'});
  auto reader = open_bytes(bytes, "notperf");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("not a perf.data file (magic \"xxxxxxxx\""),
            std::string::npos)
      << reader.error().to_string();
  EXPECT_FALSE(open_bytes({}, "emptyfile"));
  EXPECT_FALSE(open_bytes(bytes_of({'P', 'E', 'R'}), "short"));
}

TEST(ReaderOpenTest, MissingFile) {
  auto reader = Reader::open(temp_path("does_not_exist"));
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("No such file"), std::string::npos);
  EXPECT_NE(reader.error().where.find("does_not_exist"), std::string::npos);
}

TEST(ReaderOpenTest, AttrsOutsideTheFileAreRefused) {
  Bytes bytes = basic_capture().file_bytes();
  uint64_t bad = 1ULL << 40;
  std::memcpy(bytes.data() + 24, &bad, 8);  // attrs.offset
  auto reader = open_bytes(bytes, "badattrs");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("attrs section"), std::string::npos);
}

TEST(ReaderOpenTest, CutInsideTheHeaderIsRefused) {
  Bytes bytes = basic_capture().file_bytes();
  bytes.resize(60);
  auto reader = open_bytes(bytes, "cutheader");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("cut short"), std::string::npos);
}

TEST(ReaderOpenTest, BadAttrSizeIsRefused) {
  Bytes bytes = basic_capture().file_bytes();
  uint64_t bad = 12;
  std::memcpy(bytes.data() + 16, &bad, 8);
  auto reader = open_bytes(bytes, "badattrsize");
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("attr_size"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::perfdata
