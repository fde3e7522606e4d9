// The capture directory layout that `spanprof run` writes and `spanprof join DIR` reads.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::join {

struct CaptureFiles {
  std::string perf_data;                // DIR/perf.data
  std::vector<std::string> span_files;  // DIR/spans*.jsonl, .jsonl.gz, .pb, .pb.gz, sorted
  std::string profile;                  // DIR/profile.pb.gz
  std::string summary;                  // DIR/summary.json
};

// Fails when dir is not a readable directory.
Result<CaptureFiles> find_capture_files(const std::string& dir);

}  // namespace spanprof::join
