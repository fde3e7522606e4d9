// A capture directory as join inputs: the one place a capture::Capture becomes
// JoinOptions, for join, run and push alike.
#pragma once

#include "capture/capture_dir.h"
#include "join/join.h"

namespace spanprof::join {

// Puts the span-matching options that matching holds into options' fields
// (span_files, activation_files, span_reader, clock_offset_ns, span_scope);
// the others keep their values.
void apply_span_matching(const capture::RecordedJoin& matching, JoinOptions& options);

// Fills what options leaves empty: perf.data, the span files (DIR's and the one
// capture.json names), the profile and summary paths, and capture.json's clock
// reading as the fallback for a capture cut short. The span-matching options
// are options.matching when it holds any; otherwise the ones capture.json's
// "join" key recorded (paths resolved against DIR), and a note says so. The
// capture's warnings are passed on to the join's report.
JoinOptions join_options_for(const capture::Capture& capture, JoinOptions options);

}  // namespace spanprof::join
