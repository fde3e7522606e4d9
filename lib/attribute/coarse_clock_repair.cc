#include "attribute/coarse_clock_repair.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace spanprof::attribute {

namespace {

constexpr int64_t kMillisecond = 1'000'000;

bool is_coarse(const spans::Span& span) { return span.start_unix_ns % kMillisecond == 0; }

// The OS thread a span is placed on, as SpanIndex places it.
bool thread_of(const spans::SpanSet& set, const spans::Span& span, uint64_t& key) {
  uint32_t pid = set.resources[span.resource_index].pid.value_or(0);
  uint32_t tid = 0;
  if (span.os_tid) {
    tid = *span.os_tid;
  } else if (pid != 0 && span.runtime_thread_id && *span.runtime_thread_id > 0 &&
             *span.runtime_thread_id < (1 << 22)) {
    tid = static_cast<uint32_t>(*span.runtime_thread_id);
  } else {
    return false;
  }
  key = (static_cast<uint64_t>(pid) << 32) | tid;
  return true;
}

}  // namespace

CoarseClockStats repair_coarse_clocks(spans::SpanSet& set, const SpanTree& tree) {
  CoarseClockStats stats;
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_thread;
  for (uint32_t i = 0; i < set.spans.size(); ++i) {
    const spans::Span& span = set.spans[i];
    if (tree.is_dropped(i)) continue;
    if (is_coarse(span)) ++stats.coarse_spans;
    uint64_t key = 0;
    if (thread_of(set, span, key)) by_thread[key].push_back(i);
  }
  if (stats.coarse_spans == 0) return stats;

  std::vector<uint32_t> open;  // the chain of spans enclosing the current one
  for (auto& [key, spans_on_thread] : by_thread) {
    std::sort(spans_on_thread.begin(), spans_on_thread.end(), [&](uint32_t a, uint32_t b) {
      const spans::Span& sa = set.spans[a];
      const spans::Span& sb = set.spans[b];
      if (sa.start_unix_ns != sb.start_unix_ns) return sa.start_unix_ns < sb.start_unix_ns;
      if (tree.depth(a) != tree.depth(b)) return tree.depth(a) < tree.depth(b);
      return a < b;
    });
    open.clear();
    for (uint32_t index : spans_on_thread) {
      spans::Span& span = set.spans[index];
      // Spans on the stack that are not ancestors have finished: on one thread
      // synchronous work nests, so this span began after the last of them ended.
      int64_t earliest = span.start_unix_ns;
      while (!open.empty() && !tree.is_ancestor_or_self(open.back(), index)) {
        earliest = std::max(earliest, set.spans[open.back()].end_unix_ns);
        open.pop_back();
      }
      if (is_coarse(span)) {
        int64_t latest_shift = kMillisecond - 1;
        uint32_t parent = tree.parent(index);
        if (!open.empty() && open.back() == parent) {
          const spans::Span& enclosing = set.spans[parent];
          earliest = std::max(earliest, enclosing.start_unix_ns);
          latest_shift = std::min(latest_shift, enclosing.end_unix_ns - span.end_unix_ns);
        }
        int64_t shift = std::clamp<int64_t>(earliest - span.start_unix_ns, 0,
                                            std::max<int64_t>(latest_shift, 0));
        if (shift > 0) {
          span.start_unix_ns += shift;
          span.end_unix_ns += shift;
          ++stats.moved_spans;
        }
      }
      open.push_back(index);
    }
  }
  return stats;
}

}  // namespace spanprof::attribute
