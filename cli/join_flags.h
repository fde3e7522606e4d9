// The span-matching flags of `spanprof join` and `spanprof push`, one
// definition for both: --spans, --activations, --span-scope, --tid-attribute,
// --max-spans, --clock-offset. Each binds to a field of capture::RecordedJoin,
// unset when not given, so the capture's recorded ones fill the rest
// (docs/samples-meet-spans.md).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "capture/capture_record.h"
#include "join/join.h"

namespace spanprof::cli {

// The symbolization flags of the commands that join (join, report, export):
// --kernel-symbols, --no-kernel, --buildid-dir, --debuginfod, --perf-map-dir.
struct SymbolFlags {
  std::string kernel_symbols = "auto";
  bool no_kernel = false;
};
void add_symbol_flags(CLI::App& cmd, join::JoinOptions& join, SymbolFlags& flags);
// Puts the flags' choices into join.
void apply_symbol_flags(const SymbolFlags& flags, join::JoinOptions& join);

// group "" leaves the options in the command's default group.
void add_span_matching_flags(CLI::App& cmd, capture::RecordedJoin& matching,
                             const std::string& group = "");

}  // namespace spanprof::cli
