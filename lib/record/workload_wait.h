// Waiting for `perf record` while passing SIGINT/SIGTERM on to the profiled
// command (perf's child), so the command can shut down and flush its spans and
// perf still finalizes perf.data. spanprof itself survives them meanwhile.
//
// A signal sent by a process (kill, a CI runner) is forwarded to the command.
// A signal from the terminal (Ctrl-C: si_code SI_KERNEL) already reached the
// whole foreground process group, command and perf included, so it is not sent twice.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "record/exit_status.h"

namespace spanprof::record {

// Blocks SIGINT, SIGTERM and SIGCHLD in the calling thread for its lifetime;
// create it before starting threads, so they inherit the mask and no thread
// takes these signals. Pending ones are discarded on destruction.
class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  const sigset_t& set() const { return blocked_; }

 private:
  sigset_t blocked_;
  sigset_t previous_;
};

struct WaitCallbacks {
  std::function<void(pid_t)> on_app_pid;               // once, when the command's pid is known
  std::function<void(const std::string&)> on_notice;   // one line for the user
  // Each wake-up of the wait loop once the command's pid is known (every 200 ms
  // at most, as a rule): for polling the command's process tree.
  std::function<void(pid_t)> on_tick;
};

struct WaitResult {
  ExitStatus status;        // perf's: the command's, passed through
  int terminal_signal = 0;  // SIGINT/SIGTERM that reached perf from the terminal, or 0:
                            // perf then re-raises it, hiding the command's own status
};

// Waits until perf exits.
WaitResult wait_forwarding_signals(pid_t perf_pid, const BlockedSignals& signals,
                                   const WaitCallbacks& callbacks);

}  // namespace spanprof::record
