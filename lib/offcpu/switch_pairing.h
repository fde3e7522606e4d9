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
// off-CPU time. Every stack handle passed to on_sched_switch comes back
// exactly once: in the `stack` of one interval, or through Release when its
// sample met no switch-out (docs/off-cpu.md, "Pairing rules").
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

// A sched_switch sample is paired with its thread's next switch-out when that
// comes at most this much later. The tracepoint fires in __schedule just
// before perf writes the switch-out record (measured on this 2-vCPU VM over
// 53,151 switches, machine busy: min 0.8 us, median 1.2 us, p99 6.3 us, max
// 100 us, never equal), but a vCPU the host takes away in between (steal
// time) stretches it: 1.006 ms was seen on a loaded VM. No other switch-out of
// the thread can come between (a switch-in first releases the sample), so the
// window is wide; it only bounds how long a sample whose switch-out record
// was lost waits.
inline constexpr uint64_t kSampleToSwitchOutNs = 20'000'000;

// The kernel's TASK_REPORT encoding (since Linux 4.14; sched_switch's print
// fmt): prev_state & 0xff is one state bit, S 0x1, D 0x2, T 0x4, t 0x8,
// X 0x10, Z 0x20, P 0x40, I 0x80, or 0 for R; 0x100 (TASK_REPORT_MAX) = "+",
// preempted while runnable.
ThreadState state_from_prev_state(uint64_t prev_state);

struct OffCpuInterval {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t start = 0;  // switch-out, perf sample clock
  uint64_t end = 0;    // switch-in (or as Cut says); never before start
  ThreadState state = ThreadState::kUnknown;
  uint32_t stack = kNoStack;  // the handle of the switch-out's sched_switch sample
  Cut cut = Cut::kNone;
};

// Once finish() ran: switch_outs = intervals + cut_capture_end + cut_thread_exit
// + cut_lost; switch_ins = intervals + cut_lost_by_switch_in + ins_without_out
// + ins_after_in + thread_starts; samples = samples_paired + samples_unpaired.
struct PairingStats {
  uint64_t switch_outs = 0;
  uint64_t switch_ins = 0;
  uint64_t samples = 0;               // on_sched_switch calls
  uint64_t samples_paired = 0;        // given to an interval (of any cut) as its stack and state
  uint64_t intervals = 0;             // complete (Cut::kNone)
  uint64_t intervals_without_stack = 0;  // complete, but no sched_switch sample at the switch-out
  uint64_t samples_unpaired = 0;      // sched_switch samples with no switch-out to go with
  uint64_t ins_without_out = 0;       // a thread's first record is a switch-in: off-CPU since before the capture (or a thread whose fork was not seen)
  uint64_t thread_starts = 0;         // a new thread's first switch-in (after on_fork): it was never off-CPU
  uint64_t ins_after_in = 0;          // a second switch-in with no switch-out between: the switch-out was lost
  uint64_t cut_capture_end = 0;
  uint64_t cut_thread_exit = 0;
  uint64_t cut_lost = 0;
  uint64_t cut_lost_by_switch_in = 0; // of cut_lost, those a switch-in ended (the rest: a second switch-out, exit or capture end)
  uint64_t cut_lost_ns = 0;           // time those cut intervals covered
  uint64_t lost_notices = 0;          // on_lost calls
  uint64_t out_of_order = 0;          // a record earlier than the switch-out it follows (input not in time order): cut kLost
};

class SwitchPairing {
 public:
  using Sink = std::function<void(const OffCpuInterval&)>;
  // Receives the stack handle of a sched_switch sample no switch-out took.
  using Release = std::function<void(uint32_t stack)>;
  explicit SwitchPairing(Sink sink, Release release = {});

  void on_switch_out(uint32_t pid, uint32_t tid, uint64_t time, bool preempt);
  void on_switch_in(uint32_t pid, uint32_t tid, uint64_t time);
  // The sched_switch sample of (pid, tid) leaving a CPU: it comes just before
  // that switch-out record (the tracepoint fires first in __schedule), or
  // just after it when both have the same time.
  void on_sched_switch(uint32_t pid, uint32_t tid, uint64_t time, uint64_t prev_state,
                       uint32_t stack);
  void on_exit(uint32_t pid, uint32_t tid, uint64_t time);
  // PERF_RECORD_FORK of a new thread (pid, tid): its first switch-in starts
  // it (thread_starts) rather than ending an off-CPU stretch the capture
  // missed (ins_without_out). A tid seen before is a new thread from here.
  void on_fork(uint32_t pid, uint32_t tid, uint64_t time);
  // A PERF_RECORD_LOST (or LOST_SAMPLES) at `time` on `cpu`: open intervals that
  // may have lost their switch-in are cut.
  void on_lost(uint64_t time, uint32_t cpu);
  // After the last record: open intervals end here (Cut::kCaptureEnd).
  // Pending samples are released. The pairing may be fed again afterwards.
  void finish(uint64_t capture_end);

  const PairingStats& stats() const { return stats_; }
  // Intervals opened and not handed out yet, samples waiting for a switch-out.
  uint64_t open_intervals() const { return open_; }
  uint64_t pending_samples() const { return pending_; }

 private:
  struct Sample {
    uint64_t time = 0;
    uint64_t prev_state = 0;
    uint32_t stack = kNoStack;
  };
  struct Thread {
    uint32_t pid = 0;
    bool open = false;      // switched out: `interval` waits for its switch-in
    bool lost = false;      // records were lost while `interval` was open
    bool has_sample = false;  // interval took a sched_switch sample
    bool pending = false;   // `sample` waits for its switch-out
    bool exited = false;    // an exit record came: the next switch-out is the last
    bool switched = false;  // a switch record of this thread came (so a switch-in is not its first)
    bool forked = false;    // its fork record came: its first switch-in starts it
    OffCpuInterval interval;
    Sample sample;
  };

  // Hands out the open interval of `thread`, ending at `end`.
  void close(Thread& thread, uint64_t end, Cut cut);
  void release_pending(Thread& thread);

  Sink sink_;
  Release release_;
  std::unordered_map<uint32_t, Thread> threads_;  // by tid: unique system-wide while alive
  uint64_t open_ = 0;
  uint64_t pending_ = 0;
  PairingStats stats_;
};

}  // namespace spanprof::offcpu
