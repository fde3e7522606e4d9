// The capture directory `spanprof run` records into and `spanprof join DIR` reads:
// perf.data, spans*.jsonl / spans-receiver.pb, capture.json, then profile.pb.gz
// and summary.json.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::record {

// "spanprof-YYYYmmdd-HHMMSS" in local time.
std::string default_capture_dir_name(std::time_t now);

struct PreparedDir {
  std::string path;                  // absolute
  std::vector<std::string> removed;  // old capture files cleared by force
};

// Creates dir (and its parents). An existing non-empty directory is refused
// unless force; with force, the files an earlier capture left (perf.data,
// spans*, capture.json, profile.pb.gz, summary.json) are removed, others kept.
Result<PreparedDir> prepare_capture_dir(const std::string& dir, bool force);

}  // namespace spanprof::record
