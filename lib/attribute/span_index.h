// Which span was running on a thread at an instant.
//
// Takes: spans with thread ids, their tree, and samples (pid, tid, Unix ns) in
// non-decreasing time order. Gives: the innermost active span (start <= t < end;
// of overlapping spans the latest started, on equal starts the deepest) and its
// local root. Cost O((samples + spans) log spans); memory for spans only.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <set>
#include <unordered_map>
#include <vector>

#include "attribute/span_tree.h"
#include "spans/span_set.h"

namespace spanprof::attribute {

struct SpanIndexStats {
  uint64_t indexed_spans = 0;
  uint64_t spans_without_thread = 0;  // no os tid and no thread.id: cannot be placed
  uint64_t spans_by_runtime_thread_id = 0;  // placed by thread.id (used only if a sample proves it)
  uint64_t ambiguous_spans = 0;  // overlap a non-ancestor on the same thread (async runtimes)
  uint64_t threads = 0;
};

// The index's key of a thread: (pid, tid), pid 0 when the span's resource
// has no process.pid.
inline uint64_t thread_key(uint32_t pid, uint32_t tid) {
  return (static_cast<uint64_t>(pid) << 32) | tid;
}

// The thread a span runs on, as the index keys it.
struct SpanThread {
  uint64_t key = 0;
  bool by_runtime_thread_id = false;  // from thread.id rather than an OS tid attribute
};

// nullopt when the span has no usable thread id.
std::optional<SpanThread> thread_of_span(const spans::SpanSet& set, const spans::Span& span);

struct SpanMatch {
  uint32_t innermost = kNoSpan;
  uint32_t root = kNoSpan;
};

class SpanIndex {
 public:
  SpanIndex(const spans::SpanSet& set, const SpanTree& tree);

  // The span running on (pid, tid) at unix_ns. Calls for one thread must come
  // in non-decreasing time.
  SpanMatch lookup(uint32_t pid, uint32_t tid, int64_t unix_ns);

  const SpanIndexStats& stats() const { return stats_; }

  // True when the span has a thread to be placed on (and so could get samples).
  bool is_placed(uint32_t span) const { return placed_[span]; }

 private:
  struct ActiveKey {
    int64_t start;
    uint32_t depth;
    uint32_t span;
    auto operator<=>(const ActiveKey&) const = default;
  };
  struct Ending {
    int64_t end;
    ActiveKey key;
    bool operator>(const Ending& other) const { return end > other.end; }
  };
  // The spans of one (pid, tid), sorted by (start, depth), with a sweep cursor.
  struct Timeline {
    std::vector<uint32_t> spans;
    size_t next = 0;
    std::set<ActiveKey> active;
    std::priority_queue<Ending, std::vector<Ending>, std::greater<Ending>> endings;
    int64_t last_time = INT64_MIN;
  };

  const ActiveKey* advance(Timeline& timeline, int64_t unix_ns);
  void count_ambiguous(const Timeline& timeline);

  const spans::SpanSet& set_;
  const SpanTree& tree_;
  // Key (pid, tid); pid 0 when the span's resource has no process.pid.
  std::unordered_map<uint64_t, Timeline> timelines_;
  std::vector<bool> placed_;
  SpanIndexStats stats_;
};

}  // namespace spanprof::attribute
