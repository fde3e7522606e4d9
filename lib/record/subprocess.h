// Starting programs without a shell (posix_spawn: safe while the receiver's
// threads run), with spanprof's blocked signals restored to their defaults.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/result.h"
#include "record/exit_status.h"

namespace spanprof::record {

// The path execvp would run for name: name itself when it holds a '/', else
// the first executable match in $PATH. Errors say "not found" or "not executable".
Result<std::string> find_executable(const std::string& name);

// Starts argv[0] (a path) with env; stdin, stdout and stderr are inherited.
// The child gets an empty signal mask and default SIGINT/SIGTERM/SIGCHLD/SIGPIPE.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env);

struct CapturedRun {
  ExitStatus status;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv to completion with the current environment and stdin from /dev/null.
Result<CapturedRun> run_captured(const std::vector<std::string>& argv);

}  // namespace spanprof::record
