// `spanprof run` as a library call: record the command into a capture
// directory (lib/record), join it as `spanprof join DIR` would (lib/join), and
// with push settings push it as `spanprof push DIR` would (lib/push). The CLI
// prints what the observer hears and maps the outcome to an exit code.
#pragma once

#include <expected>
#include <functional>
#include <optional>

#include "common/result.h"
#include "join/join.h"
#include "push/push_session.h"
#include "record/recording.h"
#include "view/view_session.h"

namespace spanprof::run {

struct RunSessionOptions {
  record::RunOptions record;
  bool join = true;                           // false: --no-join, only record (and push)
  join::JoinOptions join_options;             // paths are filled from the capture directory
  bool report = true;                         // DIR/report.html from the same join (--no-report: none)
  std::optional<push::PushSettings> push;     // --push URL and the push flags
};

struct RunObserver {
  // The command has ended and the capture is complete.
  std::function<void(const record::RunReport&)> on_recorded;
  // The join's result (an error is not fatal: the capture is kept).
  std::function<void(const Result<join::JoinReport>&)> on_joined;
  // The report page, after on_joined (an error leaves the profiles written).
  std::function<void(const Result<view::ReportWritten>&)> on_report;
  push::PushObserver push;
};

struct RunOutcome {
  record::RunReport recorded;
  std::optional<Result<join::JoinReport>> joined;  // absent with --no-join
  std::optional<Result<view::ReportWritten>> report;  // absent without a join that worked or with --no-report
  std::optional<std::expected<push::PushOutcome, push::PushFailure>> pushed;
};

// Fails only when nothing was recorded (the command never ran). Push settings
// are checked (and credentials loaded) before the command runs.
std::expected<RunOutcome, record::RunFailure> run_session(RunSessionOptions options,
                                                          const RunObserver& observer = {});

// The join of a recorded capture directory: `spanprof join DIR`'s inputs. The
// span-matching options given in options.matching are recorded in
// capture.json after the join (capture::record_join); with none given, the
// recorded ones apply (join_options_for). With report_path, the same join
// also gives the report page (view::ReportPass), written there into *report.
Result<join::JoinReport> join_capture_dir(const std::string& dir, join::JoinOptions options,
                                          const std::string& report_path = "",
                                          std::optional<Result<view::ReportWritten>>* report = nullptr);

}  // namespace spanprof::run
