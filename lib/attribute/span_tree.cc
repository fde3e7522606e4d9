#include "attribute/span_tree.h"

#include <unordered_map>

namespace spanprof::attribute {

namespace {

struct SpanKey {
  uint64_t span_id;
  spans::TraceId trace_id;
  bool operator==(const SpanKey&) const = default;
};

struct SpanKeyHash {
  size_t operator()(const SpanKey& key) const {
    uint64_t h = key.span_id * 0x9E3779B97F4A7C15ull;
    for (uint8_t byte : key.trace_id) h = (h ^ byte) * 0x100000001B3ull;
    return static_cast<size_t>(h);
  }
};

}  // namespace

SpanTree::SpanTree(const spans::SpanSet& set) {
  const std::vector<spans::Span>& all = set.spans;
  size_t n = all.size();
  parent_.assign(n, kNoSpan);
  depth_.assign(n, 0);
  root_.assign(n, kNoSpan);
  dropped_.assign(n, false);

  std::unordered_map<SpanKey, uint32_t, SpanKeyHash> by_id;
  by_id.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    auto [it, inserted] = by_id.emplace(SpanKey{all[i].span_id, all[i].trace_id}, i);
    if (!inserted) {
      dropped_[i] = true;
      ++stats_.duplicate_span_ids;
    }
  }

  // A parent counts only within the same process (same resource) and when the
  // span does not say its parent is remote: else the span is a local root.
  for (uint32_t i = 0; i < n; ++i) {
    const spans::Span& span = all[i];
    if (dropped_[i] || span.parent_span_id == 0 || span.parent_is_remote) continue;
    auto it = by_id.find(SpanKey{span.parent_span_id, span.trace_id});
    if (it == by_id.end() || it->second == i) continue;
    if (all[it->second].resource_index != span.resource_index) continue;
    parent_[i] = it->second;
  }

  // Depth and root, iteratively; a chain that returns to a span in progress is
  // a cycle: cut the link that closes it.
  enum : uint8_t { kUnvisited, kInProgress, kDone };
  std::vector<uint8_t> state(n, kUnvisited);
  std::vector<uint32_t> chain;
  for (uint32_t start = 0; start < n; ++start) {
    if (state[start] == kDone) continue;
    chain.clear();
    uint32_t at = start;
    while (at != kNoSpan && state[at] == kUnvisited) {
      state[at] = kInProgress;
      chain.push_back(at);
      at = parent_[at];
    }
    if (at != kNoSpan && state[at] == kInProgress) {
      // chain.back()'s parent link closes the cycle.
      parent_[chain.back()] = kNoSpan;
      ++stats_.parent_cycles;
      at = kNoSpan;
    }
    uint32_t base_depth = at == kNoSpan ? 0 : depth_[at] + 1;
    uint32_t base_root = at == kNoSpan ? kNoSpan : root_[at];
    for (size_t k = chain.size(); k-- > 0;) {
      uint32_t span = chain[k];
      if (parent_[span] == kNoSpan) {
        depth_[span] = 0;
        root_[span] = span;
      } else {
        depth_[span] = base_depth;
        root_[span] = base_root;
      }
      base_depth = depth_[span] + 1;
      base_root = root_[span];
      state[span] = kDone;
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (!dropped_[i] && parent_[i] == kNoSpan) ++stats_.local_roots;
  }
}

bool SpanTree::is_ancestor_or_self(uint32_t ancestor, uint32_t span) const {
  while (span != kNoSpan) {
    if (span == ancestor) return true;
    if (depth_[span] <= depth_[ancestor]) return false;
    span = parent_[span];
  }
  return false;
}

}  // namespace spanprof::attribute
