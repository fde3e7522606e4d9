// Spans stamped inside a pid namespace, moved to the host's ids that perf
// records: each span's (process.pid, thread id) is looked up in the capture's
// namespace ids (capture/namespace_ids.h) and replaced by the host's pair.
#pragma once

#include <cstdint>

#include "capture/namespace_ids.h"
#include "spans/span_set.h"

namespace spanprof::join {

struct NamespaceMappingStats {
  uint64_t threads_listed = 0;   // threads the file lists
  uint64_t ambiguous_pairs = 0;  // namespaced pairs naming two host threads (not used)
  uint64_t spans_mapped = 0;     // spans whose pid and tid were replaced
};

// Only spans with an OS tid and a resource process.pid are looked up (a tid
// alone names a thread in any namespace); those not listed keep their ids.
NamespaceMappingStats map_namespaced_ids(const capture::NamespaceIds& ids, spans::SpanSet& set);

}  // namespace spanprof::join
