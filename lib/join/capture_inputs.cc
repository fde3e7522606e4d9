#include "join/capture_inputs.h"

#include <time.h>

namespace spanprof::join {

JoinOptions join_options_for(const capture::Capture& capture, JoinOptions options) {
  if (options.perf_data_path.empty()) options.perf_data_path = capture.perf_data;
  if (options.span_files.empty()) options.span_files = capture.span_files;
  if (options.activation_files.empty()) {
    options.activation_files = capture.activation_files;
    options.activation_error_notes = capture.activation_error_notes;
  }
  if (options.output_path.empty()) options.output_path = capture.profile;
  if (options.summary_path.empty()) options.summary_path = capture.summary;
  if (!options.fallback_clock) {
    if (auto clocks = capture.start_clocks()) {
      // `spanprof run` reads CLOCK_REALTIME and CLOCK_MONOTONIC back to back when
      // recording starts: a CLOCK_MONOTONIC reference like perf's CLOCK_DATA.
      perfdata::ClockData clock;
      clock.clockid = CLOCK_MONOTONIC;
      clock.tod_ns = static_cast<uint64_t>(clocks->realtime_ns);
      clock.clockid_ns = static_cast<uint64_t>(clocks->monotonic_ns);
      options.fallback_clock = clock;
    }
  }
  for (const Warning& warning : capture.warnings) options.input_warnings.push_back(warning);
  return options;
}

}  // namespace spanprof::join
