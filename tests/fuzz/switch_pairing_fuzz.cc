// offcpu::SwitchPairing fed an arbitrary sequence of switch-out, switch-in,
// sched_switch sample, fork, exit, lost and finish calls (3 bytes each: op and
// thread, then a time step), checking what it promises: every stack handle
// comes back exactly once, intervals never end before they start, and the
// counters add up (switch_pairing.h, PairingStats).
//
// Byte 0 bit 0 set: times only go forward (the reader's order), and then no
// record may be counted out of order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <unordered_set>

#include "fuzz_input.h"
#include "offcpu/switch_pairing.h"

namespace {

using spanprof::offcpu::Cut;
using spanprof::offcpu::kNoStack;
using spanprof::offcpu::OffCpuInterval;
using spanprof::offcpu::PairingStats;
using spanprof::offcpu::SwitchPairing;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "switch_pairing: %s\n", what);
    std::abort();
  }
}

struct Seen {
  std::unordered_set<uint32_t> outstanding;  // handles given and not back yet
  uint64_t intervals_by_cut[4] = {};
  uint64_t with_stack = 0;
  uint64_t complete_with_stack = 0;
  uint64_t lost_ns = 0;

  void back(uint32_t stack) {
    check(outstanding.erase(stack) == 1, "a stack handle came back twice, or was never given");
  }
};

void check_counters(const SwitchPairing& pairing, const Seen& seen) {
  const PairingStats& s = pairing.stats();
  uint64_t handed_out = seen.intervals_by_cut[0] + seen.intervals_by_cut[1] +
                        seen.intervals_by_cut[2] + seen.intervals_by_cut[3];
  check(s.switch_outs == handed_out + pairing.open_intervals(), "switch-outs != intervals + open");
  check(s.intervals == seen.intervals_by_cut[static_cast<int>(Cut::kNone)], "intervals miscounted");
  check(s.cut_capture_end == seen.intervals_by_cut[static_cast<int>(Cut::kCaptureEnd)],
        "cut_capture_end miscounted");
  check(s.cut_thread_exit == seen.intervals_by_cut[static_cast<int>(Cut::kThreadExit)],
        "cut_thread_exit miscounted");
  check(s.cut_lost == seen.intervals_by_cut[static_cast<int>(Cut::kLost)], "cut_lost miscounted");
  check(s.cut_lost_ns == seen.lost_ns, "cut_lost_ns miscounted");
  check(s.cut_lost_by_switch_in <= s.cut_lost, "cut_lost_by_switch_in > cut_lost");
  check(s.switch_ins ==
            s.intervals + s.cut_lost_by_switch_in + s.ins_without_out + s.ins_after_in +
                s.thread_starts,
        "switch-ins do not add up");
  check(s.samples == s.samples_paired + s.samples_unpaired + pairing.pending_samples(),
        "samples do not add up");
  // Paired stacks of intervals still open are the only ones not back yet,
  // with the samples still waiting.
  check(s.samples_paired >= seen.with_stack, "more stacks handed out than paired");
  check(seen.outstanding.size() == s.samples - seen.with_stack - s.samples_unpaired,
        "handles out do not match the counters");
  if (pairing.open_intervals() == 0) {
    check(s.samples_paired == seen.with_stack, "paired samples != intervals with a stack");
  }
  check(s.intervals_without_stack == s.intervals - seen.complete_with_stack,
        "intervals_without_stack miscounted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool forward_only = (data[0] & 1) != 0;
  Seen seen;
  uint32_t next_stack = 0;
  SwitchPairing pairing(
      [&](const OffCpuInterval& interval) {
        check(interval.end >= interval.start, "an interval ends before it starts");
        check(static_cast<int>(interval.cut) < 4, "cut out of range");
        ++seen.intervals_by_cut[static_cast<int>(interval.cut)];
        if (interval.cut == Cut::kLost) seen.lost_ns += interval.end - interval.start;
        if (interval.stack != kNoStack) {
          ++seen.with_stack;
          if (interval.cut == Cut::kNone) ++seen.complete_with_stack;
          seen.back(interval.stack);
        }
      },
      [&](uint32_t stack) { seen.back(stack); });

  uint64_t time = 1'000'000;
  for (size_t i = 1; i + 3 <= size; i += 3) {
    uint8_t op = data[i] & 7;
    uint32_t tid = 1 + ((data[i] >> 3) & 7);
    uint32_t pid = (data[i] & 0x80) ? 100 : tid;
    uint16_t step = static_cast<uint16_t>(data[i + 1] | (data[i + 2] << 8));
    // Steps up to 2 ms cross the pairing's 1 ms tolerance; the top bit, when
    // allowed, steps back.
    if (!forward_only && (step & 0x8000)) {
      uint64_t back = (step & 0x7fff) * 100ull;
      time = back > time ? 0 : time - back;
    } else {
      time += (step & 0x7fff) * 64ull;
    }
    switch (op) {
      case 0: pairing.on_switch_out(pid, tid, time, (step & 1) != 0); break;
      case 1: pairing.on_switch_in(pid, tid, time); break;
      case 2: {
        uint32_t stack = next_stack++;
        seen.outstanding.insert(stack);
        pairing.on_sched_switch(pid, tid, time, step & 0x1ff, stack);
        break;
      }
      case 3: pairing.on_fork(pid, tid, time); break;
      case 4: pairing.on_exit(pid, tid, time); break;
      case 5: pairing.on_lost(time, tid); break;
      case 6: pairing.finish(time); break;
      default: break;  // 7: nothing, a gap in time
    }
    check_counters(pairing, seen);
  }
  pairing.finish(time);
  check_counters(pairing, seen);
  check(seen.outstanding.empty(), "a stack handle never came back");
  check(pairing.open_intervals() == 0 && pairing.pending_samples() == 0, "finish left state");
  if (forward_only) check(pairing.stats().out_of_order == 0, "out of order in a forward-only run");
  return 0;
}
