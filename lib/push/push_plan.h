// Shaping a capture for `spanprof push`: the join's samples cut into series
// (one per service), time windows and size-limited profiles, series labels,
// and the spans for OTLP forwarding, all written as batches to DIR/outbox
// before anything is sent.
//
// Takes: a capture or join directory and the push options. Gives: the batches
// in DIR/outbox (see outbox.h), DIR/push.json recording what was shaped (so
// a later push can resume), and the shift under DIR/capture.json's "push" key
// when DIR has a capture.json.
// Nothing secret is ever written: shaping never sees URLs or credentials.
//
// The batches, in send order (ids "000001-profile"... for CPU, then
// "...-offcpu" and "...-wall", then "...-traces"):
//   kPyroscopePush:   a PushRequest with ONE series and ONE gzipped pprof
//                     profile (a RawSample with a random UUID). With one
//                     profile per request a 429 is unambiguous on old servers
//                     (one AllowN per request) and new ones (one per profile):
//                     that profile was not stored, and a retry duplicates nothing.
//   kPyroscopeIngest: one gzipped pprof profile per request, its series in the
//                     query (see ingest_request.h).
//   kOtlpTraces:      an ExportTraceServiceRequest (protobuf) of whole spans,
//                     written whenever the capture has span files (delivery
//                     decides whether they are sent).
// Series: one per (profile kind, service) (profile_kind.h: process_cpu for the
// join's primary profile, off_cpu and wall when the capture has them;
// profile_windows.h: a sample in a span goes to its innermost span's resource
// service.name + service.namespace, one outside spans to its process's service,
// the same for every kind), each carrying __name__, service_name,
// service_namespace (when the resource has one), hostname (--host-label) and
// the --label pairs. Profiles: consecutive time ranges of 10 s windows
// (time_nanos = range start, duration_nanos = its length, distinct starts
// within a series); sample labels only span_id (16 hex), trace_id (32 hex,
// unless --no-trace-id-label), span_name (unless --no-span-name) and, in
// off-CPU and wall profiles, thread_state. --protocol ingest sends no off-CPU profiles:
// /ingest names a profile by its sample types, and "off_cpu" contains "cpu"
// (grafana/pyroscope pkg/og/convert/pprof/profile.go metricName).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attribute/span_attribution.h"
#include "common/result.h"
#include "join/join.h"
#include "push/profile_kind.h"
#include "push/series_labels.h"

namespace spanprof::push {

enum class Protocol { kPush, kIngest };

// The server's limits; tests shrink them to force splitting.
struct ShapeLimits {
  int64_t window_ns = 10'000'000'000;  // a profile covers at most 10 s
  size_t max_samples = 16'000;         // pprof samples per profile (Pyroscope's default)
  // A profile's uncompressed pprof bytes plus its series' label bytes: what
  // Pyroscope's per-tenant rate limiter charges for it. 1 MiB is half the
  // default 2 MiB burst, leaving room for the tenant's other pushers; a
  // profile over the burst is never accepted.
  size_t max_profile_bytes = 1u << 20;
  size_t max_traces_request_bytes = 4u << 20;  // one OTLP ExportTraceServiceRequest body
};

struct ShapeOptions {
  Protocol protocol = Protocol::kPush;
  // "" = one series per service (the spans' resources, else the processes'
  // names); given: every sample goes to this one series.
  std::string service_name;
  std::vector<std::pair<std::string, std::string>> labels;  // --label k=v
  bool span_name_label = true;                              // --no-span-name sets false
  // --no-trace-id-label sets false: no trace_id sample label, for servers
  // before v2.1, which make it a series label (one series per trace).
  bool trace_id_label = true;
  // --host-label: series label hostname = perf.data's HEADER_HOSTNAME, so the
  // hosts of a fleet never share a series (and lose profiles of equal start).
  bool host_label = false;
  // --profiles: which of the join's profiles are sent (those the capture has).
  ProfileSelection profiles;
  bool shift_to_now = false;    // --shift-to-now
  int64_t now_unix_ns = 0;      // 0: read CLOCK_REALTIME (tests set it)
  int64_t max_age_ns = 3600'000'000'000;  // --max-age (server's limit)
  int64_t max_future_ns = 600'000'000'000;
  join::JoinOptions join;  // symbolizer/kernel options as `spanprof join` takes them
  ShapeLimits limits;      // the server's limits (tests shrink them)
};

// One series as shaped: its kind, labels, profiles, and the join's samples
// they hold (perf samples; for off-CPU, interval pieces; for wall, both).
struct SeriesReport {
  ProfileKind kind = ProfileKind::kCpu;
  LabelList labels;
  uint64_t profiles = 0;
  uint64_t samples = 0;
};

struct ShapeReport {
  uint64_t windows = 0;   // distinct 10 s windows, over all series
  uint64_t profiles = 0;  // over all series
  uint64_t samples = 0;   // over all series, whatever their kind
  uint64_t spans_forwarded = 0;
  uint64_t spans_marked = 0;  // got pyroscope.profile.id
  uint64_t batches = 0;
  int64_t shift_ns = 0;
  uint64_t span_names_truncated = 0;  // distinct span_name values cut to 2,048 bytes
  std::vector<std::string> dropped_label_names;
  // By kind (cpu, off-cpu, wall), then service_name, service_namespace.
  std::vector<SeriesReport> series;
  // The join, whole: the CLI prints its diagnostics as `spanprof join` does.
  std::optional<join::JoinReport> join;
  // The join's warnings (and its span join error) rendered, then shaping's own.
  std::vector<std::string> warnings;
  size_t join_warnings = 0;  // how many of warnings[] come from the join (the first ones)
};

// The option errors shape_capture() would report before joining (bad or too
// many --label, --label hostname with --host-label, a --service-name /ingest
// cannot carry, non-positive limits):
// for the CLI, which reports them as usage errors.
Result<void> check_shape_options(const ShapeOptions& options);

// Joins DIR (perf.data + span files, as `spanprof join DIR` finds them), shapes
// windows, writes every batch to DIR/outbox and DIR/push.json (state: options
// fingerprint, shaped_at, batches, shift_ns; no URLs' user info, no
// credentials). Errors: capture too old / in the future (message says by how
// much, hint --shift-to-now), no profile data, unusable input, --host-label on
// a capture without a host name, the samples of one instant over a limit.
Result<ShapeReport> shape_capture(const std::string& dir, const ShapeOptions& options);

// A stable hash of every option that changes what is shaped (hex string).
std::string options_fingerprint(const ShapeOptions& options);

}  // namespace spanprof::push
