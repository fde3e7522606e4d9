#include "perfdata/ordered_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

namespace spanprof::perfdata {
namespace {

std::vector<std::byte> record_with(uint64_t tag, size_t size = 16) {
  std::vector<std::byte> bytes(size);
  std::memcpy(bytes.data() + 8, &tag, 8);
  return bytes;
}

uint64_t tag_of(const QueuedRecord& r) {
  uint64_t tag = 0;
  std::memcpy(&tag, r.bytes().data() + 8, 8);
  return tag;
}

TEST(OrderedQueueTest, FlushesUpToTheMaxTimeOfThePreviousRound) {
  std::vector<uint64_t> out;
  OrderedQueue q([&](const QueuedRecord& r) { out.push_back(tag_of(r)); });
  q.push(10, record_with(10), 0);
  q.push(30, record_with(30), 0);
  q.finished_round();  // first round: nothing is safe yet
  EXPECT_TRUE(out.empty());
  q.push(20, record_with(20), 0);
  q.push(40, record_with(40), 0);
  q.finished_round();  // releases time <= 30
  EXPECT_EQ(out, (std::vector<uint64_t>{10, 20, 30}));
  q.push(35, record_with(35), 0);
  q.flush_all();
  EXPECT_EQ(out, (std::vector<uint64_t>{10, 20, 30, 35, 40}));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.buffered_bytes(), 0u);
}

TEST(OrderedQueueTest, TiesKeepArrivalOrder) {
  std::vector<uint64_t> out;
  OrderedQueue q([&](const QueuedRecord& r) { out.push_back(tag_of(r)); });
  for (uint64_t i = 0; i < 100; ++i) q.push(5, record_with(i), i);
  q.flush_all();
  ASSERT_EQ(out.size(), 100u);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(out[i], i);
}

TEST(OrderedQueueTest, CapForcesFlushOfTheOldestHalf) {
  std::vector<uint64_t> out;
  OrderedQueue q([&](const QueuedRecord& r) { out.push_back(tag_of(r)); }, 64 * 1024);
  for (uint64_t i = 0; i < 10000; ++i) {
    q.push(10000 - i, record_with(10000 - i, 64), 0);  // arriving in reverse time order
    EXPECT_LE(q.buffered_bytes(), 64u * 1024 + 1024);
  }
  EXPECT_GT(q.forced_flushes(), 0u);
  q.flush_all();
  EXPECT_EQ(out.size(), 10000u);
}

TEST(OrderedQueueTest, RecordsAreCopiedAndAligned) {
  struct Seen {
    uintptr_t address;
    std::vector<std::byte> bytes;
    uint64_t file_offset;
  };
  std::vector<Seen> seen;
  OrderedQueue q([&](const QueuedRecord& r) {
    seen.push_back({reinterpret_cast<uintptr_t>(r.bytes().data()),
                    std::vector<std::byte>(r.bytes().begin(), r.bytes().end()), r.file_offset});
  });
  const auto original = record_with(77, 24);
  {
    // Starts one byte into its buffer: the copy must be aligned all the same.
    std::vector<std::byte> storage(original.size() + 1);
    std::copy(original.begin(), original.end(), storage.begin() + 1);
    q.push(1, std::span<const std::byte>(storage).subspan(1), 1234);
    std::fill(storage.begin(), storage.end(), std::byte{0});
  }
  q.push(2, record_with(78, 40), 2000);
  EXPECT_TRUE(seen.empty());
  q.flush_all();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].address % 8, 0u);
  EXPECT_EQ(seen[0].bytes, original) << "the record changed after its source was overwritten";
  EXPECT_EQ(seen[0].file_offset, 1234u);
  EXPECT_EQ(seen[1].address % 8, 0u);
  EXPECT_EQ(seen[1].bytes, record_with(78, 40));
  EXPECT_EQ(seen[1].file_offset, 2000u);
}

}  // namespace
}  // namespace spanprof::perfdata
