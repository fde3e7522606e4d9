#include "run/run_session.h"

#include "capture/capture_dir.h"
#include "join/capture_inputs.h"

namespace spanprof::run {

Result<join::JoinReport> join_capture_dir(const std::string& dir, join::JoinOptions options) {
  // `join DIR --perf-data FILE` takes the rest of DIR with another capture.
  auto capture = capture::open_capture(dir, options.perf_data_path.empty());
  if (!capture) return std::unexpected(capture.error());
  capture::RecordedJoin given = options.matching;
  auto report = join::run_join(join::join_options_for(*capture, std::move(options)));
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
    outcome.joined = join_capture_dir(outcome.recorded.capture_dir, options.join_options);
    if (observer.on_joined) observer.on_joined(*outcome.joined);
  }
  if (options.push) {
    outcome.pushed = push::run_push(outcome.recorded.capture_dir, *options.push, observer.push);
  }
  return outcome;
}

}  // namespace spanprof::run
