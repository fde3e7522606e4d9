#include "attribute/coarse_clock_repair.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "attribute/span_index.h"

namespace spanprof::attribute {

namespace {

constexpr int64_t kMillisecond = 1'000'000;
// A resource whose spans start on whole milliseconds this often has a
// millisecond clock; a precise clock lands there once in a million.
constexpr double kCoarseShare = 0.9;

bool on_whole_millisecond(const spans::Span& span) {
  return span.start_unix_ns % kMillisecond == 0;
}

// "start of `later` >= start of `earlier` + gap": a difference constraint
// between the true starts of two spans on one thread.
struct Constraint {
  uint32_t earlier;  // positions in the thread's sorted list
  uint32_t later;
  int64_t gap;
};

// Bounds of a span's true start: [lo, hi]. A precise span's is its recorded
// start; a coarse span's is [recorded, recorded + 1 ms).
struct Bounds {
  int64_t lo;
  int64_t hi;
};

// Tightens the bounds along the constraints until nothing changes (a few
// sweeps: constraints come in time order, so each sweep carries far).
void propagate(const std::vector<Constraint>& constraints, std::vector<Bounds>& bounds) {
  for (int sweep = 0; sweep < 8; ++sweep) {
    bool changed = false;
    for (const Constraint& c : constraints) {
      int64_t lo = bounds[c.earlier].lo + c.gap;
      if (lo > bounds[c.later].lo) {
        bounds[c.later].lo = lo;
        changed = true;
      }
    }
    for (auto it = constraints.rbegin(); it != constraints.rend(); ++it) {
      int64_t hi = bounds[it->later].hi - it->gap;
      if (hi < bounds[it->earlier].hi) {
        bounds[it->earlier].hi = hi;
        changed = true;
      }
    }
    if (!changed) break;
  }
}

// The error of a span's recorded start: its true start lies in
// [recorded, recorded + error].
int64_t start_error(bool coarse) { return coarse ? kMillisecond - 1 : 0; }

// Marks the spans of a thread (sorted by start) that overlap a span that is
// neither their ancestor nor their descendant by more than a late true start
// could explain. Two spans ran one after the other only if the later one's
// true start (at most recorded + error) is at or after the earlier one's end
// (at least its recorded end): overlaps of up to the error are the clock's,
// longer ones mean both were open together, as in an event loop.
std::vector<bool> concurrent_spans(const spans::SpanSet& set, const SpanTree& tree,
                                   const std::vector<uint32_t>& spans_on_thread,
                                   const std::vector<bool>& coarse) {
  std::vector<bool> concurrent(spans_on_thread.size(), false);
  std::vector<uint32_t> open;  // positions of spans whose recorded end is still ahead
  for (uint32_t pos = 0; pos < spans_on_thread.size(); ++pos) {
    uint32_t index = spans_on_thread[pos];
    const spans::Span& span = set.spans[index];
    std::erase_if(open, [&](uint32_t before) {
      return set.spans[spans_on_thread[before]].end_unix_ns <= span.start_unix_ns;
    });
    for (uint32_t before : open) {
      uint32_t other = spans_on_thread[before];
      int64_t overlap = set.spans[other].end_unix_ns - span.start_unix_ns;
      if (overlap > start_error(coarse[pos]) && !tree.is_ancestor_or_self(other, index) &&
          !tree.is_ancestor_or_self(index, other)) {
        concurrent[before] = true;
        concurrent[pos] = true;
      }
    }
    open.push_back(pos);
  }
  return concurrent;
}

}  // namespace

CoarseClockStats repair_coarse_clocks(spans::SpanSet& set, const SpanTree& tree) {
  CoarseClockStats stats;
  std::vector<uint64_t> whole_ms(set.resources.size(), 0);
  std::vector<uint64_t> total(set.resources.size(), 0);
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_thread;
  for (uint32_t i = 0; i < set.spans.size(); ++i) {
    const spans::Span& span = set.spans[i];
    if (tree.is_dropped(i)) continue;
    ++total[span.resource_index];
    if (on_whole_millisecond(span)) ++whole_ms[span.resource_index];
    if (auto thread = thread_of_span(set, span)) by_thread[thread->key].push_back(i);
  }
  std::vector<bool> coarse_resource(set.resources.size(), false);
  for (size_t r = 0; r < set.resources.size(); ++r) {
    coarse_resource[r] = total[r] > 0 && static_cast<double>(whole_ms[r]) >=
                                             kCoarseShare * static_cast<double>(total[r]);
  }
  auto is_coarse = [&](const spans::Span& span) {
    return coarse_resource[span.resource_index] && on_whole_millisecond(span);
  };
  for (uint32_t i = 0; i < set.spans.size(); ++i) {
    if (!tree.is_dropped(i) && is_coarse(set.spans[i])) ++stats.coarse_spans;
  }
  if (stats.coarse_spans == 0) return stats;

  // Position of each span in its thread's sorted list while that thread is
  // repaired (kNoSpan otherwise): a parent constrains a child on its own thread.
  std::vector<uint32_t> position(set.spans.size(), kNoSpan);
  std::vector<uint32_t> open;  // positions of the spans enclosing the current one
  std::vector<Constraint> constraints;
  std::vector<Bounds> bounds;
  std::vector<bool> coarse;
  for (auto& [key, spans_on_thread] : by_thread) {
    std::sort(spans_on_thread.begin(), spans_on_thread.end(), [&](uint32_t a, uint32_t b) {
      const spans::Span& sa = set.spans[a];
      const spans::Span& sb = set.spans[b];
      if (sa.start_unix_ns != sb.start_unix_ns) return sa.start_unix_ns < sb.start_unix_ns;
      if (tree.depth(a) != tree.depth(b)) return tree.depth(a) < tree.depth(b);
      return a < b;
    });
    coarse.assign(spans_on_thread.size(), false);
    for (uint32_t pos = 0; pos < spans_on_thread.size(); ++pos) {
      coarse[pos] = is_coarse(set.spans[spans_on_thread[pos]]);
      position[spans_on_thread[pos]] = pos;
    }
    // Spans open together for async reasons are not mis-stamped: they keep
    // their recorded start and take no part in the order of siblings.
    std::vector<bool> concurrent = concurrent_spans(set, tree, spans_on_thread, coarse);
    open.clear();
    constraints.clear();
    bounds.clear();
    for (uint32_t pos = 0; pos < spans_on_thread.size(); ++pos) {
      uint32_t index = spans_on_thread[pos];
      const spans::Span& span = set.spans[index];
      int64_t duration = span.end_unix_ns - span.start_unix_ns;
      bool movable = coarse[pos] && !concurrent[pos];
      bounds.push_back({span.start_unix_ns, span.start_unix_ns + start_error(movable)});
      if (concurrent[pos]) {
        if (coarse[pos]) ++stats.concurrent_spans;
      } else {
        // Open spans that are not ancestors have finished: the spans left
        // after the concurrent ones nest, so this span began after each of
        // them ended.
        while (!open.empty() && !tree.is_ancestor_or_self(spans_on_thread[open.back()], index)) {
          uint32_t before = open.back();
          const spans::Span& finished = set.spans[spans_on_thread[before]];
          constraints.push_back({before, pos, finished.end_unix_ns - finished.start_unix_ns});
          open.pop_back();
        }
        open.push_back(pos);
      }
      uint32_t parent = tree.parent(index) == kNoSpan ? kNoSpan : position[tree.parent(index)];
      if (parent != kNoSpan && parent < pos) {
        // Inside the parent: starts after it, ends before it, when the
        // recorded times allow it (an async child may outlive its parent).
        const spans::Span& enclosing = set.spans[spans_on_thread[parent]];
        int64_t parent_duration = enclosing.end_unix_ns - enclosing.start_unix_ns;
        if (span.end_unix_ns <= enclosing.end_unix_ns + (bounds[parent].hi - bounds[parent].lo)) {
          constraints.push_back({parent, pos, 0});
          constraints.push_back({pos, parent, duration - parent_duration});
        }
      }
    }
    propagate(constraints, bounds);
    for (uint32_t pos = 0; pos < spans_on_thread.size(); ++pos) {
      spans::Span& span = set.spans[spans_on_thread[pos]];
      position[spans_on_thread[pos]] = kNoSpan;
      if (!coarse[pos]) continue;
      if (concurrent[pos]) {
        // Not moved, but its true end lies up to a millisecond after the
        // recorded one (end = start + a precise duration, start truncated):
        // held open that long, a sample near its end is judged with it open,
        // so among other traces' spans it gets no label rather than a wrong one.
        span.end_unix_ns += kMillisecond - 1;
        continue;
      }
      // The true start is uniform over what the constraints leave: its middle
      // is the least wrong on average. Bounds that cross (constraints the
      // spans themselves break) keep the lowest start allowed.
      const Bounds& b = bounds[pos];
      int64_t start = b.lo <= b.hi ? b.lo + (b.hi - b.lo) / 2 : b.lo;
      start = std::clamp<int64_t>(start, span.start_unix_ns, span.start_unix_ns + kMillisecond - 1);
      int64_t shift = start - span.start_unix_ns;
      if (shift > 0) {
        span.start_unix_ns += shift;
        span.end_unix_ns += shift;
        ++stats.moved_spans;
      }
    }
  }
  return stats;
}

}  // namespace spanprof::attribute
