#include "perfdata/ordered_queue.h"

#include <algorithm>
#include <cstring>

namespace spanprof::perfdata {
namespace {

// std heap functions build a max-heap: "greater" puts the earliest record on top.
bool later(const QueuedRecord& a, const QueuedRecord& b) {
  if (a.time != b.time) return a.time > b.time;
  return a.sequence > b.sequence;
}

constexpr size_t kSpareLimit = 1024;
// Larger buffers (dwarf stack copies) are freed, so spares stay small.
constexpr size_t kSpareMaxWords = 512;

}  // namespace

OrderedQueue::OrderedQueue(Sink sink, size_t max_bytes) : sink_(std::move(sink)), max_bytes_(max_bytes) {}

void OrderedQueue::push(uint64_t time, std::span<const std::byte> record, uint64_t file_offset) {
  QueuedRecord entry;
  if (!spare_.empty()) {
    entry.words = std::move(spare_.back());
    spare_.pop_back();
  }
  entry.time = time;
  entry.sequence = next_sequence_++;
  entry.file_offset = file_offset;
  entry.size = static_cast<uint32_t>(record.size());
  entry.words.resize((record.size() + 7) / 8);
  if (!record.empty()) std::memcpy(entry.words.data(), record.data(), record.size());
  bytes_ += record.size() + sizeof(QueuedRecord);
  max_time_ = std::max(max_time_, time);
  heap_.push_back(std::move(entry));
  std::push_heap(heap_.begin(), heap_.end(), later);

  if (bytes_ > max_bytes_) {
    ++forced_flushes_;
    const size_t half = (heap_.size() + 1) / 2;
    for (size_t i = 0; i < half; ++i) pop_one();
  }
}

void OrderedQueue::pop_one() {
  std::pop_heap(heap_.begin(), heap_.end(), later);
  QueuedRecord entry = std::move(heap_.back());
  heap_.pop_back();
  bytes_ -= entry.size + sizeof(QueuedRecord);
  sink_(entry);
  if (spare_.size() < kSpareLimit && entry.words.capacity() <= kSpareMaxWords) spare_.push_back(std::move(entry.words));
}

void OrderedQueue::finished_round() {
  // The first round releases only records without a time (time 0), as perf does.
  while (!heap_.empty() && heap_.front().time <= flush_limit_) pop_one();
  flush_limit_ = max_time_;
}

void OrderedQueue::flush_all() {
  while (!heap_.empty()) pop_one();
}

}  // namespace spanprof::perfdata
