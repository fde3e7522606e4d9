#include "record/exit_status.h"

#include <sys/wait.h>

#include <cstring>

#include <fmt/format.h>

namespace spanprof::record {

ExitStatus ExitStatus::from_wait_status(int status) {
  ExitStatus result;
  if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    result.code = WEXITSTATUS(status);
  }
  return result;
}

std::string ExitStatus::describe() const {
  if (signal == 0) return fmt::format("exit code {}", code);
  const char* abbrev = sigabbrev_np(signal);
  return fmt::format("killed by SIG{} (signal {})", abbrev ? abbrev : "?", signal);
}

}  // namespace spanprof::record
