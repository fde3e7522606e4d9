// DIR/capture.json: what was recorded, how, and how it ended. `spanprof run`
// writes it when recording starts ("state": "recording") and rewrites it at the
// end ("finished"); `spanprof push` adds its "push" key, `spanprof join` its "join" key. Read and written here
// only.
//
// Schema "spanprof.capture/2" (docs/capture-directory.md); "spanprof.capture/1"
// files are read too (they lack sample_frequency_hz and name spans.file by an
// absolute path):
//   state, command[], app_pid, perf_pid, perf_command[], perf_version, kernel,
//   spanprof_version,
//   options{frequency_hz (asked for), call_graph, event, user_space_only, off_cpu,
//           off_cpu_stacks (with off_cpu)},
//   sample_frequency_hz (what perf sampled at, after the kernel's throttling),
//   clocks{start, end: {realtime_ns, monotonic_ns}},
//   exit{code, signal, shell_code, terminal_signal},
//   spans{file (relative to DIR when inside it), receiver{endpoint,
//         endpoint_in_app_env, stats{...}}},
//   push{shift_ns, shaped_at_unix_ns},
//   join{tid_attribute, clock_offset_ns, spans[], activations[], max_spans, span_scope}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spanprof::capture {

inline constexpr std::string_view kCaptureSchema = "spanprof.capture/2";
inline constexpr std::string_view kCaptureSchemaV1 = "spanprof.capture/1";

// CLOCK_REALTIME and CLOCK_MONOTONIC read back to back: maps perf's monotonic
// sample times to wall time when perf.data has no CLOCK_DATA (a capture cut short).
struct ClockPair {
  int64_t realtime_ns = 0;
  int64_t monotonic_ns = 0;
  static ClockPair now();
};

struct RecordedOptions {
  int64_t frequency_hz = 0;  // -F as asked for
  std::string call_graph;    // "fp", "dwarf,8192"
  std::string event;         // "" = perf's default
  bool user_space_only = false;
  bool off_cpu = false;        // --off-cpu: sched_switch at every switch-out, --switch-events
  std::string off_cpu_stacks;  // with off_cpu: "dwarf", "dwarf,4096" or "fp"
};

struct RecordedExit {
  std::optional<int> code;  // absent when a signal ended the command
  int signal = 0;
  int shell_code = 0;       // what a shell would report: code, or 128+signal
  int terminal_signal = 0;  // a terminal's SIGINT/SIGTERM also reached perf
};

struct RecordedReceiverStats {
  uint64_t requests = 0;
  uint64_t accepted = 0;
  uint64_t bad_requests = 0;
  uint64_t too_large = 0;
  uint64_t unsupported_type = 0;
  uint64_t not_found = 0;
  uint64_t aborted = 0;
  uint64_t spans = 0;
  uint64_t bytes_written = 0;
};

struct RecordedReceiver {
  std::string endpoint;             // "" when the receiver did not start
  bool endpoint_in_app_env = false; // false: the user's OTEL_* variables were kept
  std::optional<RecordedReceiverStats> stats;
};

struct RecordedPush {
  int64_t shift_ns = 0;
  int64_t shaped_at_unix_ns = 0;
};

// The span-matching options a join of DIR was given, as given (absent: not
// given, the default applied), so that a later join or push of DIR given none
// of them matches spans the same way. Span and activation file paths are
// relative to DIR when inside it, absolute otherwise.
struct RecordedJoin {
  std::optional<std::string> tid_attribute;  // --tid-attribute
  std::optional<int64_t> clock_offset_ns;    // --clock-offset
  std::vector<std::string> span_files;       // --spans
  std::vector<std::string> activation_files; // --activations
  std::optional<uint64_t> max_spans;         // --max-spans
  std::optional<std::string> span_scope;     // --span-scope: "root" or "innermost"

  bool empty() const {
    return !tid_attribute && !clock_offset_ns && span_files.empty() && activation_files.empty() &&
           !max_spans && !span_scope;
  }
  // The options as a command line would give them: "--tid-attribute tid --clock-offset 5".
  std::string as_flags() const;
};

struct CaptureRecord {
  std::string state = "recording";  // then "finished"
  std::vector<std::string> command;
  int64_t app_pid = 0;  // 0 until found
  int64_t perf_pid = 0;
  std::vector<std::string> perf_command;
  std::string perf_version;
  std::string kernel_release;
  std::string spanprof_version;
  RecordedOptions options;
  std::optional<int64_t> sample_frequency_hz;
  ClockPair clocks_start;
  std::optional<ClockPair> clocks_end;
  std::optional<RecordedExit> exit;
  // What SPANPROF_SPANS_FILE named: relative to DIR when inside it, so a moved
  // directory keeps working; absolute otherwise.
  std::string spans_file;
  std::optional<RecordedReceiver> receiver;
  std::optional<RecordedPush> push;
  std::optional<RecordedJoin> join;

  // The executable's file name (command[0] without its directories), or "".
  std::string executable_name() const;
};

std::string capture_record_json(const CaptureRecord& record);

// Errors name the file (where) and what is wrong with it: not JSON, another
// schema, a field of the wrong type.
Result<CaptureRecord> parse_capture_record(std::string_view text, const std::string& where);

// DIR/capture.json, read and parsed.
Result<CaptureRecord> read_capture_record(const std::string& dir);

// Writes DIR/capture.json durably (common/durable_file.h).
Result<void> write_capture_record(const std::string& dir, const CaptureRecord& record);

// Sets capture.json's "push" key and keeps the rest; nothing when DIR has no
// capture.json.
Result<void> record_push(const std::string& dir, const RecordedPush& push);

// Sets capture.json's "join" key (paths made relative to DIR when inside it,
// absolute otherwise) and keeps the rest; nothing when DIR has no capture.json.
Result<void> record_join(const std::string& dir, const RecordedJoin& join);

}  // namespace spanprof::capture
