#include "attribute/span_tree.h"

#include <cstring>

namespace spanprof::attribute {

namespace {

uint64_t mix(uint64_t x) {
  // murmur3's 64-bit finalizer: sequential ids spread over the table too.
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

uint64_t key_hash(uint64_t span_id, const spans::TraceId& trace_id) {
  uint64_t high = 0;
  uint64_t low = 0;
  std::memcpy(&high, trace_id.data(), 8);
  std::memcpy(&low, trace_id.data() + 8, 8);
  return mix(span_id ^ mix(high ^ (low * 0x9E3779B97F4A7C15ull)));
}

// (trace id, span id) -> index of the first span with that key. Open
// addressing over span indices, the keys read from the spans themselves: one
// 4-byte slot per entry keeps a million spans' lookups in cache far better
// than node-based maps.
class SpanIdTable {
 public:
  explicit SpanIdTable(const std::vector<spans::Span>& spans) : spans_(spans) {
    size_t capacity = 16;
    while (capacity < spans.size() * 2) capacity *= 2;
    slots_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
  }

  // Inserts span i; false when a span with the same key is already there.
  bool insert(uint32_t i) {
    const spans::Span& span = spans_[i];
    for (size_t slot = key_hash(span.span_id, span.trace_id) & mask_;; slot = (slot + 1) & mask_) {
      uint32_t at = slots_[slot];
      if (at == kEmpty) {
        slots_[slot] = i;
        return true;
      }
      if (spans_[at].span_id == span.span_id && spans_[at].trace_id == span.trace_id) return false;
    }
  }

  uint32_t find(uint64_t span_id, const spans::TraceId& trace_id) const {
    for (size_t slot = key_hash(span_id, trace_id) & mask_;; slot = (slot + 1) & mask_) {
      uint32_t at = slots_[slot];
      if (at == kEmpty) return kNoSpan;
      if (spans_[at].span_id == span_id && spans_[at].trace_id == trace_id) return at;
    }
  }

 private:
  static constexpr uint32_t kEmpty = kNoSpan;
  const std::vector<spans::Span>& spans_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

}  // namespace

SpanTree::SpanTree(const spans::SpanSet& set) {
  const std::vector<spans::Span>& all = set.spans;
  size_t n = all.size();
  parent_.assign(n, kNoSpan);
  depth_.assign(n, 0);
  root_.assign(n, kNoSpan);
  dropped_.assign(n, false);

  SpanIdTable by_id(all);
  for (uint32_t i = 0; i < n; ++i) {
    if (!by_id.insert(i)) {
      dropped_[i] = true;
      ++stats_.duplicate_span_ids;
    }
  }

  // A parent counts only within the same process (same resource) and when the
  // span does not say its parent is remote: else the span is a local root.
  for (uint32_t i = 0; i < n; ++i) {
    const spans::Span& span = all[i];
    if (dropped_[i] || span.parent_span_id == 0 || span.parent_is_remote) continue;
    uint32_t parent = by_id.find(span.parent_span_id, span.trace_id);
    if (parent == kNoSpan) continue;
    if (parent == i) {  // a span naming itself as parent: the shortest cycle
      ++stats_.parent_cycles;
      continue;
    }
    if (all[parent].resource_index != span.resource_index) continue;
    parent_[i] = parent;
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

uint32_t SpanTree::common_ancestor(uint32_t a, uint32_t b) const {
  if (root_[a] != root_[b]) return kNoSpan;
  while (depth_[a] > depth_[b]) a = parent_[a];
  while (depth_[b] > depth_[a]) b = parent_[b];
  // Same depth and the same root: the chains meet at the latest at the root.
  while (a != b) {
    a = parent_[a];
    b = parent_[b];
  }
  return a;
}

}  // namespace spanprof::attribute
