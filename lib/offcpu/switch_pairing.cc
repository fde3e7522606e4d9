#include "offcpu/switch_pairing.h"

#include <algorithm>
#include <vector>

namespace spanprof::offcpu {

ThreadState state_from_prev_state(uint64_t prev_state) {
  // TASK_REPORT: the low byte holds one state bit, 0 for R (with or without
  // the 0x100 preempted bit). Kernels before 4.14 put "+" at 0x800 and other
  // flags above 0x80: their low byte still reads 0, 1 and 2 the same way.
  switch (prev_state & 0xff) {
    case 0: return ThreadState::kRunnable;
    case 1: return ThreadState::kSleeping;
    case 2: return ThreadState::kBlocked;
    default: return ThreadState::kUnknown;  // T, t, X, Z, P, I, or several bits
  }
}

SwitchPairing::SwitchPairing(Sink sink, Release release)
    : sink_(std::move(sink)), release_(std::move(release)) {}

void SwitchPairing::release_pending(Thread& thread) {
  thread.pending = false;
  --pending_;
  ++stats_.samples_unpaired;
  if (release_) release_(thread.sample.stack);
}

void SwitchPairing::close(Thread& thread, uint64_t end, Cut cut) {
  OffCpuInterval interval = thread.interval;
  // Once records went missing, what ended the interval may not be its end.
  interval.cut = thread.lost ? Cut::kLost : cut;
  interval.end = std::max(end, interval.start);
  switch (interval.cut) {
    case Cut::kNone:
      ++stats_.intervals;
      if (!thread.has_sample) ++stats_.intervals_without_stack;
      break;
    case Cut::kCaptureEnd: ++stats_.cut_capture_end; break;
    case Cut::kThreadExit: ++stats_.cut_thread_exit; break;
    case Cut::kLost:
      ++stats_.cut_lost;
      stats_.cut_lost_ns += interval.end - interval.start;
      break;
  }
  thread.open = false;
  thread.lost = false;
  thread.has_sample = false;
  --open_;
  sink_(interval);
}

void SwitchPairing::on_sched_switch(uint32_t pid, uint32_t tid, uint64_t time,
                                    uint64_t prev_state, uint32_t stack) {
  ++stats_.samples;
  Thread& thread = threads_[tid];
  // The ordered queue keeps records of equal time in no set order: the
  // switch-out of this very switch may already be here.
  if (thread.open && !thread.has_sample && time == thread.interval.start) {
    thread.interval.stack = stack;
    thread.interval.state = state_from_prev_state(prev_state);
    thread.has_sample = true;
    ++stats_.samples_paired;
    return;
  }
  // A thread leaves a CPU once per switch: an older sample still waiting
  // lost its switch-out.
  if (thread.pending) release_pending(thread);
  thread.pid = pid;
  thread.sample = {time, prev_state, stack};
  thread.pending = true;
  ++pending_;
}

void SwitchPairing::on_switch_out(uint32_t pid, uint32_t tid, uint64_t time, bool preempt) {
  ++stats_.switch_outs;
  Thread& thread = threads_[tid];
  thread.switched = true;
  if (thread.open) {
    // Out twice with no in between: the switch-in was lost, and the thread ran
    // for some unknown part of the time since the first switch-out.
    if (time < thread.interval.start) ++stats_.out_of_order;
    thread.lost = true;
    close(thread, time, Cut::kLost);
  }
  thread.pid = pid;
  thread.interval = {pid, tid, time, time,
                     preempt ? ThreadState::kRunnable : ThreadState::kUnknown, kNoStack, Cut::kNone};
  thread.open = true;
  ++open_;
  if (thread.pending) {
    if (time >= thread.sample.time && time - thread.sample.time <= kSampleToSwitchOutNs) {
      thread.interval.stack = thread.sample.stack;
      thread.interval.state = state_from_prev_state(thread.sample.prev_state);
      thread.has_sample = true;
      thread.pending = false;
      --pending_;
      ++stats_.samples_paired;
    } else {
      release_pending(thread);
    }
  }
  if (thread.exited) {
    // do_exit writes the exit record before the thread's last switch
    // (do_task_dead): nothing will switch it in again.
    close(thread, time, Cut::kThreadExit);
    threads_.erase(tid);
  }
}

void SwitchPairing::on_switch_in(uint32_t pid, uint32_t tid, uint64_t time) {
  ++stats_.switch_ins;
  Thread& thread = threads_[tid];
  if (thread.exited && !thread.open) {
    // An exited thread does not come back: a new thread took its tid.
    if (thread.pending) release_pending(thread);
    thread = Thread{};
  }
  // The thread ran again: a sample still waiting will meet no switch-out.
  if (thread.pending) release_pending(thread);
  if (thread.open) {
    if (time < thread.interval.start) {
      ++stats_.out_of_order;
      thread.lost = true;
    }
    if (thread.lost) ++stats_.cut_lost_by_switch_in;
    close(thread, time, Cut::kNone);
  } else if (!thread.switched) {
    ++(thread.forked ? stats_.thread_starts : stats_.ins_without_out);
  } else {
    ++stats_.ins_after_in;
  }
  thread.switched = true;
  thread.pid = pid;
}

void SwitchPairing::on_exit(uint32_t pid, uint32_t tid, uint64_t time) {
  Thread& thread = threads_[tid];
  thread.pid = pid;
  if (thread.open) {
    // The thread wrote its exit record, so it ran after this switch-out; its
    // switch-in is not in the capture.
    if (time < thread.interval.start) ++stats_.out_of_order;
    close(thread, time, Cut::kThreadExit);
  }
  // The sample of the last switch comes after the exit record: one already
  // here belongs to an earlier switch-out that was lost.
  if (thread.pending) release_pending(thread);
  thread.exited = true;
}

void SwitchPairing::on_fork(uint32_t pid, uint32_t tid, uint64_t time) {
  Thread& thread = threads_[tid];
  // Live threads never share a tid: one still switched out here died unseen
  // (its exit record lost) before this fork took its tid.
  if (thread.pending) release_pending(thread);
  if (thread.open) close(thread, time, Cut::kThreadExit);
  thread = Thread{};
  thread.pid = pid;
  thread.forked = true;
}

void SwitchPairing::on_lost(uint64_t time, uint32_t cpu) {
  // PERF_RECORD_LOST is written after the gap, in the buffer of the CPU that
  // lost records. A thread switched out on any CPU may have been switched in
  // (and out again) on this one in the gap: its next switch-in could be a
  // later switch's. So every interval open now is cut, whatever its CPU.
  (void)time;
  (void)cpu;
  ++stats_.lost_notices;
  for (auto& [tid, thread] : threads_) {
    if (thread.open) thread.lost = true;
  }
}

void SwitchPairing::finish(uint64_t capture_end) {
  // In a set order (samples by tid, intervals by start, then tid), so the
  // output does not hang on the hash map.
  std::vector<uint32_t> tids;
  tids.reserve(threads_.size());
  for (const auto& [tid, thread] : threads_) tids.push_back(tid);
  std::sort(tids.begin(), tids.end());
  for (uint32_t tid : tids) {
    if (Thread& thread = threads_.at(tid); thread.pending) release_pending(thread);
  }
  std::erase_if(tids, [&](uint32_t tid) { return !threads_.at(tid).open; });
  std::stable_sort(tids.begin(), tids.end(), [&](uint32_t a, uint32_t b) {
    return threads_.at(a).interval.start < threads_.at(b).interval.start;
  });
  for (uint32_t tid : tids) close(threads_.at(tid), capture_end, Cut::kCaptureEnd);
  threads_.clear();
}

}  // namespace spanprof::offcpu
