// Off-CPU intervals from context-switch records (issue #13).
//
// Takes, in time order (the reader's order): each thread's PERF_RECORD_SWITCH
// out and in records, the sched:sched_switch samples taken at its
// switch-outs (their prev_state and a stack handle of the caller's choosing),
// thread exits, lost-record notices, and the end of the capture. Gives: one
// OffCpuInterval per switch-out, from switch-out to that thread's next
// switch-in, with the state prev_state gave (FACTS, "Scheduler events").
//
// Unknown is never invented: an interval whose end or whose stack the capture
// does not hold is still handed out, marked with why it cannot be used (Cut),
// so the caller counts it and frees its stack; only kNone intervals are
// off-CPU time.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

namespace spanprof::offcpu {

// From sched_switch's prev_state (& 0xff: 0 = R, 1 = S, 2 = D; 0x100 = R+,
// preempted) or, with no sample, from the switch-out's preempt bit.
enum class ThreadState : uint8_t {
  kSleeping,   // S: interruptible sleep (nanosleep, futex, poll, read on a pipe or socket)
  kBlocked,    // D: uninterruptible (disk I/O, some page faults): label "blocked_io"
  kRunnable,   // R or R+: preempted, waiting for a CPU
  kUnknown,    // any other state (idle, stopped, traced, dead) or no sample
};

// Why an interval is not off-CPU time spanprof can vouch for.
enum class Cut : uint8_t {
  kNone,        // complete: switch-out and switch-in of the same thread
  kCaptureEnd,  // no switch-in before the capture ended; end = capture end
  kThreadExit,  // the thread exited while switched out (its last switch-out)
  kLost,        // records were lost between switch-out and switch-in
};

inline constexpr uint32_t kNoStack = UINT32_MAX;

struct OffCpuInterval {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t start = 0;  // switch-out, perf sample clock
  uint64_t end = 0;    // switch-in (or as Cut says)
  ThreadState state = ThreadState::kUnknown;
  uint32_t stack = kNoStack;  // the handle of the switch-out's sched_switch sample
  Cut cut = Cut::kNone;
};

struct PairingStats {
  uint64_t switch_outs = 0;
  uint64_t switch_ins = 0;
  uint64_t intervals = 0;             // complete (Cut::kNone)
  uint64_t intervals_without_stack = 0;  // complete, but no sched_switch sample at the switch-out
  uint64_t samples_unpaired = 0;      // sched_switch samples with no switch-out to go with
  uint64_t ins_without_out = 0;       // a thread's first record is a switch-in: off-CPU since before the capture
  uint64_t cut_capture_end = 0;
  uint64_t cut_thread_exit = 0;
  uint64_t cut_lost = 0;
  uint64_t cut_lost_ns = 0;           // time those cut intervals covered
  uint64_t lost_notices = 0;          // on_lost calls
};

class SwitchPairing {
 public:
  using Sink = std::function<void(const OffCpuInterval&)>;
  explicit SwitchPairing(Sink sink);

  void on_switch_out(uint32_t pid, uint32_t tid, uint64_t time, bool preempt);
  void on_switch_in(uint32_t pid, uint32_t tid, uint64_t time);
  // The sched_switch sample of (pid, tid) leaving a CPU: it comes just before
  // that switch-out record (the tracepoint fires first in __schedule).
  void on_sched_switch(uint32_t pid, uint32_t tid, uint64_t time, uint64_t prev_state,
                       uint32_t stack);
  void on_exit(uint32_t pid, uint32_t tid, uint64_t time);
  // A PERF_RECORD_LOST (or LOST_SAMPLES) at `time` on `cpu`: open intervals that
  // may have lost their switch-in are cut.
  void on_lost(uint64_t time, uint32_t cpu);
  // After the last record: open intervals end here (Cut::kCaptureEnd).
  void finish(uint64_t capture_end);

  const PairingStats& stats() const { return stats_; }

 private:
  // implementation's choice
  Sink sink_;
  PairingStats stats_;
};

}  // namespace spanprof::offcpu
