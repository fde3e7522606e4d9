// When to try a request again, and how long to wait first.
//
// Takes: the outcome of one HTTP attempt (a transport failure, or a status
// code and its Retry-After header). Gives: retry or not, and the delay.
// Backoff is exponential with full jitter (delay drawn uniformly from
// [0, min(max_delay, initial * 2^attempt)]), so many clients that failed
// together do not come back together. A server's Retry-After wins over the
// backoff, capped at max_delay; attempts and total time are bounded.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace spanprof::push {

struct RetryOptions {
  int max_attempts = 6;              // per request, the first one included
  int64_t initial_delay_ms = 500;    // backoff cap of the first retry
  int64_t max_delay_ms = 30'000;     // cap of any one wait, Retry-After included
  int64_t max_total_ms = 120'000;    // no retry starts after this long on one request
};

// What one attempt gave, as far as retrying is concerned.
struct AttemptOutcome {
  bool transport_error = false;  // connection refused/reset, DNS, timeout, TLS
  bool permanent = false;        // a transport error no retry can fix (TLS verification)
  long status = 0;               // HTTP status when there was a response
  std::string_view retry_after;  // the Retry-After header's value, "" if absent
};

// 2xx: delivered. 408, 429 and 5xx: the server may take it later. Other 4xx
// (and 1xx/3xx, which a POST here should never get): the request itself is
// refused and sending it again would not help.
bool is_success(long status);
bool is_retriable(const AttemptOutcome& outcome);

// Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3).
// Returns the wait in ms (never negative), or nullopt when unparseable.
std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options, uint64_t seed = std::random_device{}());

  const RetryOptions& options() const { return options_; }

  // After attempt number `attempt` (1 = the first) failed with `outcome`,
  // `elapsed_ms` after the request's first attempt started: the wait before the
  // next attempt, or nullopt to give up (not retriable, attempts or time used up).
  std::optional<int64_t> next_delay_ms(int attempt, const AttemptOutcome& outcome,
                                       int64_t elapsed_ms, int64_t now_unix_ms);

 private:
  RetryOptions options_;
  std::mt19937_64 random_;
};

}  // namespace spanprof::push
