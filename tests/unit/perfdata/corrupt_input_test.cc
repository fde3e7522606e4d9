// Damaged captures must never crash the reader or read out of bounds (run under
// address,undefined sanitizers): random byte changes and cuts of valid captures.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "perf_data_builder.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

// A capture of many record kinds, and where in its records each sample becomes
// whole: after its own record, or after the compressed record that completes it.
struct RichCapture {
  PerfDataBuilder builder;
  std::vector<uint64_t> sample_ends;  // offsets from the first data record
  std::vector<uint64_t> record_ends;  // ends of the (outer) records
  Bytes file, pipe;
  uint64_t file_records_start = 0, file_records_end = 0, pipe_records_start = 0;
};

RichCapture rich_capture() {
  TestAttr a;
  a.sample_type = bits::kIdentifier | bits::kIp | bits::kTid | bits::kTime | bits::kCpu |
                  bits::kPeriod | bits::kRead | bits::kCallchain | bits::kRegsUser |
                  bits::kStackUser;
  a.read_format = 8 | 4;  // GROUP | ID
  a.sample_regs_user = 0b111;
  a.ids = {1, 2};
  TestAttr b2 = a;
  b2.ids = {3};
  TestSample s{.ip = 0x1000, .pid = 1, .tid = 2, .time = 10, .id = 3, .cpu = 1, .period = 5};
  s.read_words = {1, 9, 3};
  s.callchain = {0xfffffffffffffe00ULL, 0x1000, 0x2000};
  s.regs_abi = 2;
  s.regs = {1, 2, 3};
  s.stack = Bytes(32, std::byte{7});
  s.dyn_size = 16;
  TestSample later = s;
  later.time = 30;
  later.id = 1;

  RichCapture c;
  std::vector<Bytes> records;
  std::vector<size_t> sample_records;  // indexes of records holding a sample whole
  records.push_back(comm_record(a, 1, 2, "app", true, {.time = 1, .id = 1}));
  records.push_back(
      mmap2_record(a, {.addr = 0x1000, .len = 0x1000, .filename = "/app"}, {.time = 2, .id = 1}));
  sample_records.push_back(records.size());
  records.push_back(sample_record(a, s));
  records.push_back(finished_round_record());
  // The inner sample is cut in two: it is whole after the second compressed record.
  Bytes inner = concat({sample_record(a, s), task_record(7, a, 3, 1, 3, 1, 20, {.time = 20, .id = 3}),
                        lost_samples_record(a, 4, {.time = 21, .id = 1})});
  const size_t cut = sample_record(a, s).size() / 2;
  for (Bytes& r : compressed_records(inner, {cut}, true)) records.push_back(std::move(r));
  sample_records.push_back(records.size() - 1);
  sample_records.push_back(records.size());
  records.push_back(sample_record(a, later));
  sample_records.push_back(records.size());
  records.push_back(sample_record(a, later));

  uint64_t end = 0;
  for (const Bytes& r : records) {
    end += r.size();
    c.record_ends.push_back(end);
    c.builder.record(r);
  }
  for (size_t i : sample_records) c.sample_ends.push_back(c.record_ends[i]);
  c.builder.attr(a).attr(b2);
  c.builder.feature(3, feature::string("host"));
  c.builder.feature(12, feature::event_desc({a, b2}, {"one", "two"}));
  c.builder.feature(29, feature::clock_data(1, 2, 3));
  c.builder.feature(2, feature::build_id_event(1, bytes_of({1, 2, 3}), "/app", true));
  c.file = c.builder.file_bytes();
  c.pipe = c.builder.pipe_bytes();
  // file: header, attrs, ids, data, features; pipe: header records, then the data.
  c.file_records_start = 104 + 2 * (128 + 16) + 8 * 3;
  c.file_records_end = c.file_records_start + end;
  c.pipe_records_start = c.pipe.size() - end;
  return c;
}

struct Salvage {
  bool opened = false;
  uint64_t samples = 0;
  std::optional<Error> damage;
};

Salvage read_salvage(const Bytes& bytes, const std::string& name) {
  std::string path = temp_path(name);
  write_file(path, bytes);
  Salvage out;
  auto reader = Reader::open(path);
  if (!reader) return out;
  out.opened = true;
  Collector seen(&(*reader)->info());
  auto stats = (*reader)->read_records(seen);
  EXPECT_TRUE(stats.has_value()) << "an opened capture always reads: " << stats.error().to_string();
  if (!stats) return out;
  EXPECT_EQ(stats->samples, seen.samples.size());
  out.samples = stats->samples;
  out.damage = stats->damage;
  return out;
}

// The byte offset a damage report names ("perf.data byte offset N").
std::optional<uint64_t> offset_named(const Error& damage) {
  const std::string prefix = "perf.data byte offset ";
  if (damage.where.rfind(prefix, 0) != 0) return std::nullopt;
  return std::stoull(damage.where.substr(prefix.size()));
}

uint64_t samples_whole_before(const RichCapture& c, uint64_t records_bytes) {
  uint64_t n = 0;
  for (uint64_t end : c.sample_ends) n += end <= records_bytes ? 1 : 0;
  return n;
}

TEST(CorruptInputTest, TheUndamagedCaptureIsReadWhole) {
  const RichCapture c = rich_capture();
  for (const Bytes* bytes : {&c.file, &c.pipe}) {
    Salvage got = read_salvage(*bytes, "whole");
    EXPECT_TRUE(got.opened);
    EXPECT_EQ(got.samples, c.sample_ends.size());
    EXPECT_FALSE(got.damage) << got.damage->to_string();
  }
}

// Random byte changes in the data records: never a crash, and every sample whole
// before the first changed byte is still delivered. Changes anywhere else (the
// header, attrs, features) must not crash either.
TEST(CorruptInputTest, RandomByteChangesKeepWhatCameBefore) {
  const RichCapture c = rich_capture();
  std::mt19937 rng(12345);
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(pipe ? "pipe" : "file");
    const Bytes& original = pipe ? c.pipe : c.file;
    const uint64_t records_start = pipe ? c.pipe_records_start : c.file_records_start;
    const uint64_t records_end = pipe ? original.size() : c.file_records_end;
    for (int round = 0; round < 500; ++round) {
      Bytes bytes = original;
      const bool in_records = round % 2 == 0;
      const uint64_t low = in_records ? records_start : 8;  // keep the magic: reach the parsers
      const uint64_t span = (in_records ? records_end : original.size()) - low;
      uint64_t first = UINT64_MAX;
      int changes = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < changes; ++i) {
        size_t at = low + rng() % span;
        first = std::min<uint64_t>(first, at);
        bytes[at] = static_cast<std::byte>(rng() % 4 == 0 ? 0xff : rng() & 0xff);
      }
      Salvage got = read_salvage(bytes, "mutated");
      if (got.damage) {
        auto at = offset_named(*got.damage);
        if (at) {
          EXPECT_LE(*at, bytes.size()) << got.damage->to_string();
        }
      }
      if (!in_records) continue;
      ASSERT_TRUE(got.opened) << "a change in the records cannot spoil the header";
      EXPECT_GE(got.samples, samples_whole_before(c, first - records_start))
          << "round " << round << ", first change at byte " << first;
    }
  }
}

// Every cut: the samples whole before the cut are delivered, no others, and a cut
// that is not at a record's end is damage naming an offset at or before the cut.
TEST(CorruptInputTest, EveryCutDeliversTheWholeSamplesBeforeIt) {
  const RichCapture c = rich_capture();
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(pipe ? "pipe" : "file");
    const Bytes& original = pipe ? c.pipe : c.file;
    const uint64_t records_start = pipe ? c.pipe_records_start : c.file_records_start;
    for (size_t size = 0; size < original.size(); ++size) {
      SCOPED_TRACE("cut at " + std::to_string(size));
      Salvage got = read_salvage(Bytes(original.begin(), original.begin() + static_cast<long>(size)),
                                 "cut");
      if (size < 16) {
        EXPECT_FALSE(got.opened);
        continue;
      }
      if (size < records_start) {
        // The header itself is cut: refused (file mode) or read up to the cut (pipe
        // mode, where the header is records). Nothing to salvage either way.
        EXPECT_EQ(got.samples, 0u);
        continue;
      }
      ASSERT_TRUE(got.opened);
      if (!pipe && size >= c.file_records_end) {
        // Only features are missing: all the data is there.
        EXPECT_EQ(got.samples, c.sample_ends.size());
        EXPECT_FALSE(got.damage) << got.damage->to_string();
        continue;
      }
      const uint64_t records_bytes = size - records_start;
      EXPECT_EQ(got.samples, samples_whole_before(c, records_bytes));
      const bool at_record_end = records_bytes == 0 ||
                                 std::find(c.record_ends.begin(), c.record_ends.end(),
                                           records_bytes) != c.record_ends.end();
      // File mode knows the data's size, so any cut is damage.
      if (!pipe || !at_record_end) {
        ASSERT_TRUE(got.damage);
        auto at = offset_named(*got.damage);
        ASSERT_TRUE(at) << got.damage->to_string();
        EXPECT_LE(*at, size) << got.damage->to_string();
        EXPECT_GE(*at, records_start) << got.damage->to_string();
      }
    }
  }
}

}  // namespace
}  // namespace spanprof::perfdata
