// The capture directory layout that `spanprof run` writes and `spanprof join DIR` reads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::join {

struct CaptureFiles {
  std::string perf_data;                // DIR/perf.data
  std::vector<std::string> span_files;  // DIR/spans*.jsonl, .jsonl.gz, .pb, .pb.gz, sorted
  std::string profile;                  // DIR/profile.pb.gz
  std::string summary;                  // DIR/summary.json
  // DIR/capture.json's clocks.start (`spanprof run` reads CLOCK_REALTIME and
  // CLOCK_MONOTONIC back to back when recording starts), as a CLOCK_MONOTONIC
  // reference: stands in for perf's CLOCK_DATA in a capture cut short.
  std::optional<perfdata::ClockData> recorded_clock;
};

// Fails when dir is not a readable directory.
Result<CaptureFiles> find_capture_files(const std::string& dir);

}  // namespace spanprof::join
