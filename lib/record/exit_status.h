// How a process ended, and the shell's convention for it (128+N for signal N).
#pragma once

#include <string>

namespace spanprof::record {

struct ExitStatus {
  int code = 0;    // exit code, when signal == 0
  int signal = 0;  // the signal that killed the process, or 0

  // From a waitpid() status of a process that has ended.
  static ExitStatus from_wait_status(int status);

  // What a shell reports in $?: the code, or 128 + signal.
  int shell_code() const { return signal != 0 ? 128 + signal : code; }

  // "exit code 3", "killed by SIGKILL (signal 9)".
  std::string describe() const;
};

}  // namespace spanprof::record
