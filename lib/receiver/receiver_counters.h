// ReceiverStats as atomics: connection threads count while stats() reads.
#pragma once

#include <atomic>
#include <cstdint>

#include "receiver/otlp_http_receiver.h"

namespace spanprof::receiver {

struct ReceiverCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> too_large{0};
  std::atomic<uint64_t> unsupported_type{0};
  std::atomic<uint64_t> not_found{0};
  std::atomic<uint64_t> aborted{0};
  std::atomic<uint64_t> spans{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> refused_connections{0};

  // The one place a response status becomes a counter.
  void count_response(int status) {
    switch (status) {
      case 200:
        ++accepted;
        break;
      case 400:
      case 431:
        ++bad_requests;
        break;
      case 404:
      case 405:
        ++not_found;
        break;
      case 413:
        ++too_large;
        break;
      case 415:
        ++unsupported_type;
        break;
      case 500:
        ++write_errors;
        break;
      default:
        break;
    }
  }

  ReceiverStats snapshot() const {
    ReceiverStats out;
    out.requests = requests.load();
    out.accepted = accepted.load();
    out.bad_requests = bad_requests.load();
    out.too_large = too_large.load();
    out.unsupported_type = unsupported_type.load();
    out.not_found = not_found.load();
    out.aborted = aborted.load();
    out.spans = spans.load();
    out.bytes_written = bytes_written.load();
    out.write_errors = write_errors.load();
    out.refused_connections = refused_connections.load();
    return out;
  }
};

}  // namespace spanprof::receiver
