// The capture directory's layout: the one list of the files `spanprof run` writes
// into DIR and the later commands (join, push, and what reads their output)
// find there. Every other module takes these names from here.
//
//   DIR/capture.json          what was recorded, how, how it ended (capture_record.h)
//   DIR/perf.data             perf record's output
//   DIR/spans.jsonl           default SPANPROF_SPANS_FILE (OTLP JSON Lines)
//   DIR/spans-receiver.pb     spans the OTLP/HTTP receiver got (length-prefixed protobuf)
//   DIR/spans-receiver.jsonl  the same for OTLP/HTTP JSON bodies
//   DIR/spans*.{jsonl,json,pb}[.gz]  any other span file put there by hand
//   DIR/activations-PID.bin   a process's activation records (docs/activations.md)
//   DIR/activations-PID.error why that process's activation writer gave up
//   DIR/namespace-ids.tsv     pid-namespace ids of the profiled threads (namespace_ids.h)
//   DIR/profile.pb.gz         the join's pprof (the first sampling event, or --event's)
//   DIR/profile-EVENT.pb.gz   each other sampling event's pprof (EVENT: its name, [^A-Za-z0-9._-] -> _)
//   DIR/offcpu.pb.gz          off-CPU intervals per span (docs/off-cpu.md)
//   DIR/wall.pb.gz            CPU samples + off-CPU intervals: wall time per span
//   DIR/summary.json          the join's summary (docs/summary-json.md)
//   DIR/report.html           the report page (docs/report.md)
//   DIR/profile.firefox.json  `spanprof export --format firefox`
//   DIR/trace.chrome.json     `spanprof export --format chrome`
//   DIR/folded/               `spanprof export --format folded`: one file per span name
//   DIR/push.json             what a push shaped (lib/push/push_state.h)
//   DIR/outbox/               batches a push has not delivered yet (lib/push/outbox.h)
//   DIR/.preflight.data       perf's short trial run before the command starts
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spanprof::capture {

inline constexpr std::string_view kCaptureJson = "capture.json";
inline constexpr std::string_view kPerfData = "perf.data";
inline constexpr std::string_view kDefaultSpansFile = "spans.jsonl";
inline constexpr std::string_view kReceiverProtobufFile = "spans-receiver.pb";
inline constexpr std::string_view kReceiverJsonFile = "spans-receiver.jsonl";
inline constexpr std::string_view kProfile = "profile.pb.gz";
inline constexpr std::string_view kOffCpuProfile = "offcpu.pb.gz";
inline constexpr std::string_view kWallProfile = "wall.pb.gz";
inline constexpr std::string_view kSummary = "summary.json";
inline constexpr std::string_view kReport = "report.html";
inline constexpr std::string_view kFirefoxExport = "profile.firefox.json";
inline constexpr std::string_view kChromeExport = "trace.chrome.json";
inline constexpr std::string_view kFoldedExport = "folded";
inline constexpr std::string_view kPushState = "push.json";
inline constexpr std::string_view kOutbox = "outbox";
inline constexpr std::string_view kPreflightData = ".preflight.data";
inline constexpr std::string_view kNamespaceIds = "namespace-ids.tsv";

// The environment variable that tells the profiled command's activation
// writers where DIR is (an absolute path).
inline constexpr std::string_view kActivationsDirEnv = "SPANPROF_ACTIVATIONS_DIR";

// "activations-PID.bin" and "activations-PID.error" (PID: decimal digits).
std::string activation_file_name(uint32_t pid);
std::string activation_error_note_name(uint32_t pid);
bool is_activation_file_name(std::string_view name);
bool is_activation_error_note_name(std::string_view name);

// The profiles written beside the join's main output: for DIR/profile.pb.gz
// the names above; for another output OUT.pb.gz, OUT.offcpu.pb.gz,
// OUT.wall.pb.gz and OUT-EVENT.pb.gz.
enum class SiblingProfile { kOffCpu, kWall };
std::string sibling_profile_path(const std::string& output_path, SiblingProfile kind);
std::string event_profile_path(const std::string& output_path, std::string_view event_name);

// "spans" followed by anything and one of the span file suffixes the span
// readers take (.jsonl, .json, .pb, each optionally .gz).
bool is_span_file_name(std::string_view name);

// DIR/NAME ("NAME" when dir is empty).
std::string path_in(const std::string& dir, std::string_view name);

// Files of an earlier capture that `spanprof run --force` replaces: everything
// in the list above (and perf's .old copies and interrupted writes), nothing else.
bool is_capture_file_name(std::string_view name);

}  // namespace spanprof::capture
