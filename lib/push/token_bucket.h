// Pacing our own requests to a Pyroscope tenant's ingestion rate limit.
//
// Pyroscope's distributor (pkg/distributor/distributor.go, rateLimit) charges
// each profile's uncompressed size to a per-tenant token bucket (defaults in
// pkg/validation/limits.go: 4 MiB/s, burst 2 MiB) and answers 429 when it is
// short. Delivery keeps a bucket of the same shape on the client, so our pushes
// wait instead of tripping the server's.
//
// Takes: a rate (bytes/s), a burst (bytes) and the caller's clock readings (ns,
// any monotonic origin: tests pass their own). Gives: how long to wait before a
// request of N bytes fits, and the bookkeeping of taking or losing tokens. The
// bucket starts full, as the server's does for a tenant it has not seen.
#pragma once

#include <cstdint>
#include <optional>

namespace spanprof::push {

class TokenBucket {
 public:
  // rate_bytes_per_s 0 = no pacing: every request fits at once.
  TokenBucket(uint64_t rate_bytes_per_s, uint64_t burst_bytes, int64_t now_ns);

  bool pacing() const { return rate_ > 0; }

  // Tokens (bytes) in the bucket at now_ns (at most the burst).
  double tokens(int64_t now_ns);

  // Nanoseconds from now_ns until the bucket holds `bytes` (0 = now), or nullopt
  // when it never can: `bytes` is over the burst.
  std::optional<int64_t> wait_ns(uint64_t bytes, int64_t now_ns);

  // A request of `bytes` goes out at now_ns. The caller waited wait_ns() first;
  // taking more than the bucket holds leaves it at zero.
  void take(uint64_t bytes, int64_t now_ns);

  // The server said 429: the tenant's budget is being used by someone else, so
  // assume the server's bucket is empty and let ours refill from zero.
  void drain(int64_t now_ns);

 private:
  void refill(int64_t now_ns);

  uint64_t rate_;
  uint64_t burst_;
  double tokens_;
  int64_t last_ns_;
};

}  // namespace spanprof::push
