// Parent links within a process: depth and local root of every span.
//
// Takes: a SpanSet. Gives: per span its parent (index), depth and local root,
// with duplicate ids and parent cycles counted and cut.
#pragma once

#include <cstdint>
#include <vector>

#include "spans/span_set.h"

namespace spanprof::attribute {

inline constexpr uint32_t kNoSpan = UINT32_MAX;

struct SpanTreeStats {
  uint64_t duplicate_span_ids = 0;  // later spans with an id already seen: dropped
  uint64_t parent_cycles = 0;       // parent links cut to break a cycle
  uint64_t local_roots = 0;
};

class SpanTree {
 public:
  // Spans whose id repeats an earlier span's are marked dropped (is_dropped).
  explicit SpanTree(const spans::SpanSet& set);

  uint32_t parent(uint32_t span) const { return parent_[span]; }
  uint32_t depth(uint32_t span) const { return depth_[span]; }
  uint32_t local_root(uint32_t span) const { return root_[span]; }
  bool is_dropped(uint32_t span) const { return dropped_[span]; }
  // True when ancestor is span itself or on its parent chain.
  bool is_ancestor_or_self(uint32_t ancestor, uint32_t span) const;
  // The deepest span that is an ancestor-or-self of both, kNoSpan when they
  // have different local roots (other traces, other processes, remote parents).
  uint32_t common_ancestor(uint32_t a, uint32_t b) const;

  const SpanTreeStats& stats() const { return stats_; }

 private:
  std::vector<uint32_t> parent_;
  std::vector<uint32_t> depth_;
  std::vector<uint32_t> root_;
  std::vector<bool> dropped_;
  SpanTreeStats stats_;
};

}  // namespace spanprof::attribute
