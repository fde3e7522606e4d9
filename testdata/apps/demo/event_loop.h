// --event-loop: one thread serves several requests at once, interleaving their steps,
// as an event loop resumes one handler after another. Every request's spans are open
// at the same time on the one thread, so only activation records (spanprof/activation.h)
// can tell which request a sample belongs to.
#pragma once

#include <chrono>
#include <cstdint>

namespace demo {

class SpanWriter;

struct EventLoopOptions {
  int in_flight = 8;  // requests served at once
  int steps = 8;      // slices of a request's work, one per turn
  uint64_t max_requests = 0;  // 0: until the deadline
};

struct EventLoopTally {
  uint64_t requests = 0;
  uint64_t result = 0;
};

// Serves requests round-robin until the deadline (or max_requests have finished). Each
// request is a root span "GET /<kind>" (a routing step) and a child span named after
// its kind (the work steps); the request's span is activated around each of its steps.
EventLoopTally run_event_loop(std::chrono::steady_clock::time_point deadline, uint64_t seed,
                              const EventLoopOptions& options, SpanWriter* spans);

}  // namespace demo
