// Time ordering of records, perf's ordered-events scheme (util/ordered-events.c):
// records are buffered and, at each FINISHED_ROUND, every record with time <=
// the largest time seen before the previous FINISHED_ROUND is released, ties
// kept in file order.
//
// A record is held either as a copy or, when it lies in a file mapping that
// outlives it, as a view (pointer and size): the caller keeps the bytes valid
// while lowest_view_offset() is at or before the record's file offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace spanprof::perfdata {

// A record's bytes, 8-byte aligned. Unlike std::vector it does not zero what it
// allocates: every byte is overwritten by the copy (dwarf samples are 8 KB each).
class RecordBuffer {
 public:
  void assign(std::span<const std::byte> bytes);
  std::span<const std::byte> bytes() const {
    return std::as_bytes(std::span<const uint64_t>(words_.get(), capacity_words_)).first(size_);
  }
  size_t capacity_bytes() const { return capacity_words_ * 8; }

 private:
  std::unique_ptr<uint64_t[]> words_;
  size_t capacity_words_ = 0;
  size_t size_ = 0;
};

struct QueuedRecord {
  uint64_t time = 0;
  uint64_t sequence = 0;  // file order, breaks ties
  uint64_t file_offset = 0;
  uint32_t size = 0;
  bool is_view = false;
  uint64_t view_index = 0;  // views only: their order of arrival
  std::span<const std::byte> view;
  RecordBuffer buffer;

  std::span<const std::byte> bytes() const { return is_view ? view : buffer.bytes(); }
};

class OrderedQueue {
 public:
  static constexpr size_t kDefaultMaxBytes = 64 << 20;
  using Sink = std::function<void(const QueuedRecord&)>;

  OrderedQueue(Sink sink, size_t max_bytes = kDefaultMaxBytes);

  enum class Hold { kCopy, kView };

  // Takes the record in, copied or as a view. Views must arrive in file order.
  // When the buffered bytes (views counted too: they pin mapped pages) exceed
  // the cap, releases the oldest half at once (a forced flush).
  void push(uint64_t time, std::span<const std::byte> record, uint64_t file_offset,
            Hold hold = Hold::kCopy);
  void finished_round();
  void flush_all();

  size_t buffered_bytes() const { return bytes_; }
  size_t size() const { return heap_.size(); }
  uint64_t forced_flushes() const { return forced_flushes_; }
  // The file offset of the earliest view not yet released; nullopt when none is
  // queued. Bytes before it are no longer needed.
  std::optional<uint64_t> lowest_view_offset() const {
    if (pending_views_.empty()) return std::nullopt;
    return pending_views_.front().file_offset;
  }

 private:
  struct PendingView {
    uint64_t file_offset;
    bool released;
  };

  void pop_one();

  Sink sink_;
  size_t max_bytes_;
  std::vector<QueuedRecord> heap_;  // min-heap on (time, sequence)
  std::vector<RecordBuffer> spare_;  // recycled buffers
  size_t spare_bytes_ = 0;
  // Views in arrival (= file) order; released ones leave from the front.
  std::deque<PendingView> pending_views_;
  uint64_t first_pending_view_ = 0;  // view_index of pending_views_.front()
  uint64_t next_view_index_ = 0;
  size_t bytes_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t max_time_ = 0;
  uint64_t flush_limit_ = 0;  // max time seen at the previous FINISHED_ROUND
  uint64_t forced_flushes_ = 0;
};

}  // namespace spanprof::perfdata
