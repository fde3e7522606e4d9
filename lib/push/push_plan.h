// Shaping a capture for `spanprof push`: the join's samples cut into time
// windows and size-limited profiles, series labels, optional OTLP forwarding
// of the spans, all written as batches to DIR/outbox before anything is sent.
//
// Takes: a capture or join directory and the push options. Gives: the batches
// in DIR/outbox (see outbox.h), DIR/push.json recording what was shaped (so
// a later push can resume), and the shift under DIR/capture.json's "push" key
// when DIR has a capture.json.
// Nothing secret is ever written: shaping never sees URLs or credentials.
//
// The batches, in send order (ids "000001-profile"..., then "...-traces"):
//   kPyroscopePush:   a PushRequest with one series (__name__, service_name,
//                     --label) whose RawSamples are gzipped pprof profiles,
//                     each with a random UUID; several profiles per request.
//   kPyroscopeIngest: one gzipped pprof profile per request, its series in the
//                     query (see ingest_request.h).
//   kOtlpTraces:      an ExportTraceServiceRequest (protobuf) of whole spans.
// Profiles: time_nanos = window start, duration_nanos = window length; sample
// labels only span_id (16 hex), trace_id (32 hex) and span_name.
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

namespace spanprof::push {

enum class Protocol { kPush, kIngest };

// The server's limits on one profile; tests shrink them to force splitting.
struct ShapeLimits {
  int64_t window_ns = 10'000'000'000;          // a profile covers at most 10 s
  size_t max_samples = 16'000;                 // pprof samples per profile
  size_t max_profile_bytes = 4u << 20;         // uncompressed pprof bytes per profile
  size_t max_request_bytes = 4u << 20;         // one PushRequest / OTLP request body
};

struct ShapeOptions {
  Protocol protocol = Protocol::kPush;
  std::string service_name;  // "" = spans' resource service.name, else the executable's name
  std::vector<std::pair<std::string, std::string>> labels;  // --label k=v
  bool span_name_label = true;                              // --no-span-name sets false
  attribute::SpanScope span_scope = attribute::SpanScope::kRoot;  // --span-scope
  bool forward_traces = false;  // --traces-endpoint was given: also write kOtlpTraces batches
  bool shift_to_now = false;    // --shift-to-now
  int64_t now_unix_ns = 0;      // 0: read CLOCK_REALTIME (tests set it)
  int64_t max_age_ns = 3600'000'000'000;  // --max-age (server's limit)
  int64_t max_future_ns = 600'000'000'000;
  join::JoinOptions join;  // symbolizer/kernel options as `spanprof join` takes them
  ShapeLimits limits;      // not a CLI option: the server's limits (tests shrink them)
};

struct ShapeReport {
  uint64_t windows = 0;
  uint64_t profiles = 0;
  uint64_t samples = 0;
  uint64_t spans_forwarded = 0;
  uint64_t spans_marked = 0;  // got pyroscope.profile.id
  uint64_t batches = 0;
  int64_t shift_ns = 0;
  std::vector<std::string> dropped_label_names;
  std::vector<std::string> warnings;
};

// The option errors shape_capture() would report before joining (bad or too
// many --label, a --service-name /ingest cannot carry, non-positive limits):
// for the CLI, which reports them as usage errors.
Result<void> check_shape_options(const ShapeOptions& options);

// Joins DIR (perf.data + span files, as `spanprof join DIR` finds them), shapes
// windows, writes every batch to DIR/outbox and DIR/push.json (state: options
// fingerprint, shaped_at, batches, shift_ns; no URLs' user info, no
// credentials). Errors: capture too old / in the future (message says by how
// much, hint --shift-to-now), no profile data, unusable input.
Result<ShapeReport> shape_capture(const std::string& dir, const ShapeOptions& options);

// DIR/push.json (or capture.json's "push" key), when a previous push shaped DIR.
struct PushState {
  std::string fingerprint;
  int64_t shaped_at_unix_ns = 0;
  uint64_t batches = 0;
  int64_t shift_ns = 0;
};
Result<std::optional<PushState>> read_push_state(const std::string& dir);

// A stable hash of every option that changes what is shaped (hex string).
std::string options_fingerprint(const ShapeOptions& options);

}  // namespace spanprof::push
