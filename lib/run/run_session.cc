#include "run/run_session.h"

#include "capture/capture_dir.h"
#include "capture/layout.h"
#include "join/capture_inputs.h"

namespace spanprof::run {

Result<join::JoinReport> join_capture_dir(const std::string& dir, join::JoinOptions options,
                                          const std::string& report_path,
                                          std::optional<Result<view::ReportWritten>>* page) {
  // `join DIR --perf-data FILE` takes the rest of DIR with another capture.
  auto capture = capture::open_capture(dir, options.perf_data_path.empty());
  if (!capture) return std::unexpected(capture.error());
  capture::RecordedJoin given = options.matching;
  join::JoinOptions join = join::join_options_for(*capture, std::move(options));
  std::optional<view::ReportPass> pass;
  if (!report_path.empty() && page != nullptr) {
    pass.emplace();
    pass->attach(join);
  }
  auto report = join::run_join(join);
  if (report && pass) *page = pass->write_report(*report, view::capture_title(*capture), report_path);
  if (!report || given.empty()) return report;
  // Recorded after a join that worked, for a later join or push given none.
  if (auto recorded = capture::record_join(dir, given); !recorded) {
    report->warnings.push_back(Warning{
        WarningKind::kCapture,
        "the span-matching options were not recorded in capture.json (" +
            recorded.error().to_string() + "): a later join or push of DIR needs them again",
        ""});
  }
  return report;
}

std::expected<RunOutcome, record::RunFailure> run_session(RunSessionOptions options,
                                                          const RunObserver& observer) {
  if (options.push) {
    // Before the command runs, not after.
    if (auto prepared = push::prepare_push(*options.push); !prepared) {
      return std::unexpected(record::RunFailure{record::RunFailureKind::kBadOptions,
                                                prepared.error()});
    }
  }
  auto recorded = record::record_command(std::move(options.record));
  if (!recorded) return std::unexpected(recorded.error());
  RunOutcome outcome;
  outcome.recorded = std::move(*recorded);
  if (observer.on_recorded) observer.on_recorded(outcome.recorded);
  if (options.join) {
    const std::string& dir = outcome.recorded.capture_dir;
    std::string report_path;
    if (options.report) report_path = capture::path_in(dir, capture::kReport);
    outcome.joined = join_capture_dir(dir, options.join_options, report_path, &outcome.report);
    if (observer.on_joined) observer.on_joined(*outcome.joined);
    if (outcome.report && observer.on_report) observer.on_report(*outcome.report);
  }
  if (options.push) {
    outcome.pushed = push::run_push(outcome.recorded.capture_dir, *options.push, observer.push);
  }
  return outcome;
}

}  // namespace spanprof::run
