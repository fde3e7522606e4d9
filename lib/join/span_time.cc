#include "join/span_time.h"

#include <algorithm>

#include <fmt/format.h>

#include "attribute/span_index.h"

namespace spanprof::join {

namespace {

size_t state_index(offcpu::ThreadState state) { return static_cast<size_t>(state); }

std::string duration_text(int64_t ns) {
  if (ns < 100'000 && ns > -100'000) return fmt::format("{} us", ns / 1000);
  return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6);
}

std::string breakdown_line(const SlowSpan& span, bool cpu_measured) {
  const SpanTimeTotals& t = span.totals;
  std::vector<std::string> parts;
  parts.push_back(cpu_measured ? duration_text(t.cpu_ns) + " CPU"
                               : std::string("CPU not measured (no cpu-clock event)"));
  auto in_stack = [&](offcpu::ThreadState state) {
    const std::string& stack = span.top_stack[state_index(state)];
    return stack.empty() ? std::string() : " in " + stack;
  };
  using offcpu::ThreadState;
  if (int64_t ns = t.off_cpu_ns[state_index(ThreadState::kSleeping)]; ns > 0) {
    parts.push_back(duration_text(ns) + " sleeping" + in_stack(ThreadState::kSleeping));
  }
  if (int64_t ns = t.off_cpu_ns[state_index(ThreadState::kBlocked)]; ns > 0) {
    parts.push_back(duration_text(ns) + " blocked on I/O" + in_stack(ThreadState::kBlocked));
  }
  if (int64_t ns = t.off_cpu_ns[state_index(ThreadState::kRunnable)]; ns > 0) {
    parts.push_back(duration_text(ns) + " waiting for a CPU");
  }
  if (int64_t ns = t.off_cpu_ns[state_index(ThreadState::kUnknown)]; ns > 0) {
    parts.push_back(duration_text(ns) + " off-CPU in another state" +
                    in_stack(ThreadState::kUnknown));
  }
  if (t.unaccounted_ns > 0) parts.push_back(duration_text(t.unaccounted_ns) + " unaccounted");
  return fmt::format("{} {}: {}", span.name, duration_text(t.duration_ns), fmt::join(parts, ", "));
}

}  // namespace

const char* thread_state_label(offcpu::ThreadState state) {
  switch (state) {
    case offcpu::ThreadState::kSleeping: return "sleeping";
    case offcpu::ThreadState::kBlocked: return "blocked_io";
    case offcpu::ThreadState::kRunnable: return "runnable";
    case offcpu::ThreadState::kUnknown: break;
  }
  return "unknown";
}

void SpanTime::observe_thread(uint32_t pid, uint32_t tid) {
  observed_.insert(attribute::thread_key(pid, tid));
  observed_.insert(attribute::thread_key(0, tid));
}

bool SpanTime::is_observed(const spans::SpanSet& set, uint32_t span) const {
  auto thread = attribute::thread_of_span(set, set.spans[span]);
  return thread && observed_.contains(thread->key);
}

template <class Fn>
void SpanTime::for_spans_on_thread(const attribute::SpanAttribution& attribution,
                                   const attribute::SpanMatch& match, uint32_t pid, uint32_t tid,
                                   Fn fn) {
  for (uint32_t span = match.innermost;
       span != attribute::kNoSpan && attribution.on_thread(span, pid, tid);
       span = attribution.tree().parent(span)) {
    fn(span);
  }
}

void SpanTime::add_cpu(const attribute::SpanAttribution& attribution,
                       const attribute::SpanMatch& match, uint32_t pid, uint32_t tid, int64_t ns) {
  for_spans_on_thread(attribution, match, pid, tid,
                      [&](uint32_t span) { per_span_[span].cpu_ns += ns; });
}

void SpanTime::add_off_cpu(const attribute::SpanAttribution& attribution,
                           const attribute::SpanMatch& match, uint32_t pid, uint32_t tid,
                           offcpu::ThreadState state, int64_t ns, uint32_t stack) {
  if (ns <= 0) return;
  size_t index = state_index(state);
  for_spans_on_thread(attribution, match, pid, tid, [&](uint32_t span) {
    per_span_[span].off_cpu_ns[index] += ns;
    stack_ns_[index][(static_cast<uint64_t>(span) << 32) | stack] += ns;
  });
}

SpanTimeReport SpanTime::summarize(const attribute::SpanAttribution& attribution,
                                   const std::function<std::string(uint32_t)>& stack_names) const {
  SpanTimeReport report;
  report.cpu_measured = cpu_measured_;
  const spans::SpanSet& set = attribution.spans();
  std::map<uint32_t, SpanTimeTotals> by_name;
  std::vector<std::pair<int64_t, uint32_t>> durations;  // (duration, span)
  auto totals_of = [&](uint32_t span) {
    SpanTimeTotals t;
    const spans::Span& s = set.spans[span];
    t.spans = 1;
    t.duration_ns = std::max<int64_t>(0, s.end_unix_ns - s.start_unix_ns);
    if (auto it = per_span_.find(span); it != per_span_.end()) {
      t.cpu_ns = it->second.cpu_ns;
      t.off_cpu_ns = it->second.off_cpu_ns;
    }
    int64_t off = 0;
    for (int64_t ns : t.off_cpu_ns) off += ns;
    t.unaccounted_ns = t.duration_ns - t.cpu_ns - off;
    return t;
  };
  for (uint32_t span = 0; span < set.spans.size(); ++span) {
    if (attribution.tree().is_dropped(span)) continue;
    if (!is_observed(set, span)) {
      ++report.spans_on_unobserved_threads;
      continue;
    }
    SpanTimeTotals t = totals_of(span);
    SpanTimeTotals& sum = by_name[set.spans[span].name_index];
    sum.spans += 1;
    sum.duration_ns += t.duration_ns;
    sum.cpu_ns += t.cpu_ns;
    for (size_t i = 0; i < kThreadStates; ++i) sum.off_cpu_ns[i] += t.off_cpu_ns[i];
    sum.unaccounted_ns += t.unaccounted_ns;
    durations.emplace_back(t.duration_ns, span);
  }
  for (const auto& [name_index, totals] : by_name) {
    report.by_name.push_back({set.names[name_index], totals});
  }
  std::stable_sort(report.by_name.begin(), report.by_name.end(), [](const auto& a, const auto& b) {
    return a.totals.duration_ns > b.totals.duration_ns;
  });

  constexpr size_t kSlowest = 10;
  size_t n = std::min(kSlowest, durations.size());
  std::partial_sort(durations.begin(), durations.begin() + static_cast<std::ptrdiff_t>(n),
                    durations.end(), [](const auto& a, const auto& b) {
                      return a.first != b.first ? a.first > b.first : a.second < b.second;
                    });
  for (size_t i = 0; i < n; ++i) {
    uint32_t span = durations[i].second;
    const spans::Span& s = set.spans[span];
    SlowSpan slow;
    slow.name = set.names[s.name_index];
    slow.span_id = spans::span_id_hex(s.span_id);
    slow.trace_id = spans::trace_id_hex(s.trace_id);
    slow.totals = totals_of(span);
    for (size_t state = 0; state < kThreadStates; ++state) {
      const auto& stacks = stack_ns_[state];
      auto first = stacks.lower_bound(static_cast<uint64_t>(span) << 32);
      auto last = stacks.lower_bound(static_cast<uint64_t>(span + 1) << 32);
      int64_t best = 0;
      uint32_t best_stack = offcpu::kNoStack;
      for (auto it = first; it != last; ++it) {
        if (it->second > best) {
          best = it->second;
          best_stack = static_cast<uint32_t>(it->first & 0xffffffffu);
        }
      }
      if (best_stack != offcpu::kNoStack) slow.top_stack[state] = stack_names(best_stack);
    }
    slow.line = breakdown_line(slow, cpu_measured_);
    report.slowest.push_back(std::move(slow));
  }
  return report;
}

}  // namespace spanprof::join
