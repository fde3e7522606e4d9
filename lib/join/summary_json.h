// summary.json: the join's summary for CI jobs to read. Schema: docs/summary-json.md.
#pragma once

#include <string>

#include "common/result.h"
#include "join/join.h"

namespace spanprof::join {

std::string summary_json(const JoinReport& report);

// Writes summary_json(report) to path (temp file + rename).
Result<void> write_summary_json(const JoinReport& report, const std::string& path);

}  // namespace spanprof::join
