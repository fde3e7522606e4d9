// Which span was current on a thread at an instant, from activation records.
//
// Takes: the capture's activations (lib/activations), its spans and their
// tree, and the way from CLOCK_MONOTONIC to Unix time. Gives, for a sample on
// (pid, tid) at unix_ns: whether that thread has activation records at all
// and, if so, the span current there (or none, or one no span file holds).
// Lookups for one thread come in non-decreasing time (a step back is
// answered too, by a binary search).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "activations/activation_set.h"
#include "attribute/span_tree.h"
#include "spans/span_set.h"

namespace spanprof::attribute {

struct ActivationJoinStats {
  uint64_t threads = 0;             // threads whose samples the activations decide
  uint64_t threads_without_clock = 0;  // left out: no way from their clock to the samples'
  uint64_t spans_activated = 0;     // distinct spans of the span files named by a record
  uint64_t unknown_spans = 0;       // distinct activated (trace, span) ids no span file holds
  uint64_t records_unknown_span = 0;
};

class ActivationTimeline {
 public:
  enum class State : uint8_t {
    kNoActivations,  // the thread has no records: join it by span times
    kBeforeFirst,    // the thread's first record is later
    kNoSpan,         // a record says no span is current
    kSpan,           // span is current
    kUnknownSpan,    // the current span is in no span file
  };
  struct Hit {
    State state = State::kNoActivations;
    uint32_t span = kNoSpan;
  };

  // monotonic_to_unix_ns: Unix minus CLOCK_MONOTONIC for the capture's
  // samples when they are on CLOCK_MONOTONIC (perf record -k monotonic);
  // otherwise each thread's file clock pair is used, and threads without one
  // are left out (counted).
  ActivationTimeline(const activations::ActivationSet& set, const spans::SpanSet& spans,
                     const SpanTree& tree, std::optional<int64_t> monotonic_to_unix_ns);

  Hit lookup(uint32_t pid, uint32_t tid, int64_t unix_ns);
  // True when the records decide (pid, tid): lookup never says kNoActivations.
  bool has_thread(uint32_t pid, uint32_t tid) const;
  // The first record of (pid, tid) that takes effect later than unix_ns
  // (lookup's answer is the same until then); INT64_MAX when none.
  int64_t next_transition(uint32_t pid, uint32_t tid, int64_t unix_ns) const;
  // True when a record of (pid, tid) names the span.
  bool activated_on(uint32_t span, uint32_t pid, uint32_t tid) const;

  // True when a record names the span: it is placed on a thread even without
  // a thread id.
  bool is_activated(uint32_t span) const { return activated_[span]; }
  const ActivationJoinStats& stats() const { return stats_; }
  // The (pid, tid) of every thread the records decide.
  std::vector<std::pair<uint32_t, uint32_t>> threads() const;

  // Records before first_unix_ns - margin or after last_unix_ns + margin: the
  // capture's samples cannot meet them (clocks that disagree, or a writer that
  // ran before or after the recording).
  uint64_t records_outside(int64_t first_unix_ns, int64_t last_unix_ns, int64_t margin_ns) const;

 private:
  struct Transition {
    int64_t unix_ns;
    uint32_t span;  // kNoSpan for none; kUnknown for an id no span file holds
  };
  struct Thread {
    std::vector<Transition> transitions;
    size_t next = 0;  // first transition later than the last lookup
    int64_t last_time = INT64_MIN;
  };
  static constexpr uint32_t kUnknown = kNoSpan - 1;

  struct SpanOnThread {
    uint32_t span;
    uint64_t thread;
    bool operator==(const SpanOnThread&) const = default;
  };
  struct SpanOnThreadHash {
    size_t operator()(const SpanOnThread& key) const {
      return std::hash<uint64_t>{}(key.thread * 0x9e3779b97f4a7c15ull ^ key.span);
    }
  };

  std::unordered_map<uint64_t, Thread> threads_;
  std::vector<bool> activated_;
  // Which threads' records name which spans: memory follows the records.
  std::unordered_set<SpanOnThread, SpanOnThreadHash> activated_on_;
  ActivationJoinStats stats_;
};

}  // namespace spanprof::attribute
