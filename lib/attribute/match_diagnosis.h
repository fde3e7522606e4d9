// Why spans and samples did not meet: the processes whose spans name no thread
// the capture sampled, and time ranges that do not overlap.
//
// Takes: the spans (placed by their thread ids, as the span index places them),
// the threads the samples fell on, and the samples' time range. Gives: per span
// process (its resource process.pid) whose spans cannot match a sample, the
// likeliest cause; and, when the spans' and the samples' time ranges are
// disjoint, by how much and which is earlier. Nothing is guessed into a match:
// this only explains the spans that got no sample.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "attribute/span_tree.h"
#include "spans/span_set.h"

namespace spanprof::attribute {

// What the samples covered: the threads they fell on and their time range.
class SampledThreads {
 public:
  void add(uint32_t pid, uint32_t tid, int64_t unix_ns);

  // pid 0 (spans whose resource has no process.pid): the tid in any process.
  bool has_thread(uint32_t pid, uint32_t tid) const;
  bool has_pid(uint32_t pid) const { return pids_.contains(pid); }
  // The process a tid was sampled in (the first seen), or nullopt.
  std::optional<uint32_t> pid_of_tid(uint32_t tid) const;
  // The smallest sampled pid above 0 (pid 0 is the idle task), or nullopt.
  std::optional<uint32_t> smallest_pid() const;
  std::optional<std::pair<int64_t, int64_t>> time_range() const;

 private:
  std::unordered_set<uint64_t> threads_;            // thread_key(pid, tid)
  std::unordered_map<uint32_t, uint32_t> pid_of_tid_;
  std::unordered_set<uint32_t> pids_;
  uint64_t last_key_ = UINT64_MAX;  // samples come in runs on one thread: skip the hashing
  int64_t first_ns_ = INT64_MAX;
  int64_t last_ns_ = INT64_MIN;
};

// Why one span process's spans met no sampled thread.
enum class UnmatchedCause : uint8_t {
  kThreadsNotSampled,  // the pid was sampled, none of the spans' tids in it (a wrong tid attribute?)
  kWrongPid,           // the tids were sampled, in another process (process.pid set before a fork?)
  kNamespaced,         // pid and tids absent and smaller than every sampled pid (a pid namespace)
  kNotInCapture,       // neither the pid nor any tid occurs (spans of another run or host)
};

struct UnmatchedProcess {
  uint32_t pid = 0;        // the spans' process.pid; 0 for spans whose resource has none
  uint64_t spans = 0;      // its spans placed on a thread
  uint64_t threads = 0;    // distinct tids its spans name
  uint32_t largest_id = 0; // the largest of the pid and the tids (kNamespaced: all are this small)
  UnmatchedCause cause = UnmatchedCause::kNotInCapture;
  uint32_t sampled_pid = 0;  // kWrongPid: the process the capture sampled its tids in
};

struct MatchDiagnosis {
  uint64_t span_processes = 0;  // distinct span pids with spans placed on a thread
  std::vector<UnmatchedProcess> unmatched;  // by pid
  uint64_t processes_threads_not_sampled = 0;
  uint64_t processes_wrong_pid = 0;
  uint64_t processes_namespaced = 0;
  uint64_t processes_not_in_capture = 0;
  uint64_t smallest_sampled_pid = 0;  // for the namespaced wording; 0 when none
  // Disjoint time ranges (both 0 when they overlap or one is empty): the gap
  // between the last span end and the first sample, or the last sample and the
  // first span start.
  int64_t spans_end_before_samples_ns = 0;
  int64_t spans_start_after_samples_ns = 0;
};

// Spans dropped by the tree (duplicates) and spans without a thread are left out.
MatchDiagnosis diagnose_matching(const spans::SpanSet& set, const SpanTree& tree,
                                 const SampledThreads& sampled);

}  // namespace spanprof::attribute
