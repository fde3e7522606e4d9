#include "attribute/span_index.h"

#include <algorithm>

namespace spanprof::attribute {

namespace {
// Linux pid_max is at most 2^22: larger "thread ids" are runtime ids (Python's
// ident, for one), never OS threads.
constexpr int64_t kMaxOsTid = 1 << 22;
}  // namespace

std::optional<SpanThread> thread_of_span(const spans::SpanSet& set, const spans::Span& span) {
  uint32_t pid = set.resources[span.resource_index].pid.value_or(0);
  if (span.os_tid) return SpanThread{thread_key(pid, *span.os_tid), false};
  // thread.id is a runtime-managed id. Keyed by (pid, id), it only ever
  // matches samples of a thread with that tid in that very process: the
  // capture proves it is an OS thread of the process, or it never matches.
  if (pid != 0 && span.runtime_thread_id && *span.runtime_thread_id > 0 &&
      *span.runtime_thread_id < kMaxOsTid) {
    return SpanThread{thread_key(pid, static_cast<uint32_t>(*span.runtime_thread_id)), true};
  }
  return std::nullopt;
}

SpanIndex::SpanIndex(const spans::SpanSet& set, const SpanTree& tree)
    : set_(set), tree_(tree), placed_(set.spans.size(), false) {
  for (uint32_t i = 0; i < set.spans.size(); ++i) {
    if (tree.is_dropped(i)) continue;
    std::optional<SpanThread> thread = thread_of_span(set, set.spans[i]);
    if (!thread) {
      ++stats_.spans_without_thread;
      continue;
    }
    if (thread->by_runtime_thread_id) ++stats_.spans_by_runtime_thread_id;
    timelines_[thread->key].spans.push_back(i);
    placed_[i] = true;
    ++stats_.indexed_spans;
  }
  for (auto& [key, timeline] : timelines_) {
    std::sort(timeline.spans.begin(), timeline.spans.end(), [&](uint32_t a, uint32_t b) {
      const spans::Span& sa = set.spans[a];
      const spans::Span& sb = set.spans[b];
      if (sa.start_unix_ns != sb.start_unix_ns) return sa.start_unix_ns < sb.start_unix_ns;
      if (tree.depth(a) != tree.depth(b)) return tree.depth(a) < tree.depth(b);
      return a < b;
    });
    count_ambiguous(timeline);
  }
  stats_.threads = timelines_.size();
}

void SpanIndex::count_ambiguous(const Timeline& timeline) {
  // Synchronous code nests: every span still open when another starts is its
  // ancestor. An open non-ancestor means interleaved (async) spans.
  std::vector<uint32_t> open;
  for (uint32_t span : timeline.spans) {
    const spans::Span& s = set_.spans[span];
    while (!open.empty() && set_.spans[open.back()].end_unix_ns <= s.start_unix_ns) open.pop_back();
    if (!open.empty() && !tree_.is_ancestor_or_self(open.back(), span)) {
      ++stats_.ambiguous_spans;
    }
    open.push_back(span);
  }
}

const SpanIndex::ActiveKey* SpanIndex::advance(Timeline& timeline, int64_t unix_ns) {
  // Time going backwards on one thread (clock offset, a late sample): restart
  // the sweep so the answer stays exact.
  if (unix_ns < timeline.last_time) {
    timeline.next = 0;
    timeline.active.clear();
    timeline.endings = {};
  }
  timeline.last_time = unix_ns;
  while (timeline.next < timeline.spans.size()) {
    uint32_t span = timeline.spans[timeline.next];
    const spans::Span& s = set_.spans[span];
    if (s.start_unix_ns > unix_ns) break;
    ++timeline.next;
    if (s.end_unix_ns <= unix_ns) continue;  // already over
    ActiveKey key{s.start_unix_ns, tree_.depth(span), span};
    timeline.active.insert(key);
    timeline.endings.push(Ending{s.end_unix_ns, key});
  }
  while (!timeline.endings.empty() && timeline.endings.top().end <= unix_ns) {
    timeline.active.erase(timeline.endings.top().key);
    timeline.endings.pop();
  }
  if (timeline.active.empty()) return nullptr;
  return &*timeline.active.rbegin();
}

SpanMatch SpanIndex::lookup(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  const ActiveKey* best = nullptr;
  for (uint64_t key : {thread_key(pid, tid), thread_key(0, tid)}) {
    auto it = timelines_.find(key);
    if (it == timelines_.end()) continue;
    const ActiveKey* candidate = advance(it->second, unix_ns);
    if (candidate != nullptr && (best == nullptr || *best < *candidate)) best = candidate;
    if (pid == 0) break;  // both keys are the same timeline
  }
  if (best == nullptr) return {};
  return SpanMatch{best->span, tree_.local_root(best->span)};
}

}  // namespace spanprof::attribute
