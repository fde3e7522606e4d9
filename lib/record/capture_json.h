// DIR/capture.json: what was recorded, how, and how it ended. Written when the
// recording starts ("state": "recording") and rewritten at the end ("finished").
//
// Schema "spanprof.capture/1": command, app_pid, perf_pid, perf_command,
// perf_version, kernel, spanprof_version, options{...}, clocks{start, end}
// (CLOCK_REALTIME and CLOCK_MONOTONIC ns read back to back), exit{code, signal,
// shell_code, terminal_signal}, spans{file, receiver{endpoint, stats}}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "receiver/otlp_http_receiver.h"
#include "record/exit_status.h"
#include "record/perf_launcher.h"

namespace spanprof::record {

// The two clocks read back to back: maps perf's monotonic sample times to wall time.
struct ClockPair {
  int64_t realtime_ns = 0;
  int64_t monotonic_ns = 0;
  static ClockPair now();
};

struct CaptureRecord {
  std::string state = "recording";  // then "finished"
  std::vector<std::string> command;
  std::vector<std::string> perf_command;
  int64_t app_pid = 0;   // 0 until found
  int64_t perf_pid = 0;
  std::string perf_version;
  std::string kernel_release;
  std::string spanprof_version;
  PerfOptions perf_options;
  std::string spans_file;           // what SPANPROF_SPANS_FILE named
  bool receiver_enabled = false;
  std::string receiver_endpoint;    // "" when the receiver did not run
  bool receiver_endpoint_in_env = false;  // false: the user's OTEL_* variables were kept
  std::optional<receiver::ReceiverStats> receiver_stats;
  ClockPair clocks_start;
  std::optional<ClockPair> clocks_end;
  std::optional<ExitStatus> exit;
  int terminal_signal = 0;  // a terminal's SIGINT/SIGTERM also reached perf (exit is then perf's)
};

std::string capture_record_json(const CaptureRecord& record);

// Writes DIR/capture.json atomically.
Result<void> write_capture_record(const std::string& capture_dir, const CaptureRecord& record);

}  // namespace spanprof::record
