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

// Recycled buffers are kept up to this many bytes in all: enough for a round of
// dwarf samples (8 KB stack copies), small next to the queue's own cap.
constexpr size_t kSpareMaxBytes = 8 << 20;
constexpr size_t kSpareMaxBufferBytes = 128 << 10;

}  // namespace

void RecordBuffer::assign(std::span<const std::byte> bytes) {
  size_t words = (bytes.size() + 7) / 8;
  if (words > capacity_words_) {
    words_.reset(new uint64_t[words]);  // default-initialized: no zeroing
    capacity_words_ = words;
  }
  if (!bytes.empty()) std::memcpy(words_.get(), bytes.data(), bytes.size());
  size_ = bytes.size();
}

OrderedQueue::OrderedQueue(Sink sink, size_t max_bytes) : sink_(std::move(sink)), max_bytes_(max_bytes) {}

void OrderedQueue::push(uint64_t time, std::span<const std::byte> record, uint64_t file_offset,
                        Hold hold) {
  QueuedRecord entry;
  entry.time = time;
  entry.sequence = next_sequence_++;
  entry.file_offset = file_offset;
  entry.size = static_cast<uint32_t>(record.size());
  if (hold == Hold::kView) {
    entry.is_view = true;
    entry.view = record;
    entry.view_index = next_view_index_++;
    pending_views_.push_back(PendingView{file_offset, false});
  } else {
    if (!spare_.empty()) {
      entry.buffer = std::move(spare_.back());
      spare_bytes_ -= entry.buffer.capacity_bytes();
      spare_.pop_back();
    }
    entry.buffer.assign(record);
  }
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
  if (entry.is_view) {
    pending_views_[entry.view_index - first_pending_view_].released = true;
    while (!pending_views_.empty() && pending_views_.front().released) {
      pending_views_.pop_front();
      ++first_pending_view_;
    }
    return;
  }
  size_t capacity = entry.buffer.capacity_bytes();
  if (capacity <= kSpareMaxBufferBytes && spare_bytes_ + capacity <= kSpareMaxBytes) {
    spare_bytes_ += capacity;
    spare_.push_back(std::move(entry.buffer));
  }
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
