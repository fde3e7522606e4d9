// Hand-made span sets for the span tree, index and clock repair tests.
#pragma once

#include <cstdint>
#include <optional>

#include "spans/span_set.h"

namespace spanprof::attribute::fixtures {

class SpanSetBuilder {
 public:
  SpanSetBuilder() { resource_ = set_.intern_resource({"svc", 100}); }

  // Adds a span of trace 1 on tid with the given times; returns its index.
  uint32_t add(uint64_t id, uint64_t parent, int64_t start, int64_t end,
               std::optional<uint32_t> tid = 7, const char* name = "work") {
    return add_in_trace(1, id, parent, start, end, tid, name);
  }

  // The same in another trace: parents are looked up within the trace.
  uint32_t add_in_trace(uint8_t trace, uint64_t id, uint64_t parent, int64_t start, int64_t end,
                        std::optional<uint32_t> tid = 7, const char* name = "work") {
    spans::Span span;
    span.trace_id[0] = trace;
    span.span_id = id;
    span.parent_span_id = parent;
    span.start_unix_ns = start;
    span.end_unix_ns = end;
    span.os_tid = tid;
    span.resource_index = resource_;
    span.name_index = set_.intern_name(name);
    set_.spans.push_back(span);
    return static_cast<uint32_t>(set_.spans.size() - 1);
  }

  // Later spans go to a resource without process.pid.
  void use_resource_without_pid() { resource_ = set_.intern_resource({"nopid", std::nullopt}); }

  spans::SpanSet& set() { return set_; }

 private:
  spans::SpanSet set_;
  uint32_t resource_ = 0;
};

}  // namespace spanprof::attribute::fixtures
