// Damaged captures must never crash the reader or read out of bounds (run under
// address,undefined sanitizers): random byte changes and cuts of valid captures.
#include <gtest/gtest.h>

#include <random>

#include "perf_data_builder.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

PerfDataBuilder rich_capture() {
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
  PerfDataBuilder b;
  b.attr(a).attr(b2);
  b.record(comm_record(a, 1, 2, "app", true, {.time = 1, .id = 1}));
  b.record(mmap2_record(a, {.addr = 0x1000, .len = 0x1000, .filename = "/app"}, {.time = 2, .id = 1}));
  b.record(sample_record(a, s));
  b.record(finished_round_record());
  Bytes inner = concat({sample_record(a, s), task_record(7, a, 3, 1, 3, 1, 20, {.time = 20, .id = 3}),
                        lost_samples_record(a, 4, {.time = 21, .id = 1})});
  b.records(compressed_records(inner, {inner.size() / 2}, true));
  b.feature(3, feature::string("host"));
  b.feature(12, feature::event_desc({a, b2}, {"one", "two"}));
  b.feature(29, feature::clock_data(1, 2, 3));
  b.feature(2, feature::build_id_event(1, bytes_of({1, 2, 3}), "/app", true));
  return b;
}

void read_quietly(const Bytes& bytes, const std::string& name) {
  std::string path = temp_path(name);
  write_file(path, bytes);
  auto reader = Reader::open(path);
  if (!reader) return;
  Collector seen(&(*reader)->info());
  auto stats = (*reader)->read_records(seen);
  EXPECT_TRUE(stats.has_value());
}

TEST(CorruptInputTest, RandomByteChangesNeverCrash) {
  const PerfDataBuilder builder = rich_capture();
  std::mt19937 rng(12345);
  for (bool pipe : {false, true}) {
    const Bytes original = pipe ? builder.pipe_bytes() : builder.file_bytes();
    for (int round = 0; round < 500; ++round) {
      Bytes bytes = original;
      int changes = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < changes; ++i) {
        size_t at = 8 + rng() % (bytes.size() - 8);  // keep the magic: reach the parsers
        bytes[at] = static_cast<std::byte>(rng() % 4 == 0 ? 0xff : rng() & 0xff);
      }
      read_quietly(bytes, "mutated");
    }
  }
}

TEST(CorruptInputTest, EveryCutNeverCrashes) {
  const PerfDataBuilder builder = rich_capture();
  for (bool pipe : {false, true}) {
    const Bytes original = pipe ? builder.pipe_bytes() : builder.file_bytes();
    for (size_t size = 0; size < original.size(); ++size) {
      read_quietly(Bytes(original.begin(), original.begin() + static_cast<long>(size)), "cut");
    }
  }
}

}  // namespace
}  // namespace spanprof::perfdata
