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
    : set_(set), tree_(tree), placed_(set.spans.size(), false),
      slot_(set.spans.size(), 0), mark_(set.spans.size(), 0) {
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
    for (uint32_t span : timeline.spans) {
      const spans::Span& s = set.spans[span];
      if (s.start_unix_ns >= s.end_unix_ns) continue;  // never open (advance skips it)
      timeline.boundaries.push_back(s.start_unix_ns);
      timeline.boundaries.push_back(s.end_unix_ns);
    }
    std::sort(timeline.boundaries.begin(), timeline.boundaries.end());
  }
  stats_.threads = timelines_.size();
}

void SpanIndex::count_ambiguous(Timeline& timeline) {
  // Synchronous code nests: every span still open when another starts is its
  // ancestor. An open non-ancestor means interleaved (async) spans.
  std::vector<uint32_t> open;
  for (uint32_t span : timeline.spans) {
    const spans::Span& s = set_.spans[span];
    while (!open.empty() && set_.spans[open.back()].end_unix_ns <= s.start_unix_ns) open.pop_back();
    if (!open.empty() && !tree_.is_ancestor_or_self(open.back(), span)) {
      ++stats_.ambiguous_spans;
      ++timeline.ambiguous_spans;
    }
    open.push_back(span);
  }
}

uint64_t SpanIndex::ambiguous_spans_on(uint32_t pid, uint32_t tid) const {
  uint64_t count = 0;
  for (uint64_t key : {thread_key(pid, tid), thread_key(0, tid)}) {
    if (auto it = timelines_.find(key); it != timelines_.end()) count += it->second.ambiguous_spans;
    if (pid == 0) break;  // both keys are the same timeline
  }
  return count;
}

void SpanIndex::advance(Timeline& timeline, int64_t unix_ns) {
  // Time going backwards on one thread (clock offset, a late sample): restart
  // the sweep so the answer stays exact.
  if (unix_ns < timeline.last_time) {
    timeline.next = 0;
    timeline.active.clear();
    timeline.endings = {};
    timeline.changed = true;
  }
  timeline.last_time = unix_ns;
  while (timeline.next < timeline.spans.size()) {
    uint32_t span = timeline.spans[timeline.next];
    const spans::Span& s = set_.spans[span];
    if (s.start_unix_ns > unix_ns) break;
    ++timeline.next;
    if (s.end_unix_ns <= unix_ns) continue;  // already over
    slot_[span] = static_cast<uint32_t>(timeline.active.size());
    timeline.active.push_back(span);
    timeline.endings.push(Ending{s.end_unix_ns, span});
    timeline.changed = true;
  }
  while (!timeline.endings.empty() && timeline.endings.top().end <= unix_ns) {
    std::vector<uint32_t>& active = timeline.active;
    uint32_t slot = slot_[timeline.endings.top().span];
    active[slot] = active.back();
    slot_[active[slot]] = slot;
    active.pop_back();
    timeline.endings.pop();
    timeline.changed = true;
  }
}

SpanIndex::Verdict SpanIndex::judge(const std::vector<uint32_t>& active) {
  if (active.empty()) return {};
  if (active.size() == 1) return {active[0], SpanChoice::kDeepest};
  if (active.size() == 2) {
    uint32_t a = active[0];
    uint32_t b = active[1];
    if (tree_.is_ancestor_or_self(a, b)) return {b, SpanChoice::kDeepest};
    if (tree_.is_ancestor_or_self(b, a)) return {a, SpanChoice::kDeepest};
  }
  // Parents are linked within one trace and one process: open spans of two
  // local roots (two traces, as a rule: requests interleaved on an event
  // loop) share no ancestor.
  uint32_t root = tree_.local_root(active[0]);
  for (uint32_t span : active) {
    if (tree_.local_root(span) != root) return {kNoSpan, SpanChoice::kAmbiguous};
  }
  // An open span with an open descendant is taken to wait for it, as when
  // spans nest: the candidates are the open spans with none. Mark every
  // ancestor of an open span; a walk stops where an earlier one passed.
  if (++mark_epoch_ == 0) {  // wrapped: old marks would read as new
    std::fill(mark_.begin(), mark_.end(), 0);
    mark_epoch_ = 1;
  }
  for (uint32_t span : active) {
    for (uint32_t up = tree_.parent(span); up != kNoSpan && mark_[up] != mark_epoch_;
         up = tree_.parent(up)) {
      mark_[up] = mark_epoch_;
    }
  }
  // Any candidate may have been running: only a span containing them all is
  // sure to contain the one that was. They share a root, so there is one.
  uint32_t common = kNoSpan;
  bool several = false;
  for (uint32_t span : active) {
    if (mark_[span] == mark_epoch_) continue;
    if (common == kNoSpan) {
      common = span;
    } else {
      common = tree_.common_ancestor(common, span);
      several = true;
    }
  }
  return {common, several ? SpanChoice::kCommonAncestor : SpanChoice::kDeepest};
}

const SpanIndex::Verdict& SpanIndex::verdict_at(Timeline& timeline, int64_t unix_ns) {
  advance(timeline, unix_ns);
  if (timeline.changed) {
    timeline.verdict = judge(timeline.active);
    timeline.changed = false;
  }
  return timeline.verdict;
}

SpanIndex::Verdict SpanIndex::verdict_on_thread(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  Verdict verdict;
  for (uint64_t key : {thread_key(pid, tid), thread_key(0, tid)}) {
    auto it = timelines_.find(key);
    if (it != timelines_.end()) {
      const Verdict& on_timeline = verdict_at(it->second, unix_ns);
      // Spans of a resource with process.pid and of one without, both open on
      // the thread: parents never link two resources, so none contains both.
      if (on_timeline.choice != SpanChoice::kNone) {
        verdict = verdict.choice == SpanChoice::kNone ? on_timeline
                                                      : Verdict{kNoSpan, SpanChoice::kAmbiguous};
      }
    }
    if (pid == 0) break;  // both keys are the same timeline
  }
  return verdict;
}

SpanMatch SpanIndex::match(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  Verdict verdict = verdict_on_thread(pid, tid, unix_ns);
  if (verdict.span == kNoSpan) return SpanMatch{kNoSpan, kNoSpan, verdict.choice};
  return SpanMatch{verdict.span, tree_.local_root(verdict.span), verdict.choice};
}

int64_t SpanIndex::next_boundary(uint32_t pid, uint32_t tid, int64_t unix_ns) const {
  int64_t next = INT64_MAX;
  for (uint64_t key : {thread_key(pid, tid), thread_key(0, tid)}) {
    if (auto it = timelines_.find(key); it != timelines_.end()) {
      const std::vector<int64_t>& boundaries = it->second.boundaries;
      auto later = std::upper_bound(boundaries.begin(), boundaries.end(), unix_ns);
      if (later != boundaries.end()) next = std::min(next, *later);
    }
    if (pid == 0) break;
  }
  return next;
}

SpanMatch SpanIndex::lookup(uint32_t pid, uint32_t tid, int64_t unix_ns, int64_t weight) {
  Verdict verdict = verdict_on_thread(pid, tid, unix_ns);
  switch (verdict.choice) {
    case SpanChoice::kNone:
      return {};
    case SpanChoice::kAmbiguous:
      ++stats_.samples_unlabelled_not_nested;
      stats_.weight_unlabelled_not_nested += weight;
      return SpanMatch{kNoSpan, kNoSpan, SpanChoice::kAmbiguous};
    case SpanChoice::kCommonAncestor:
      ++stats_.samples_by_common_ancestor;
      stats_.weight_by_common_ancestor += weight;
      break;
    case SpanChoice::kDeepest:
      break;
  }
  return SpanMatch{verdict.span, tree_.local_root(verdict.span), verdict.choice};
}

}  // namespace spanprof::attribute
