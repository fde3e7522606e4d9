#include "join/span_match_warnings.h"

#include <string>

#include <fmt/format.h>

namespace spanprof::join {

namespace {

std::string duration(int64_t ns) {
  constexpr int64_t kMinute = 60'000'000'000;
  auto in = [ns](double unit) { return static_cast<double>(ns) / unit; };
  if (ns >= 2 * 60 * kMinute) return fmt::format("{:.1f} h", in(3600e9));
  if (ns >= 2 * kMinute) return fmt::format("{:.1f} min", in(60e9));
  if (ns >= 1'000'000'000) return fmt::format("{:.3f} s", in(1e9));
  return fmt::format("{:.3f} ms", in(1e6));
}

// "spans of process 123 (40 spans on 3 threads)", or of the spans without process.pid.
std::string whose(const attribute::UnmatchedProcess& process) {
  std::string counts = fmt::format("{} spans on {} threads", process.spans, process.threads);
  if (process.pid == 0) return fmt::format("spans without process.pid ({})", counts);
  return fmt::format("spans of process.pid {} ({})", process.pid, counts);
}

std::string explain(const attribute::UnmatchedProcess& process, uint64_t smallest_sampled_pid) {
  using enum attribute::UnmatchedCause;
  switch (process.cause) {
    case kThreadsNotSampled:
      return fmt::format(
          "{} got no sample: the capture sampled process {} but none of the thread ids the spans "
          "name; is their thread attribute the OS tid (gettid())? Name the right one with "
          "--tid-attribute (docs/thread-ids.md)",
          whose(process), process.pid);
    case kWrongPid:
      return fmt::format(
          "{} got no sample: the capture sampled their thread ids in process {}, so the spans' "
          "process.pid is not the process that ran them (a pre-fork server whose SDK read the "
          "pid before forking?); set process.pid in each worker after the fork",
          whose(process), process.sampled_pid);
    case kNamespaced:
      return fmt::format(
          "{} got no sample: their pid and thread ids (all <= {}) occur nowhere in the capture, "
          "whose pids start at {}: the app looks to run in its own pid namespace (a container, "
          "`unshare --pid`), where ids differ from the host's that perf records; `spanprof run` "
          "records the ids that make them match (unless --no-namespace-ids); for a capture made "
          "by hand, run the app in the host's pid namespace (docker --pid=host) or record inside "
          "its namespace (docs/samples-meet-spans.md)",
          whose(process), process.largest_id, smallest_sampled_pid);
    case kNotInCapture:
      return fmt::format(
          "{} got no sample: neither their pid nor any of their thread ids occurs in the "
          "capture; are the spans from another run or host? Give this run's span files "
          "(--spans)",
          whose(process));
  }
  return {};
}

}  // namespace

void add_span_match_warnings(const attribute::MatchDiagnosis& diagnosis,
                             std::vector<Warning>& warnings) {
  for (const attribute::UnmatchedProcess& process : diagnosis.unmatched) {
    warnings.push_back(Warning{WarningKind::kSpanMatch,
                               explain(process, diagnosis.smallest_sampled_pid), ""});
  }
  if (diagnosis.spans_end_before_samples_ns > 0) {
    warnings.push_back(Warning{
        WarningKind::kSpanMatch,
        fmt::format("the spans end {} before the first sample: no span overlaps the capture's "
                    "time; are they from an earlier run? A known clock skew is corrected with "
                    "--clock-offset NS (added to sample times; negative here)",
                    duration(diagnosis.spans_end_before_samples_ns)),
        ""});
  }
  if (diagnosis.spans_start_after_samples_ns > 0) {
    warnings.push_back(Warning{
        WarningKind::kSpanMatch,
        fmt::format("the spans start {} after the last sample: no span overlaps the capture's "
                    "time; are they from a later run? A known clock skew is corrected with "
                    "--clock-offset NS (added to sample times; positive here)",
                    duration(diagnosis.spans_start_after_samples_ns)),
        ""});
  }
}

}  // namespace spanprof::join
