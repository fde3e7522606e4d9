#pragma once

#include <cstdio>

#include "join/join.h"

namespace spanprof::cli {

// How much of a join's report the terminal gets.
enum class ReportDetail {
  kFull,       // spanprof join: what was written, from what, and every loss
  kQuiet,      // -q: the losses, warnings and errors only
  kSpanMatch,  // spanprof push: the notes, the span lines (spans read, share of samples in
               // spans, span names, spans without samples, span counters) and every warning
};

// The terminal summary of a join: what was written, from what, and every loss.
void print_join_report(const join::JoinReport& report, bool quiet);
// The same to the given streams: the summary to out, warnings and errors to err.
void print_join_report(const join::JoinReport& report, bool quiet, std::FILE* out, std::FILE* err);
void print_join_report(const join::JoinReport& report, ReportDetail detail, std::FILE* out,
                       std::FILE* err);

}  // namespace spanprof::cli
