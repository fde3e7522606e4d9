// Where each span's time went: CPU, off-CPU by thread state, and what the
// capture cannot account for (issue #13's "why was this span slow").
//
// Takes: the off-CPU pieces of a join (each already matched to a span, with
// its thread state and stack), the span attribution's per-span CPU, and the
// names of the stacks' functions. Gives: per span name the sums, and the
// slowest spans with a one-line breakdown such as
// "GET /x 48.0 ms: 5.0 ms CPU, 40.0 ms sleeping in futex_wait <- pool_get, 3.0 ms waiting for a CPU".
//
// A span counts only where its own thread's time is known: its thread had
// switch records in the capture. CPU is the sampled cpu-clock time (so it
// carries the sampling error of one period per sample), whichever event is
// the main profile's; without a cpu-clock event it is not measured (never a
// 0). Off-CPU is exact to the switch records' timestamps. Both go to the
// matched span and up its parents while they are on the same thread
// (SpanAttribution::on_thread), by one walk.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "attribute/span_attribution.h"
#include "offcpu/switch_pairing.h"

namespace spanprof::join {

inline constexpr size_t kThreadStates = 4;  // offcpu::ThreadState values

// "sleeping", "blocked_io", "runnable", "unknown": the thread_state label.
const char* thread_state_label(offcpu::ThreadState state);

struct SpanTimeTotals {
  uint64_t spans = 0;
  int64_t duration_ns = 0;
  int64_t cpu_ns = 0;  // 0 when SpanTimeReport::cpu_measured is false
  std::array<int64_t, kThreadStates> off_cpu_ns{};  // by offcpu::ThreadState
  // duration - cpu - off-CPU: time the capture holds no record of (cut
  // intervals, sampling error, time before the thread's first switch record);
  // without measured CPU, that CPU too.
  int64_t unaccounted_ns = 0;
};

struct SpanTimeByName {
  std::string name;
  SpanTimeTotals totals;
};

struct SlowSpan {
  std::string name;
  std::string span_id;   // 16 hex
  std::string trace_id;  // 32 hex
  SpanTimeTotals totals;  // spans = 1
  // Per state, the stack that held most of that state's time, functions leaf
  // first, kernel frames left out ("" when no stack).
  std::array<std::string, kThreadStates> top_stack;
  std::string line;  // the one-line breakdown
};

struct SpanTimeReport {
  bool cpu_measured = true;  // the capture has a cpu-clock event
  std::vector<SpanTimeByName> by_name;  // by duration, longest first
  std::vector<SlowSpan> slowest;        // up to 10, longest first
  uint64_t spans_on_unobserved_threads = 0;  // left out: no switch records on their thread
};

class SpanTime {
 public:
  // cpu_measured: add_cpu will get the cpu-clock samples.
  explicit SpanTime(bool cpu_measured) : cpu_measured_(cpu_measured) {}

  // A thread with switch records: its spans' time is known.
  void observe_thread(uint32_t pid, uint32_t tid);
  // ns of off-CPU time on (pid, tid) inside match's span, in `state`, on
  // stack `stack` (an id of describe_stack's table; offcpu::kNoStack for none).
  void add_off_cpu(const attribute::SpanAttribution& attribution, const attribute::SpanMatch& match,
                   uint32_t pid, uint32_t tid, offcpu::ThreadState state, int64_t ns,
                   uint32_t stack);

  // A cpu-clock sample of ns on (pid, tid), inside match's span.
  void add_cpu(const attribute::SpanAttribution& attribution, const attribute::SpanMatch& match,
               uint32_t pid, uint32_t tid, int64_t ns);

  // stack_names(stack id) gives its description ("f <- g <- h").
  SpanTimeReport summarize(const attribute::SpanAttribution& attribution,
                           const std::function<std::string(uint32_t)>& stack_names) const;

 private:
  struct PerSpan {
    int64_t cpu_ns = 0;
    std::array<int64_t, kThreadStates> off_cpu_ns{};
  };
  // fn(span) for the match's span and its parents while on (pid, tid).
  template <class Fn>
  void for_spans_on_thread(const attribute::SpanAttribution& attribution,
                           const attribute::SpanMatch& match, uint32_t pid, uint32_t tid, Fn fn);
  bool is_observed(const spans::SpanSet& set, uint32_t span) const;

  bool cpu_measured_;
  std::set<uint64_t> observed_;  // thread keys (pid, tid)
  std::map<uint32_t, PerSpan> per_span_;
  // (span << 32 | stack) -> ns, per state
  std::array<std::map<uint64_t, int64_t>, kThreadStates> stack_ns_;
};

}  // namespace spanprof::join
