// One client connection: HTTP/1.1 requests read, handled and answered in turn.
//
// Takes: an accepted socket. Gives: every request on it passed to the
// RequestHandler and answered, keep-alive honoured, until the client closes,
// falls silent for read_timeout_ms, sends something unparseable, or the
// receiver stops. Blocking I/O bounded by poll() deadlines: a slow client only
// holds its own thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "receiver/receiver_counters.h"
#include "receiver/request_handler.h"

namespace spanprof::receiver {

struct ConnectionEnv {
  int read_timeout_ms = 10'000;
  // Becomes readable when stop() begins, waking every poll().
  int wake_fd = -1;
  // steady_clock milliseconds by which requests in flight must finish; 0 until stop().
  const std::atomic<int64_t>* stop_deadline_ms = nullptr;
  const RequestHandler* handler = nullptr;
  ReceiverCounters* counters = nullptr;
};

// Header sections longer than this get 431.
inline constexpr size_t kMaxHeadBytes = 64 * 1024;

// Serves the connection until it ends; closes fd.
void serve_connection(int fd, const ConnectionEnv& env);

// steady_clock now, in the unit of ConnectionEnv::stop_deadline_ms.
int64_t steady_now_ms();

}  // namespace spanprof::receiver
