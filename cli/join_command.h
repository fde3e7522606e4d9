#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/join_flags.h"
#include "join/join.h"
#include "view/view_session.h"

namespace spanprof::cli {

struct JoinCommandOptions {
  std::string capture_dir;
  join::JoinOptions join;
  SymbolFlags symbols;
  bool report = false;  // --report: DIR/report.html from the same join
  bool quiet = false;
};

// Registers `spanprof join` on app; returns the subcommand.
CLI::App* add_join_command(CLI::App& app, JoinCommandOptions& options);

// Runs the join and prints its summary; returns the exit code.
int run_join_command(JoinCommandOptions& options);

// Prints where the report page went (or why it did not); returns 0 or kExitUnusableInput.
// The page's cuts are printed also with -q.
int print_report_written(const Result<view::ReportWritten>& written);

// 0, or 3 when the profile was written without span labels (spans not joined).
int join_exit_code(const join::JoinReport& report);

}  // namespace spanprof::cli
