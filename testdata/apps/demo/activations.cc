// The demo's copy of the activation header's implementation (exactly one per program,
// see spanprof/activation.h), and --activation-bench, the header's cost per call.
#define SPANPROF_ACTIVATION_IMPLEMENTATION
#include <spanprof/activation.h>

#include "activations.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace demo {

void activation_bench(uint64_t calls) {
  // Two spans of one trace, alternating with no span: every call is a transition.
  uint8_t trace_id[16], span_a[8], span_b[8];
  for (uint8_t i = 0; i < 16; ++i) trace_id[i] = static_cast<uint8_t>(0xa0 + i);
  for (uint8_t i = 0; i < 8; ++i) {
    span_a[i] = static_cast<uint8_t>(0x10 + i);
    span_b[i] = static_cast<uint8_t>(0x20 + i);
  }
  auto elapsed_ns = [](std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                since)
        .count();
  };
  auto report = [calls](const char* what, long long ns) {
    std::printf("spanprof-demo: activation-bench: %s: %llu calls in %lld ns, %.1f ns per call\n",
                what, static_cast<unsigned long long>(calls), ns,
                static_cast<double>(ns) / static_cast<double>(calls));
  };
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < calls; i += 2) {
    spanprof_activate(trace_id, (i & 2) != 0 ? span_b : span_a);
    spanprof_deactivate();
  }
  spanprof_flush();
  report("switches", elapsed_ns(start));
  // The span that is already current: no change, so no clock read and no record.
  spanprof_activate(trace_id, span_a);
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < calls; ++i) spanprof_activate(trace_id, span_a);
  report("repeats", elapsed_ns(start));
  spanprof_deactivate();
  // The clock read of every switch, for scale: the header adds its record to it.
  timespec now{};
  start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < calls; ++i) clock_gettime(CLOCK_MONOTONIC, &now);
  report("clock_gettime", elapsed_ns(start));
}

}  // namespace demo
