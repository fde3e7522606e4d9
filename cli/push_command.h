#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "push/credentials.h"
#include "push/delivery.h"
#include "push/push_plan.h"

namespace spanprof::cli {

// Every push option but the capture dir and the server URL, shared by
// `spanprof push DIR --server URL` and `spanprof run --push URL`.
struct PushFlags {
  std::string server;  // --server (push) or --push (run)
  std::string protocol = "push";
  std::string service_name;
  std::vector<std::string> labels;  // k=v
  bool no_span_name = false;
  std::string span_scope = "root";
  std::string traces_endpoint;
  bool shift_to_now = false;
  int64_t max_age_s = 3600;
  std::string tenant;
  std::string traces_tenant;
  push::CredentialSources credentials;
  push::CredentialSources traces_credentials;
  std::string cacert;
  bool insecure = false;
  double connect_timeout_s = 10;
  double timeout_s = 60;
  int max_attempts = 6;
  double max_retry_time_s = 120;
  bool reshape = false;
  std::string summary_json;
  std::string buildid_dir;
  bool no_kernel = false;
  bool quiet = false;
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

// Shapes DIR (unless a previous push did) and delivers its outbox; prints the
// summary; returns 0 (all delivered), 5 (some left, retriable), 6 (rejected),
// 1 (usage) or 2 (unusable input). `who` prefixes messages ("spanprof push").
int push_capture(const std::string& dir, PushFlags& flags, const char* who);

// Checks the options and loads the credentials without sending anything, so
// `run --push` can refuse bad ones before the command runs. Prints the error;
// returns 0 or 1 (usage).
int check_push_flags(PushFlags& flags, const char* who);

int run_push_command(PushCommandOptions& options);

}  // namespace spanprof::cli
