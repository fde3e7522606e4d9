#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/push_command.h"
#include "record/recording.h"

namespace spanprof::cli {

struct RunCommandOptions {
  record::RunOptions run;
  bool no_join = false;
  bool report = true;  // --no-report: false
  bool quiet = false;
  PushFlags push;  // push.server set by --push URL: push DIR after the join
};

// Registers `spanprof run` on app; returns the subcommand.
CLI::App* add_run_command(CLI::App& app, RunCommandOptions& options);

// Records the command, joins the capture, prints the summary; returns the
// command's exit status (128+N for signal N), or a spanprof code when nothing ran.
// With --push, a push that fails turns a 0 into the push's code (5 or 6); a
// failing command's own status wins over the push's.
int run_run_command(RunCommandOptions& options);

}  // namespace spanprof::cli
