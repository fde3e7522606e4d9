#include "record/workload_wait.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "record/perf_launcher.h"

namespace spanprof::record {

namespace {

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", sig);
}

}  // namespace

BlockedSignals::BlockedSignals() {
  sigemptyset(&blocked_);
  for (int sig : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&blocked_, sig);
  pthread_sigmask(SIG_BLOCK, &blocked_, &previous_);
}

BlockedSignals::~BlockedSignals() {
  timespec zero{};
  while (sigtimedwait(&blocked_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

WaitResult wait_forwarding_signals(pid_t perf_pid, const BlockedSignals& signals,
                                   const WaitCallbacks& callbacks) {
  pid_t app_pid = 0;
  WaitResult result;
  auto notice = [&](const std::string& text) {
    if (callbacks.on_notice) callbacks.on_notice(text);
  };
  auto discover_app = [&] {
    if (app_pid != 0) return;
    app_pid = find_workload_pid(perf_pid);
    if (app_pid != 0 && callbacks.on_app_pid) callbacks.on_app_pid(app_pid);
  };
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(perf_pid, &status, WNOHANG);
    if (done == perf_pid) {
      result.status = ExitStatus::from_wait_status(status);
      return result;
    }
    if (done < 0 && errno != EINTR) {
      notice(fmt::format("cannot wait for perf (pid {}): {}", perf_pid, std::strerror(errno)));
      result.status = ExitStatus{.code = 255, .signal = 0};
      return result;
    }
    discover_app();
    if (app_pid != 0 && callbacks.on_tick) callbacks.on_tick(app_pid);

    // SIGCHLD wakes us when perf ends; the timeout catches the command's exec.
    timespec timeout{.tv_sec = 0, .tv_nsec = app_pid ? 200'000'000 : 20'000'000};
    siginfo_t info{};
    int sig = sigtimedwait(&signals.set(), &info, &timeout);
    if (sig != SIGINT && sig != SIGTERM) continue;
    if (info.si_code == SI_KERNEL) {
      result.terminal_signal = sig;
      notice(fmt::format("{} from the terminal reached the command and perf; waiting for perf to "
                         "finish perf.data",
                         signal_name(sig)));
      continue;
    }
    discover_app();
    if (app_pid == 0) {
      // The command has not started yet: perf stops it and exits.
      ::kill(perf_pid, sig);
      notice(fmt::format("{}: the command had not started; stopping perf", signal_name(sig)));
      continue;
    }
    if (find_child_pid(perf_pid) != app_pid) {
      notice(fmt::format("{}: the command has ended; perf is finishing perf.data",
                         signal_name(sig)));
      continue;
    }
    ::kill(app_pid, sig);
    notice(fmt::format("{} forwarded to the command (pid {}); waiting for it to exit",
                       signal_name(sig), app_pid));
  }
}

}  // namespace spanprof::record
