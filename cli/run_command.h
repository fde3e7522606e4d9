#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "record/recording.h"

namespace spanprof::cli {

struct RunCommandOptions {
  record::RunOptions run;
  bool no_join = false;
  bool quiet = false;
};

// Registers `spanprof run` on app; returns the subcommand.
CLI::App* add_run_command(CLI::App& app, RunCommandOptions& options);

// Records the command, joins the capture, prints the summary; returns the
// command's exit status (128+N for signal N), or a spanprof code when nothing ran.
int run_run_command(RunCommandOptions& options);

}  // namespace spanprof::cli
