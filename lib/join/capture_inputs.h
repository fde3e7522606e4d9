// A capture directory as join inputs: the one place a capture::Capture becomes
// JoinOptions, for join, run and push alike.
#pragma once

#include "capture/capture_dir.h"
#include "join/join.h"

namespace spanprof::join {

// Fills what options leaves empty: perf.data, the span files (DIR's and the one
// capture.json names), the profile and summary paths, and capture.json's clock
// reading as the fallback for a capture cut short. The capture's warnings are
// passed on to the join's report.
JoinOptions join_options_for(const capture::Capture& capture, JoinOptions options);

}  // namespace spanprof::join
