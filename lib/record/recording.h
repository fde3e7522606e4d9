// spanprof run, up to the join: a command recorded by `perf record` into a
// capture directory, with its spans arriving through a file
// (SPANPROF_SPANS_FILE) and/or the OTLP/HTTP receiver (OTEL_EXPORTER_OTLP_*).
//
// Takes the command and options; gives the capture directory (perf.data,
// spans*, capture.json) and the command's exit status as perf passed it on.
#pragma once

#include <sys/types.h>

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "receiver/otlp_http_receiver.h"
#include "record/exit_status.h"
#include "record/namespace_id_poller.h"
#include "record/perf_launcher.h"

namespace spanprof::record {

struct RunOptions {
  std::vector<std::string> command;  // argv; command[0] is looked up in PATH
  std::string capture_dir;           // "" = ./spanprof-YYYYmmdd-HHMMSS
  bool force = false;                // reuse a non-empty capture_dir
  PerfOptions perf;
  std::string spans_file;            // SPANPROF_SPANS_FILE; "" = DIR/spans.jsonl
  bool receiver = true;              // start the OTLP/HTTP receiver
  bool runtime_hooks = true;         // load the Node hook (record/runtime_hooks.h)
  // Poll the command's threads for pid-namespace ids into DIR/namespace-ids.tsv
  // (record/namespace_id_poller.h), so spans stamped in a container match.
  bool namespace_ids = true;
  std::function<void(const std::string&)> on_notice;   // progress, one line each
  std::function<void(const std::string&)> on_warning;  // what the user should know, one line each
};

struct RunReport {
  std::string capture_dir;  // absolute
  std::string spans_file;   // absolute
  std::vector<std::string> perf_command;
  pid_t app_pid = 0;        // 0 when never seen (a command that ended at once)
  ExitStatus app_status;    // perf passes the command's status on (a signal is re-raised)
  int terminal_signal = 0;  // Ctrl-C etc. reached perf too: app_status is perf's re-raise of it
  std::string receiver_endpoint;
  std::string node_hook;    // the hook NODE_OPTIONS loads; "" when none
  std::optional<receiver::ReceiverStats> receiver_stats;
  std::optional<NamespacePollStats> namespace_polls;  // with RunOptions::namespace_ids
};

// Why nothing was recorded; each kind has its exit code in cli/exit_codes.h.
enum class RunFailureKind {
  kBadOptions,
  kCaptureDir,        // cannot create it, or not empty without --force
  kCannotRecord,      // perf missing, not permitted, event unavailable, receiver failed
  kCommandNotFound,
  kCommandNotExecutable,
};

struct RunFailure {
  RunFailureKind kind;
  Error error;
};

std::expected<RunReport, RunFailure> record_command(RunOptions options);

}  // namespace spanprof::record
