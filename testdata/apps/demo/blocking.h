// --blocking: spans that wait, each for a known time, in one clearly named
// function per way of waiting, for the off-CPU profile (`spanprof run --off-cpu`)
// to find on the stack at the switch-out:
//
//   span "sleep"  wait_sleeping:   clock_nanosleep for span_ms
//   span "mutex"  wait_for_mutex:  locks a mutex the thread's helper holds while it
//                                  sleeps span_ms
//   span "pipe"   wait_for_pipe:   read() on a pipe the helper writes after span_ms
//   span "cpu"    burn_cpu:        spins span_ms on the CPU (no blocking at all)
//
// Each span carries the CPU time its thread spent in it (demo.thread_cpu_ns): on a
// loaded machine even the CPU span waits for a CPU, and a test needs the truth.
// Each worker thread ("blocker-K") has a helper thread ("helper-K") without spans.
// Worker K starts at kind K, so the workers burn the CPU at different times.
#pragma once

#include <cstdint>

namespace demo {

class SpanWriter;

struct BlockingOptions {
  int threads = 2;      // workers, each with a helper
  int rounds = 3;       // each worker does each kind this many times
  int64_t span_ms = 40;
};

struct BlockingTally {
  uint64_t spans = 0;
  uint64_t result = 0;  // from the CPU spans, so the spinning cannot be elided
};

BlockingTally run_blocking(const BlockingOptions& options, SpanWriter* spans);

}  // namespace demo
