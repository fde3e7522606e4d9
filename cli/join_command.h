#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "join/join.h"

namespace spanprof::cli {

struct JoinCommandOptions {
  std::string capture_dir;
  join::JoinOptions join;
  std::string kernel_symbols = "auto";
  bool no_kernel = false;
  bool quiet = false;
};

// Registers `spanprof join` on app; returns the subcommand.
CLI::App* add_join_command(CLI::App& app, JoinCommandOptions& options);

// Runs the join and prints its summary; returns the exit code.
int run_join_command(JoinCommandOptions& options);

// 0, or 3 when the profile was written without span labels (spans not joined).
int join_exit_code(const join::JoinReport& report);

}  // namespace spanprof::cli
