#pragma once

#include <expected>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "push/push_session.h"

namespace spanprof::cli {

// The push options of `spanprof push DIR --server URL` and `spanprof run --push URL`.
struct PushFlags {
  push::PushSettings settings;
  std::string summary_json;  // --summary-json
  bool quiet = false;
  // Print the join's span lines and warnings when shaping (push); run has
  // printed its own join.
  bool print_join = true;
  // The shaping options as registered, to tell whether the user gave any: a
  // resumed push without them sends what is pending without a note.
  std::vector<const CLI::Option*> shaping_options;
};

struct PushCommandOptions {
  std::string capture_dir;
  PushFlags flags;
};

// Adds the shared push options to cmd; `in_run` leaves out what run has already
// (--quiet, --span-scope) and names the group for run's help.
void add_push_flags(CLI::App& cmd, PushFlags& flags, bool in_run);

// Registers `spanprof push` on app; returns the subcommand.
CLI::App* add_push_command(CLI::App& app, PushCommandOptions& options);

bool shaping_given(const PushFlags& flags);

// Prints the shaping or resume report as it happens, and delivery events. dir
// is read when they happen (run knows it only once recorded): it must outlive
// the observer.
push::PushObserver push_observer(const std::string& dir, const PushFlags& flags, const char* who);

// Prints the outcome (and writes --summary-json); returns 0 (all delivered),
// 5 (some left, retriable), 6 (rejected), 1 (usage) or 2 (unusable input).
int print_push_outcome(const std::expected<push::PushOutcome, push::PushFailure>& outcome,
                       const std::string& dir, const PushFlags& flags, const char* who);

int run_push_command(PushCommandOptions& options);

}  // namespace spanprof::cli
