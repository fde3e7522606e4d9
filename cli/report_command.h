#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/join_flags.h"
#include "join/join.h"
#include "view/exports.h"

namespace spanprof::cli {

struct ViewCommandOptions {
  std::string capture_dir;
  std::string output;  // -o
  std::string format;  // export only: firefox | chrome | folded
  join::JoinOptions join;
  SymbolFlags symbols;
  bool quiet = false;
};

// Registers `spanprof report` and `spanprof export` on app.
CLI::App* add_report_command(CLI::App& app, ViewCommandOptions& options);
CLI::App* add_export_command(CLI::App& app, ViewCommandOptions& options);

// The span-matching, symbol and -q flags report and export share.
void add_view_join_flags(CLI::App& cmd, ViewCommandOptions& options);
// The join's summary as `spanprof join` prints it (with quiet, as `join -q`).
void print_join_warnings(const join::JoinReport& report, bool quiet);

// The exit code once the page or export is written: 2 for a capture with no
// samples (said in one line), else as join's.
int view_exit_code(const join::JoinReport& report, const char* command, const std::string& dir);

// Joins DIR, writes the page (or the export); returns the exit code.
int run_report_command(ViewCommandOptions& options);
int run_export_command(ViewCommandOptions& options);

}  // namespace spanprof::cli
