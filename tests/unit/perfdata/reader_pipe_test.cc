// Pipe-mode captures (perf record -o -), standard input and zstd-compressed data.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "perf_data_builder.h"
#include "perfdata/event_attr.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

TestAttr attr_with_id(uint64_t id) {
  TestAttr a;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kPeriod | bits::kCallchain;
  a.ids = {id};
  return a;
}

TestSample sample_at(uint64_t time, uint64_t ip = 0x1000) {
  TestSample s{.ip = ip, .pid = 7, .tid = 8, .time = time, .period = 10};
  s.callchain = {ip, ip + 0x10};
  return s;
}

Bytes tracing_data_record(size_t payload) {
  ByteWriter w;
  w.u32(66).u16(0).u16(16).u32(static_cast<uint32_t>(payload)).u32(0);
  w.zeros((payload + 7) / 8 * 8);
  return w.data;
}

PerfDataBuilder pipe_capture() {
  TestAttr a = attr_with_id(5);
  PerfDataBuilder b;
  b.attr(a);
  b.feature(5, feature::string("6.1.192"));
  b.feature(29, feature::clock_data(1, 111, 222));
  b.feature(12, feature::event_desc({a}, {"cpu-clock"}));
  b.pipe_header_record(tracing_data_record(13));
  b.pipe_header_record(opaque_record(65, 16));  // HEADER_EVENT_TYPE
  b.pipe_header_record(feature::build_id_event(7, bytes_of({0xfe, 0xed}), "/bin/app", true));
  b.record(comm_record(a, 7, 8, "app", true, {.time = 1}));
  b.record(sample_record(a, sample_at(20)));
  b.record(mmap2_record(a, {.pid = 7, .addr = 0x1000, .len = 0x1000, .build_id = bytes_of({1, 2, 3}),
                            .filename = "/bin/app"},
                        {.time = 10}));
  b.record(finished_round_record());
  b.record(sample_record(a, sample_at(30)));
  return b;
}

TEST(ReaderPipeTest, ReadsAttrsFeaturesAndRecordsFromTheStream) {
  auto out = read_bytes(pipe_capture().pipe_bytes(), "pipe");
  ASSERT_TRUE(out.reader);
  const CaptureInfo& info = out.reader->info();
  EXPECT_TRUE(info.pipe_mode);
  ASSERT_EQ(info.attrs.size(), 1u);
  EXPECT_EQ(info.attrs[0].ids, std::vector<uint64_t>{5});
  EXPECT_EQ(info.attrs[0].name, "cpu-clock");
  EXPECT_EQ(info.perf_version, "6.1.192");
  ASSERT_TRUE(info.clock_data);
  EXPECT_EQ(info.clock_data->tod_ns, 111u);
  ASSERT_EQ(info.build_ids.size(), 1u);
  EXPECT_EQ(info.build_ids[0].build_id, "feed");
  EXPECT_EQ(info.build_ids[0].filename, "/bin/app");

  const Collector& seen = *out.seen;
  std::vector<std::string> kinds;
  for (const auto& e : seen.order) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"comm", "mmap", "sample", "sample"}));
  ASSERT_EQ(seen.mmaps.size(), 1u);
  EXPECT_EQ(seen.mmaps[0].build_id, bytes_of({1, 2, 3}));
  EXPECT_EQ(out.stats.samples, 2u);
  EXPECT_EQ(out.stats.skipped_by_type[65], 1u);
  EXPECT_FALSE(out.stats.damage) << out.stats.damage->to_string();
}

TEST(ReaderPipeTest, TracingDataPayloadCutShortIsDamage) {
  PerfDataBuilder b;
  b.attr(attr_with_id(5));
  Bytes bytes = b.pipe_bytes();
  Bytes tracing = tracing_data_record(4000);
  tracing.resize(16 + 100);
  bytes.insert(bytes.end(), tracing.begin(), tracing.end());
  auto out = read_bytes(bytes, "pipe_tracing_cut");
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("payload"), std::string::npos);
}

TEST(ReaderPipeTest, ReadsStandardInputForDash) {
  std::string path = temp_path("stdin_pipe");
  write_file(path, pipe_capture().pipe_bytes());
  int saved = ::dup(STDIN_FILENO);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  // A real pipe: the reader must not seek. The capture is small enough for the pipe buffer.
  Bytes bytes = pipe_capture().pipe_bytes();
  ASSERT_LT(bytes.size(), 60000u);
  ASSERT_EQ(::write(pipefd[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(pipefd[1]);
  ::dup2(pipefd[0], STDIN_FILENO);
  ::close(pipefd[0]);
  auto reader = Reader::open("-");
  ASSERT_TRUE(reader) << reader.error().to_string();
  Collector seen;
  auto stats = (*reader)->read_records(seen);
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_TRUE(stats);
  EXPECT_EQ(seen.samples.size(), 2u);
  EXPECT_EQ((*reader)->info().file_size, 0u);
  EXPECT_FALSE(stats->damage);
}

// Opens `bytes` as standard input through a real pipe (no seeking); the bytes
// must fit the pipe buffer.
class StdinPipe {
 public:
  explicit StdinPipe(const Bytes& bytes) {
    saved_ = ::dup(STDIN_FILENO);
    int pipefd[2];
    EXPECT_EQ(::pipe(pipefd), 0);
    EXPECT_LT(bytes.size(), 60000u);
    EXPECT_EQ(::write(pipefd[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(pipefd[1]);
    ::dup2(pipefd[0], STDIN_FILENO);
    ::close(pipefd[0]);
  }
  ~StdinPipe() {
    ::dup2(saved_, STDIN_FILENO);
    ::close(saved_);
  }
  StdinPipe(const StdinPipe&) = delete;
  StdinPipe& operator=(const StdinPipe&) = delete;

 private:
  int saved_ = -1;
};

// What the kernel-symbols decision needs (HOSTNAME, OSRELEASE) must be known
// before the records are read, as in file mode.
TEST(ReaderPipeTest, HeaderRecordsAreReadAtOpen) {
  PerfDataBuilder b = pipe_capture();
  b.feature(3, feature::string("build-host"));
  b.feature(4, feature::string("6.18.0-test"));
  StdinPipe in(b.pipe_bytes());
  auto reader = Reader::open("-");
  ASSERT_TRUE(reader) << reader.error().to_string();
  const CaptureInfo& info = (*reader)->info();
  EXPECT_EQ(info.hostname, "build-host");
  EXPECT_EQ(info.os_release, "6.18.0-test");
  EXPECT_EQ(info.perf_version, "6.1.192");
  ASSERT_EQ(info.attrs.size(), 1u);
  EXPECT_EQ(info.attrs[0].name, "cpu-clock");
  ASSERT_TRUE(info.clock_data);
  EXPECT_EQ(info.build_ids.size(), 1u) << "HEADER_BUILD_ID came before the first data record";

  // The record the header reading stopped at is not lost.
  Collector seen;
  auto stats = (*reader)->read_records(seen);
  ASSERT_TRUE(stats);
  EXPECT_FALSE(stats->damage) << stats->damage->to_string();
  std::vector<std::string> kinds;
  for (const auto& e : seen.order) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"comm", "mmap", "sample", "sample"}));
  // 1 attr, 5 features, tracing data, event type, build id; 5 data records.
  EXPECT_EQ(stats->records, 14u);
  EXPECT_EQ(stats->skipped_by_type[65], 1u) << "counted while the header was read";
}

TEST(ReaderPipeTest, AStreamOfHeaderRecordsOnlyIsReadWhole) {
  PerfDataBuilder b;
  b.attr(attr_with_id(5));
  b.feature(3, feature::string("h"));
  auto out = read_bytes(b.pipe_bytes(), "pipe_header_only");
  ASSERT_TRUE(out.reader);
  EXPECT_EQ(out.reader->info().hostname, "h");
  EXPECT_EQ(out.stats.records, 2u);
  EXPECT_TRUE(out.seen->samples.empty());
  EXPECT_FALSE(out.stats.damage);
}

// Pipe mode has no EVENT_DESC: perf names its events in EVENT_UPDATE records
// (type 2, NAME), which it writes after the first synthesized records.
TEST(ReaderPipeTest, EventUpdateNamesTheEvent) {
  TestAttr clock = attr_with_id(8);
  TestAttr misses = attr_with_id(9);
  misses.type = 0;
  misses.config = 5;
  misses.flags |= 1ULL << 20;  // exclude_guest, as perf record sets it
  PerfDataBuilder b;
  b.attr(clock).attr(misses);
  b.record(mmap2_record(clock, {.pid = 7, .addr = 0x1000, .len = 0x1000, .filename = "/bin/app"},
                        {.time = 1}));
  b.record(event_update_record(1, 8, "msec"));  // UNIT: not a name
  b.record(event_update_record(2, 8, "cpu-clock"));
  b.record(event_update_record(2, 77, "nobody"));  // an id of no event
  b.record(sample_record(clock, sample_at(20)));
  TestSample other = sample_at(30);
  b.record(sample_record(misses, other));
  auto out = read_bytes(b.pipe_bytes(), "pipe_event_update");
  ASSERT_TRUE(out.reader);
  const CaptureInfo& info = out.reader->info();
  EXPECT_EQ(info.attrs[0].name, "cpu-clock");
  EXPECT_EQ(info.attrs[1].name, "") << "no name recorded: event_name() falls back";
  EXPECT_EQ(event_name(info.attrs[1]), "branch-misses");
  EXPECT_EQ(out.stats.skipped_by_type[78], 2u);
}

TEST(ReaderPipeTest, FileModeOnAPipeIsRefused) {
  TestAttr a = attr_with_id(5);
  PerfDataBuilder b;
  b.attr(a);
  Bytes bytes = b.file_bytes();
  int saved = ::dup(STDIN_FILENO);
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  ASSERT_EQ(::write(pipefd[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(pipefd[1]);
  ::dup2(pipefd[0], STDIN_FILENO);
  ::close(pipefd[0]);
  auto reader = Reader::open("-");
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  ASSERT_FALSE(reader);
  EXPECT_NE(reader.error().message.find("pipe"), std::string::npos);
}

struct CompressedCase {
  const char* name;
  bool compressed2;
  bool pipe;
};

class CompressedTest : public ::testing::TestWithParam<CompressedCase> {};

TEST_P(CompressedTest, RecordStraddlingTwoCompressedRecordsIsReassembled) {
  TestAttr a = attr_with_id(5);
  std::vector<Bytes> inner = {
      comm_record(a, 7, 8, "app", false, {.time = 1}),
      sample_record(a, sample_at(30, 0x1111)),
      mmap2_record(a, {.addr = 0x1000, .filename = "/bin/app"}, {.time = 5}),
      finished_round_record(),
      sample_record(a, sample_at(40, 0x2222)),
      sample_record(a, sample_at(50, 0x3333)),
  };
  Bytes stream = concat(inner);
  // Cuts inside the sample (byte 3 of its header and mid-body) and inside the mmap2.
  size_t first = inner[0].size();
  std::vector<size_t> cuts = {first + 3, first + 20, first + inner[1].size() + 30};
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(2, 0x0999)));  // uncompressed, before
  b.records(compressed_records(stream, cuts, GetParam().compressed2));
  b.record(sample_record(a, sample_at(60, 0x4444)));  // uncompressed, after
  const CompressedCase& c = GetParam();
  auto out = read_bytes(c.pipe ? b.pipe_bytes() : b.file_bytes(), c.name);
  ASSERT_TRUE(out.reader);
  EXPECT_FALSE(out.stats.damage) << out.stats.damage->to_string();
  EXPECT_EQ(out.stats.compressed_records, 4u);
  std::vector<uint64_t> ips;
  for (const auto& s : out.seen->samples) ips.push_back(s.ip);
  EXPECT_EQ(ips, (std::vector<uint64_t>{0x0999, 0x1111, 0x2222, 0x3333, 0x4444}));
  ASSERT_EQ(out.seen->mmaps.size(), 1u);
  EXPECT_EQ(out.seen->mmaps[0].filename, "/bin/app");
  EXPECT_EQ(out.seen->comms.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Variants, CompressedTest,
                         ::testing::Values(CompressedCase{"compressed_file", false, false},
                                           CompressedCase{"compressed2_file", true, false},
                                           CompressedCase{"compressed2_pipe", true, true}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CompressedDamageTest, CorruptZstdDataIsDamageAfterEarlierRecords) {
  TestAttr a = attr_with_id(5);
  PerfDataBuilder b;
  b.attr(a);
  b.record(sample_record(a, sample_at(1)));
  auto compressed = compressed_records(sample_record(a, sample_at(2)), {}, true);
  for (size_t i = 16; i < compressed[0].size(); ++i) compressed[0][i] = std::byte{0xff};
  b.records(compressed);
  auto out = read_bytes(b.file_bytes(), "zstd_corrupt");
  EXPECT_EQ(out.seen->samples.size(), 1u);
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("zstd"), std::string::npos);
}

TEST(CompressedDamageTest, StreamEndingInsideAnInnerRecordIsDamage) {
  TestAttr a = attr_with_id(5);
  Bytes inner = concat({sample_record(a, sample_at(1)), sample_record(a, sample_at(2))});
  auto compressed = compressed_records(inner, {inner.size() - 10}, false);
  compressed.pop_back();  // the tail of the second sample never arrives
  PerfDataBuilder b;
  b.attr(a);
  b.records(compressed);
  auto out = read_bytes(b.file_bytes(), "zstd_tail");
  EXPECT_EQ(out.seen->samples.size(), 1u);
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("compressed data ends inside a record"),
            std::string::npos);
}

}  // namespace
}  // namespace spanprof::perfdata
