// DIR/namespace-ids.tsv: the pid-namespace ids of the profiled threads, so that
// spans stamped inside a pid namespace (a container, `unshare --pid`) meet
// samples, which perf records with the host's ids. `spanprof run` writes it
// (lib/record/namespace_id_poller.h) while the command runs; the join reads it
// (join/span_loader.cc). Read and written here only.
//
// Format (text, one thread a line, appended while the command runs):
//   # spanprof namespace ids 1: host_pid host_tid ns_pid ns_tid
//   4711\t4711\t1\t1
//   4711\t4712\t1\t2
// host_*: the ids in the recorder's pid namespace (perf's), the first NSpid
// field of /proc/PID/task/TID/status; ns_*: the ids in the thread's innermost
// pid namespace, the last NSpid field (proc(5)). Only threads in a pid namespace
// below the recorder's are listed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/result.h"

namespace spanprof::capture {

inline constexpr std::string_view kNamespaceIdsHeader =
    "# spanprof namespace ids 1: host_pid host_tid ns_pid ns_tid\n";

struct NamespacedThread {
  uint32_t host_pid = 0, host_tid = 0;
  uint32_t ns_pid = 0, ns_tid = 0;
};

// One line of the file, newline included.
std::string namespace_ids_line(const NamespacedThread& thread);

struct HostThread {
  uint32_t pid = 0, tid = 0;
};

// The file read: (ns_pid, ns_tid) -> the host's ids. A namespaced pair that
// names two host threads (two containers, or ids reused after a thread ended)
// is left out and counted: its spans are not moved rather than moved wrongly.
class NamespaceIds {
 public:
  // nullopt when the pair is not listed or is ambiguous.
  std::optional<HostThread> host_thread(uint32_t ns_pid, uint32_t ns_tid) const;
  bool empty() const { return threads_.empty(); }
  uint64_t threads() const { return threads_.size(); }
  uint64_t ambiguous() const { return ambiguous_; }

  void add(const NamespacedThread& thread);

 private:
  static uint64_t key(uint32_t pid, uint32_t tid) { return (uint64_t{pid} << 32) | tid; }
  std::unordered_map<uint64_t, std::optional<HostThread>> threads_;  // nullopt: ambiguous
  uint64_t ambiguous_ = 0;
};

// Parses the file's text. Errors name the file and line: another header, a
// line that is not four decimal ids. A last line without its newline (the
// writer was stopped mid-write) is ignored.
Result<NamespaceIds> parse_namespace_ids(std::string_view text, const std::string& where);

// The file read and parsed (Capture::namespace_ids names DIR's).
Result<NamespaceIds> read_namespace_ids(const std::string& path);

}  // namespace spanprof::capture
