#pragma once

#include "join/join.h"

namespace spanprof::cli {

// The terminal summary of a join: what was written, from what, and every loss.
void print_join_report(const join::JoinReport& report, bool quiet);

}  // namespace spanprof::cli
