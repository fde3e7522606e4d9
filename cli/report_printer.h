#pragma once

#include <cstdio>

#include "join/join.h"

namespace spanprof::cli {

// The terminal summary of a join: what was written, from what, and every loss.
void print_join_report(const join::JoinReport& report, bool quiet);
// The same to the given streams: the summary to out, warnings and errors to err.
void print_join_report(const join::JoinReport& report, bool quiet, std::FILE* out, std::FILE* err);

}  // namespace spanprof::cli
