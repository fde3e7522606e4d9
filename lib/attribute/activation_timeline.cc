#include "attribute/activation_timeline.h"

#include <algorithm>
#include <cstring>

#include "attribute/span_index.h"

namespace spanprof::attribute {

namespace {

struct SpanKey {
  spans::TraceId trace_id;
  uint64_t span_id;
  bool operator==(const SpanKey&) const = default;
};

struct SpanKeyHash {
  size_t operator()(const SpanKey& key) const {
    uint64_t trace_low = 0;
    std::memcpy(&trace_low, key.trace_id.data() + 8, sizeof trace_low);
    return std::hash<uint64_t>{}(key.span_id ^ (trace_low * 0x9e3779b97f4a7c15ull));
  }
};

// A record's CLOCK_MONOTONIC time on the samples' Unix clock, held at the ends
// of int64_t: a garbage time (past 2^63 ns) must stay in the far future rather
// than wrap into the capture, and the conversion must keep the records' order.
int64_t unix_time(uint64_t monotonic_ns, int64_t delta) {
  int64_t time = monotonic_ns > INT64_MAX ? INT64_MAX : static_cast<int64_t>(monotonic_ns);
  int64_t unix_ns = 0;
  if (__builtin_add_overflow(time, delta, &unix_ns)) return delta > 0 ? INT64_MAX : INT64_MIN;
  return unix_ns;
}

}  // namespace

ActivationTimeline::ActivationTimeline(const activations::ActivationSet& set,
                                       const spans::SpanSet& spans, const SpanTree& tree,
                                       std::optional<int64_t> monotonic_to_unix_ns)
    : activated_(spans.spans.size(), false) {
  // The ids the records name, then one pass over the spans to find them:
  // memory follows the activated spans, not all spans.
  std::unordered_map<SpanKey, uint32_t, SpanKeyHash> ids;
  for (const activations::ThreadActivations& thread : set.threads) {
    for (const activations::ActivationRecord& record : thread.records) {
      if (!record.is_none()) ids.emplace(SpanKey{record.trace_id, record.span_id}, kUnknown);
    }
  }
  if (!ids.empty()) {
    for (uint32_t i = 0; i < spans.spans.size(); ++i) {
      if (tree.is_dropped(i)) continue;
      const spans::Span& span = spans.spans[i];
      auto it = ids.find(SpanKey{span.trace_id, span.span_id});
      if (it != ids.end() && it->second == kUnknown) {
        it->second = i;
        activated_[i] = true;
        ++stats_.spans_activated;
      }
    }
  }
  stats_.unknown_spans = ids.size() - stats_.spans_activated;

  for (const activations::ThreadActivations& thread : set.threads) {
    std::optional<int64_t> delta =
        monotonic_to_unix_ns ? monotonic_to_unix_ns : thread.realtime_minus_monotonic_ns;
    if (!delta) {
      ++stats_.threads_without_clock;
      continue;
    }
    Thread& out = threads_[thread_key(thread.pid, thread.tid)];
    out.transitions.reserve(thread.records.size());
    for (const activations::ActivationRecord& record : thread.records) {
      uint32_t span = kNoSpan;
      if (!record.is_none()) {
        span = ids.at(SpanKey{record.trace_id, record.span_id});
        if (span == kUnknown) {
          ++stats_.records_unknown_span;
        } else {
          activated_on_.insert({span, thread_key(thread.pid, thread.tid)});
        }
      }
      out.transitions.push_back({unix_time(record.time_ns, *delta), span});
    }
  }
  stats_.threads = threads_.size();
}

ActivationTimeline::Hit ActivationTimeline::lookup(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  auto it = threads_.find(thread_key(pid, tid));
  if (it == threads_.end()) return {};
  Thread& thread = it->second;
  const std::vector<Transition>& transitions = thread.transitions;
  if (unix_ns < thread.last_time) {
    // A step back in time on this thread: find the place again.
    thread.next = static_cast<size_t>(
        std::upper_bound(transitions.begin(), transitions.end(), unix_ns,
                         [](int64_t t, const Transition& tr) { return t < tr.unix_ns; }) -
        transitions.begin());
  } else {
    while (thread.next < transitions.size() && transitions[thread.next].unix_ns <= unix_ns) {
      ++thread.next;
    }
  }
  thread.last_time = unix_ns;
  if (thread.next == 0) return {State::kBeforeFirst, kNoSpan};
  uint32_t span = transitions[thread.next - 1].span;
  if (span == kNoSpan) return {State::kNoSpan, kNoSpan};
  if (span == kUnknown) return {State::kUnknownSpan, kNoSpan};
  return {State::kSpan, span};
}

bool ActivationTimeline::has_thread(uint32_t pid, uint32_t tid) const {
  return threads_.contains(thread_key(pid, tid));
}

int64_t ActivationTimeline::next_transition(uint32_t pid, uint32_t tid, int64_t unix_ns) const {
  auto it = threads_.find(thread_key(pid, tid));
  if (it == threads_.end()) return INT64_MAX;
  const std::vector<Transition>& transitions = it->second.transitions;
  // lookup takes the last record at or before an instant: the answer changes
  // at the first record strictly later.
  auto later = std::upper_bound(transitions.begin(), transitions.end(), unix_ns,
                                [](int64_t t, const Transition& tr) { return t < tr.unix_ns; });
  return later == transitions.end() ? INT64_MAX : later->unix_ns;
}

bool ActivationTimeline::activated_on(uint32_t span, uint32_t pid, uint32_t tid) const {
  return activated_on_.contains({span, thread_key(pid, tid)});
}

std::vector<std::pair<uint32_t, uint32_t>> ActivationTimeline::threads() const {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  out.reserve(threads_.size());
  for (const auto& [key, thread] : threads_) {
    out.emplace_back(static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key));
  }
  return out;
}

uint64_t ActivationTimeline::records_outside(int64_t first_unix_ns, int64_t last_unix_ns,
                                             int64_t margin_ns) const {
  uint64_t outside = 0;
  for (const auto& [key, thread] : threads_) {
    for (const Transition& transition : thread.transitions) {
      if (transition.unix_ns < first_unix_ns - margin_ns ||
          transition.unix_ns > last_unix_ns + margin_ns) {
        ++outside;
      }
    }
  }
  return outside;
}

}  // namespace spanprof::attribute
