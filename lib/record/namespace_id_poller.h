// Records the pid-namespace ids of the profiled command's threads while it
// runs (DIR/namespace-ids.tsv, capture/namespace_ids.h), so that the join can
// match spans stamped inside a pid namespace (containers, `unshare --pid`).
//
// Takes: the command's pid, polled from `spanprof run`'s wait loop (every
// 200 ms). Gives: one line per thread found in a pid namespace below ours,
// appended once. Threads that start and end between two polls are missed.
// Cost per poll: one readdir of /proc/PID/task and one read of
// /proc/PID/task/TID/children per known process and thread, plus one status
// read per new thread; at most kMaxTasksPerPoll tasks are looked at.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_set>

#include "common/result.h"

namespace spanprof::record {

struct NamespacePollStats {
  uint64_t polls = 0;
  uint64_t tasks_seen = 0;         // distinct threads looked at
  uint64_t threads_written = 0;    // namespaced threads in the file
  int64_t slowest_poll_ns = 0;
  int64_t total_poll_ns = 0;
  bool task_cap_reached = false;   // some poll stopped at kMaxTasksPerPoll
};

class NamespaceIdPoller {
 public:
  static constexpr size_t kMaxTasksPerPoll = 4096;

  // path: DIR/namespace-ids.tsv, created at the first namespaced thread.
  explicit NamespaceIdPoller(std::string path);
  ~NamespaceIdPoller();
  NamespaceIdPoller(const NamespaceIdPoller&) = delete;
  NamespaceIdPoller& operator=(const NamespaceIdPoller&) = delete;

  // Walks the process tree from root_pid. Fails only when the file cannot be
  // written (then later polls do nothing).
  Result<void> poll(pid_t root_pid);
  const NamespacePollStats& stats() const { return stats_; }

 private:
  Result<void> write_line(const std::string& line);

  std::string path_;
  int fd_ = -1;
  bool failed_ = false;
  std::unordered_set<uint64_t> seen_;  // (pid << 32 | tid) already looked at
  NamespacePollStats stats_;
};

}  // namespace spanprof::record
