// The join's samples grouped into series (one per service), cut into time
// windows and turned into pprof profiles the Pyroscope server keeps.
//
// Takes: every sample of one of a join's profiles (as its SampleSink: the
// primary, off-CPU or wall one, WindowOptions::kind), the finished profile
// builder (locations, functions, mappings), then, after the join, how samples
// outside spans find their service (ServiceNaming). Gives: per series, the
// uncompressed pprof profiles of its windows, in time order, with the kind's
// period type (profile_kind.h).
//
// What the server does and this unit therefore guarantees:
// - Pyroscope keeps one profile per (series, time_nanos) (querier
//   skipDuplicates, compaction's dedupe): a window over the limits is cut BY
//   TIME into consecutive ranges; each profile's time_nanos is its range start
//   and duration_nanos its length, the ranges tile the window, and no two
//   profiles of a series share a start.
// - Every sample label but span_id (and, from v2.1, trace_id) becomes a series
//   label (pkg/model/pprofsplit): only span_id, trace_id (optional),
//   span_name (optional) and, in off-CPU and wall profiles, thread_state
//   (a handful of values) stay sample labels.
// - A label value over 2,048 bytes gets the whole profile rejected
//   (pkg/validation, max-label-value-length): span_name values are truncated
//   on a UTF-8 boundary and counted.
// - On a mapping with has_functions the server clears the addresses
//   (pkg/pprof normalisation): a profile's mapping keeps has_functions only
//   when every one of its locations there has a line.
//
// Memory: one 24-byte event per perf sample (time, weight, stack+labels key),
// plus one interned key per distinct (stack, labels).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "join/join.h"
#include "push/profile_kind.h"

namespace spanprof::push {

class ProfileCutter;

// Pyroscope's default max-label-value-length (pkg/validation/limits.go).
inline constexpr size_t kMaxLabelValueBytes = 2048;

// What a series is filed under, besides the user's labels and the host.
struct ServiceKey {
  std::string service_name;
  std::string service_namespace;  // "" = the series has no service_namespace label
  auto operator<=>(const ServiceKey&) const = default;
};

// How samples find their service once the join is done.
struct ServiceNaming {
  // Non-empty (--service-name): every sample goes to this one service.
  std::string forced_service_name;
  // A sample outside spans (or in a span whose resource has no service.name)
  // goes to its process's service, from the spans' resources (the join's
  // SpanReport::services_by_pid); else to its process's main-thread name
  // (the one most of its samples carry: an exec renames the thread);
  // else to executable_name; else to its process's busiest thread name.
  std::map<uint32_t, join::SpanReport::ProcessService> services_by_pid;
  std::string executable_name;  // the capture's command without directories, "" unknown
  // Each process's service as another kind's windows resolved it (see
  // ProfileWindows::process_services), taken before the heuristics above that
  // count this kind's own samples: a process's CPU, off-CPU and wall samples
  // go to one service.
  std::map<uint32_t, ServiceKey> process_services;
};

struct WindowOptions {
  int64_t window_ns = 10'000'000'000;  // > 0; windows start at multiples of it
  bool span_name_label = true;         // span_name stays a sample label
  bool trace_id_label = true;          // trace_id stays a sample label
  ProfileKind kind = ProfileKind::kCpu;  // its kept sample label and period type
};

struct ProfileLimits {
  size_t max_samples = 16'000;          // pprof samples per profile
  size_t max_profile_bytes = 1u << 20;  // serialized (uncompressed) pprof bytes per profile
};

struct WindowedProfile {
  int64_t start_ns = 0;  // unix ns, the profile's time_nanos
  int64_t end_ns = 0;    // start_ns + duration_nanos
  std::string pprof;     // uncompressed profile.proto bytes
  uint64_t samples = 0;  // pprof samples (distinct stacks x labels)
  uint64_t events = 0;   // perf samples they sum up
};

class ProfileWindows final : public join::SampleSink {
 public:
  explicit ProfileWindows(const WindowOptions& options);
  ~ProfileWindows() override;

  void on_sample(const join::SampleEvent& sample) override;
  void on_profile(const profile::ProfileBuilder& builder) override;

  uint64_t samples() const { return samples_; }                   // perf samples seen
  uint64_t samples_without_time() const { return untimed_; }      // left out: no clock data
  std::optional<int64_t> first_ns() const;                         // earliest sample time
  std::optional<int64_t> last_ns() const;                          // latest sample time
  // Distinct windows over all series (their starts, unshifted).
  size_t window_count() const { return windows().size(); }
  std::set<int64_t> windows() const;
  // Sample label names seen and not sent as sample labels (pid, tid,
  // thread_name, ...), sorted; service_name and service_namespace are not
  // among them: they become the series' labels.
  std::vector<std::string> dropped_label_names() const;
  // span_id values of the samples kept (16 hex), to mark the forwarded spans.
  const std::set<std::string>& labelled_span_ids() const { return span_ids_; }
  // span_name values over kMaxLabelValueBytes (distinct names; samples).
  uint64_t span_names_truncated() const { return truncated_names_.size(); }
  uint64_t samples_with_truncated_span_name() const { return truncated_samples_; }

  // Groups the samples into series, sorted by ServiceKey. Call after the
  // join, before build(); a second call regroups.
  std::vector<ServiceKey> assign_series(const ServiceNaming& naming);
  // The service of every process whose samples (outside spans, or in spans
  // without a service) this holds, as assign_series would resolve it: for
  // ServiceNaming::process_services of the other kinds.
  std::map<uint32_t, ServiceKey> process_services(const ServiceNaming& naming) const;

  // The profiles of series `index` (of assign_series()), in time order, times
  // moved by shift_ns (a multiple of window_ns, so the windows stay aligned).
  // Fails when the builder was not seen, assign_series() was not called, or
  // the samples of one instant alone exceed a limit (the message names it).
  Result<std::vector<WindowedProfile>> build(size_t index, int64_t shift_ns,
                                             const ProfileLimits& limits) const;
  uint64_t series_samples(size_t index) const;  // perf samples of series `index`

 private:
  struct Event {
    int64_t time = 0;
    int64_t weight = 0;
    uint32_t key = 0;    // into keys_
    uint32_t count = 1;  // SampleEvent::count (in what would be padding)
  };
  // Samples of one span service, or of one process outside spans.
  struct Group {
    std::optional<ServiceKey> service;  // from the span's resource
    uint32_t pid = 0;                   // when service is absent
    std::vector<Event> events;
  };
  struct Process {
    // Samples per name of the main thread (tid == pid); an exec renames it.
    std::map<std::string, uint64_t> main_thread_samples;
    std::map<std::string, uint64_t> thread_samples;
  };
  struct KeyHash {
    size_t operator()(const std::vector<uint64_t>& key) const;
  };
  struct Template;

  uint32_t intern(std::string_view text);
  uint32_t group_of(const std::string* service, const std::string* service_namespace,
                    uint32_t pid);
  ServiceKey resolve(const Group& group, const ServiceNaming& naming) const;
  Result<void> cut_range(ProfileCutter& cutter, const std::vector<Event>& events, size_t begin,
                         size_t end, int64_t start_ns, int64_t end_ns, int64_t shift_ns,
                         const ProfileLimits& limits, std::vector<WindowedProfile>& out) const;

  WindowOptions options_;
  std::vector<std::string> strings_;  // sample label values, index 0 = ""
  std::unordered_map<std::string, uint32_t> string_ids_;
  // [location count, location ids..., span_id, trace_id, span_name,
  // thread_state] with label values as indices into strings_; keys_[i] points
  // into key_ids_.
  std::unordered_map<std::vector<uint64_t>, uint32_t, KeyHash> key_ids_;
  std::vector<const std::vector<uint64_t>*> keys_;
  std::vector<Group> groups_;
  std::map<std::string, uint32_t> group_ids_;
  std::map<uint32_t, Process> processes_;
  std::vector<std::vector<uint32_t>> series_groups_;  // per assigned series
  std::set<std::string> dropped_;
  std::set<std::string> span_ids_;
  std::set<std::string> truncated_names_;
  uint64_t truncated_samples_ = 0;
  std::unique_ptr<Template> template_;
  std::optional<Error> template_error_;
  std::vector<uint64_t> key_;  // scratch
  uint64_t samples_ = 0;
  uint64_t untimed_ = 0;
  int64_t first_ns_ = INT64_MAX;
  int64_t last_ns_ = INT64_MIN;
};

// floor(value / step) * step, also for negative values.
int64_t floor_to_multiple(int64_t value, int64_t step);

// text cut to at most max_bytes without splitting a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view text, size_t max_bytes);

}  // namespace spanprof::push
