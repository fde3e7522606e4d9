#include "join/namespace_mapping.h"

#include <optional>
#include <vector>

namespace spanprof::join {

NamespaceMappingStats map_namespaced_ids(const capture::NamespaceIds& ids, spans::SpanSet& set) {
  NamespaceMappingStats stats;
  stats.threads_listed = ids.threads();
  stats.ambiguous_pairs = ids.ambiguous();
  if (ids.empty()) return stats;
  // The resources' pids as the spans stamped them, looked up before any is replaced.
  std::vector<std::optional<uint32_t>> ns_pid(set.resources.size());
  std::vector<std::optional<uint32_t>> host_pid(set.resources.size());
  for (size_t r = 0; r < set.resources.size(); ++r) {
    ns_pid[r] = set.resources[r].pid;
    if (!ns_pid[r]) continue;
    // The process's main thread has tid == pid in every namespace.
    if (auto main = ids.host_thread(*ns_pid[r], *ns_pid[r])) host_pid[r] = main->pid;
  }
  for (spans::Span& span : set.spans) {
    const uint32_t r = span.resource_index;
    if (!span.os_tid || !ns_pid[r]) continue;
    std::optional<capture::HostThread> host = ids.host_thread(*ns_pid[r], *span.os_tid);
    if (!host) continue;
    // Threads of one namespaced process belong to one host process.
    if (!host_pid[r]) host_pid[r] = host->pid;
    if (host->pid != *host_pid[r]) continue;
    span.os_tid = host->tid;
    ++stats.spans_mapped;
  }
  for (size_t r = 0; r < set.resources.size(); ++r) {
    if (host_pid[r]) set.resources[r].pid = host_pid[r];
  }
  return stats;
}

}  // namespace spanprof::join
