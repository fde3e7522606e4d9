// Reads a span file the way `spanprof join` does and checks the SpanSet's
// invariants, which later stages index by without checking.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_input.h"
#include "spans/span_reader.h"

namespace spanprof::fuzz {

[[noreturn]] inline void invariant_broken(const char* what) {
  std::fprintf(stderr, "span invariant broken: %s\n", what);
  std::abort();
}

inline void read_and_check_spans(const std::string& path, const spans::SpanReaderOptions& options) {
  spans::SpanSet set;
  spans::SpanReadStats stats;
  auto read = spans::read_span_file(path, options, set, stats);
  Sink sink;
  if (!read) sink.add_text(read.error().to_string());
  for (const auto& problem : stats.problems) sink.add_text(problem);

  if (stats.spans != set.spans.size()) invariant_broken("stats.spans != spans.size()");
  for (const auto& span : set.spans) {
    if (span.name_index >= set.names.size()) invariant_broken("name_index out of range");
    if (span.resource_index >= set.resources.size()) {
      invariant_broken("resource_index out of range");
    }
    if (span.span_id == 0) invariant_broken("span id 0 kept");
    if (span.start_unix_ns <= 0 || span.end_unix_ns < span.start_unix_ns) {
      invariant_broken("span times out of order");
    }
    sink.add_text(set.names[span.name_index]);
    sink.add_text(set.resources[span.resource_index].service_name);
    sink.add(span.os_tid.value_or(0));
  }
}

}  // namespace spanprof::fuzz
