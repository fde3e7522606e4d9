#include "attribute/match_diagnosis.h"

#include <algorithm>
#include <map>
#include <set>

#include "attribute/span_index.h"

namespace spanprof::attribute {

void SampledThreads::add(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  first_ns_ = std::min(first_ns_, unix_ns);
  last_ns_ = std::max(last_ns_, unix_ns);
  uint64_t key = thread_key(pid, tid);
  if (key == last_key_) return;
  last_key_ = key;
  if (!threads_.insert(key).second) return;
  pid_of_tid_.try_emplace(tid, pid);
  pids_.insert(pid);
}

bool SampledThreads::has_thread(uint32_t pid, uint32_t tid) const {
  if (pid == 0) return pid_of_tid_.contains(tid);
  return threads_.contains(thread_key(pid, tid));
}

std::optional<uint32_t> SampledThreads::pid_of_tid(uint32_t tid) const {
  auto it = pid_of_tid_.find(tid);
  if (it == pid_of_tid_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> SampledThreads::smallest_pid() const {
  std::optional<uint32_t> smallest;
  for (uint32_t pid : pids_) {
    if (pid != 0 && (!smallest || pid < *smallest)) smallest = pid;
  }
  return smallest;
}

std::optional<std::pair<int64_t, int64_t>> SampledThreads::time_range() const {
  if (first_ns_ > last_ns_) return std::nullopt;
  return std::pair{first_ns_, last_ns_};
}

namespace {

struct SpanProcess {
  uint64_t spans = 0;
  std::set<uint32_t> tids;
  bool matched = false;
};

UnmatchedProcess judge(uint32_t pid, const SpanProcess& process, const SampledThreads& sampled) {
  UnmatchedProcess unmatched;
  unmatched.pid = pid;
  unmatched.spans = process.spans;
  unmatched.threads = process.tids.size();
  unmatched.largest_id = std::max(pid, process.tids.empty() ? 0 : *process.tids.rbegin());
  if (pid != 0 && sampled.has_pid(pid)) {
    unmatched.cause = UnmatchedCause::kThreadsNotSampled;
    return unmatched;
  }
  // Which process the capture saw most of these tids in: a pre-fork server's
  // children inherit the parent's resource, so their spans name its pid.
  std::map<uint32_t, uint64_t> sampled_in;
  for (uint32_t tid : process.tids) {
    if (auto owner = sampled.pid_of_tid(tid)) ++sampled_in[*owner];
  }
  if (!sampled_in.empty()) {
    unmatched.cause = UnmatchedCause::kWrongPid;
    unmatched.sampled_pid =
        std::max_element(sampled_in.begin(), sampled_in.end(), [](const auto& a, const auto& b) {
          return a.second < b.second;
        })->first;
    return unmatched;
  }
  // In a pid namespace (containers, `unshare --pid`) the app numbers its
  // threads from 1 while perf sees the host's ids: all of them small, below
  // every id the capture sampled.
  std::optional<uint32_t> smallest = sampled.smallest_pid();
  unmatched.cause = smallest && unmatched.largest_id < *smallest ? UnmatchedCause::kNamespaced
                                                                 : UnmatchedCause::kNotInCapture;
  return unmatched;
}

}  // namespace

MatchDiagnosis diagnose_matching(const spans::SpanSet& set, const SpanTree& tree,
                                 const SampledThreads& sampled) {
  MatchDiagnosis diagnosis;
  std::map<uint32_t, SpanProcess> processes;
  int64_t first_start = INT64_MAX;
  int64_t last_end = INT64_MIN;
  for (uint32_t i = 0; i < set.spans.size(); ++i) {
    if (tree.is_dropped(i)) continue;
    const spans::Span& span = set.spans[i];
    std::optional<SpanThread> thread = thread_of_span(set, span);
    if (!thread) continue;
    uint32_t pid = pid_of_key(thread->key);
    uint32_t tid = tid_of_key(thread->key);
    SpanProcess& process = processes[pid];
    ++process.spans;
    process.tids.insert(tid);
    if (!process.matched && sampled.has_thread(pid, tid)) process.matched = true;
    first_start = std::min(first_start, span.start_unix_ns);
    last_end = std::max(last_end, span.end_unix_ns);
  }
  diagnosis.span_processes = processes.size();
  diagnosis.smallest_sampled_pid = sampled.smallest_pid().value_or(0);
  auto range = sampled.time_range();
  if (range && first_start <= last_end) {
    // A span [start, end) holds samples at start <= t < end.
    if (last_end <= range->first) diagnosis.spans_end_before_samples_ns = range->first - last_end;
    if (first_start > range->second) {
      diagnosis.spans_start_after_samples_ns = first_start - range->second;
    }
  }
  // Spans that lie wholly before or after the samples are from another run (or
  // a skewed clock): that alone explains why none matched, and any id they
  // share with the capture, or not, says nothing. No id-based cause is given.
  if (diagnosis.spans_end_before_samples_ns > 0 || diagnosis.spans_start_after_samples_ns > 0) {
    return diagnosis;
  }
  for (const auto& [pid, process] : processes) {
    if (process.matched) continue;
    UnmatchedProcess unmatched = judge(pid, process, sampled);
    switch (unmatched.cause) {
      case UnmatchedCause::kThreadsNotSampled: ++diagnosis.processes_threads_not_sampled; break;
      case UnmatchedCause::kWrongPid: ++diagnosis.processes_wrong_pid; break;
      case UnmatchedCause::kNamespaced: ++diagnosis.processes_namespaced; break;
      case UnmatchedCause::kNotInCapture: ++diagnosis.processes_not_in_capture; break;
    }
    diagnosis.unmatched.push_back(unmatched);
  }
  return diagnosis;
}

}  // namespace spanprof::attribute
