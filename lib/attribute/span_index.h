// Which span was running on a thread at an instant.
//
// Takes: spans with thread ids, their tree, and samples (pid, tid, Unix ns) in
// non-decreasing time order. Gives: the span a sample belongs to and its local
// root, and the next instant that answer may change (to cut off-CPU intervals). Of the spans open on the sample's thread (start <= t < end), those
// without an open descendant could be running (an open parent is taken to
// wait for its open child, as in synchronous code). One such span: it (the
// deepest, when the open spans nest). Several (async runtimes interleave
// requests on one thread): their deepest common ancestor in the span tree,
// which may run on another thread, or no span when they share none (other
// traces). Never a guess between spans that were open together.
// Cost O((samples + spans) log spans) when the open spans are few; the verdict
// is recomputed only when the open set changed. Memory for spans only.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
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
  // Samples whose open spans did not nest, labelled with their common ancestor.
  uint64_t samples_by_common_ancestor = 0;
  int64_t weight_by_common_ancestor = 0;
  // Samples whose open spans did not nest and share no ancestor: no span labels.
  uint64_t samples_unlabelled_not_nested = 0;
  int64_t weight_unlabelled_not_nested = 0;
};

// The index's key of a thread: (pid, tid), pid 0 when the span's resource
// has no process.pid.
inline uint64_t thread_key(uint32_t pid, uint32_t tid) {
  return (static_cast<uint64_t>(pid) << 32) | tid;
}
inline uint32_t pid_of_key(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
inline uint32_t tid_of_key(uint64_t key) { return static_cast<uint32_t>(key & 0xffffffffu); }

// The thread a span runs on, as the index keys it.
struct SpanThread {
  uint64_t key = 0;
  bool by_runtime_thread_id = false;  // from thread.id rather than an OS tid attribute
};

// nullopt when the span has no usable thread id.
std::optional<SpanThread> thread_of_span(const spans::SpanSet& set, const spans::Span& span);

// How the span of a sample was chosen.
enum class SpanChoice : uint8_t {
  kNone,            // no span open on the thread
  kDeepest,         // the open spans nest: the deepest of them
  kCommonAncestor,  // they do not nest: the deepest span containing them all
  kAmbiguous,       // they do not nest and share no ancestor: no span
};

struct SpanMatch {
  uint32_t innermost = kNoSpan;  // the chosen span (kNoSpan for kNone, kAmbiguous)
  uint32_t root = kNoSpan;
  SpanChoice choice = SpanChoice::kNone;
  // Open spans did not nest and nothing contains them all: left unlabelled
  // rather than guessed.
  bool ambiguous() const { return choice == SpanChoice::kAmbiguous; }
};

class SpanIndex {
 public:
  SpanIndex(const spans::SpanSet& set, const SpanTree& tree);

  // The span of a sample on (pid, tid) at unix_ns. Calls for one thread should
  // come in non-decreasing time (going back restarts that thread's sweep).
  // weight only feeds the weight_* counters of the stats.
  SpanMatch lookup(uint32_t pid, uint32_t tid, int64_t unix_ns, int64_t weight = 0);
  // The same answer, without counting it in the stats (off-CPU pieces are
  // not samples).
  SpanMatch match(uint32_t pid, uint32_t tid, int64_t unix_ns);
  // The first start or end of a span that lookup on (pid, tid) considers
  // (keys (pid, tid) and (0, tid)) later than unix_ns; INT64_MAX when none.
  // lookup's answer is the same at every instant in between.
  int64_t next_boundary(uint32_t pid, uint32_t tid, int64_t unix_ns) const;

  const SpanIndexStats& stats() const { return stats_; }

  // The ambiguous spans of the timelines a sample of (pid, tid) looks at.
  uint64_t ambiguous_spans_on(uint32_t pid, uint32_t tid) const;

  // True when the span has a thread to be placed on (and so could get samples).
  bool is_placed(uint32_t span) const { return placed_[span]; }

 private:
  struct Ending {
    int64_t end;
    uint32_t span;
    bool operator>(const Ending& other) const { return end > other.end; }
  };
  struct Verdict {
    uint32_t span = kNoSpan;
    SpanChoice choice = SpanChoice::kNone;
  };
  // The spans of one (pid, tid), sorted by (start, depth), with a sweep cursor.
  struct Timeline {
    std::vector<uint32_t> spans;
    // Every start and end of a span that can be open (start < end), sorted:
    // where the open set may change.
    std::vector<int64_t> boundaries;
    size_t next = 0;
    std::vector<uint32_t> active;  // open at last_time, in no order (a few, as a rule)
    std::priority_queue<Ending, std::vector<Ending>, std::greater<Ending>> endings;
    int64_t last_time = INT64_MIN;
    // The verdict on `active`, recomputed only after it changed: samples far
    // outnumber span starts and ends.
    Verdict verdict;
    bool changed = false;
    uint64_t ambiguous_spans = 0;  // this timeline's share of SpanIndexStats::ambiguous_spans
  };

  void advance(Timeline& timeline, int64_t unix_ns);
  Verdict judge(const std::vector<uint32_t>& active);
  const Verdict& verdict_at(Timeline& timeline, int64_t unix_ns);
  Verdict verdict_on_thread(uint32_t pid, uint32_t tid, int64_t unix_ns);
  void count_ambiguous(Timeline& timeline);

  const spans::SpanSet& set_;
  const SpanTree& tree_;
  // Key (pid, tid); pid 0 when the span's resource has no process.pid.
  std::unordered_map<uint64_t, Timeline> timelines_;
  std::vector<bool> placed_;
  // Per span: its place in its timeline's `active` while open.
  std::vector<uint32_t> slot_;
  // Per span: the judgement that found it has an open descendant (scratch).
  std::vector<uint32_t> mark_;
  uint32_t mark_epoch_ = 0;
  SpanIndexStats stats_;
};

}  // namespace spanprof::attribute
