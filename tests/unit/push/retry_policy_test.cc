#include "push/retry_policy.h"

#include <gtest/gtest.h>

namespace spanprof::push {
namespace {

AttemptOutcome status(long code, std::string_view retry_after = {}) {
  AttemptOutcome outcome;
  outcome.status = code;
  outcome.retry_after = retry_after;
  return outcome;
}

TEST(RetryPolicy, RetriesTransportErrors408429And5xxOnly) {
  AttemptOutcome transport;
  transport.transport_error = true;
  EXPECT_TRUE(is_retriable(transport));
  transport.permanent = true;  // TLS verification: retrying cannot help
  EXPECT_FALSE(is_retriable(transport));
  for (long code : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) {
    EXPECT_TRUE(is_retriable(status(code))) << code;
  }
  for (long code : {400L, 401L, 403L, 404L, 413L, 422L, 301L}) {
    EXPECT_FALSE(is_retriable(status(code))) << code;
  }
  EXPECT_TRUE(is_success(200));
  EXPECT_TRUE(is_success(204));
  EXPECT_FALSE(is_success(300));
}

TEST(RetryPolicy, BackoffIsFullJitterUnderADoublingCap) {
  RetryOptions options;
  options.initial_delay_ms = 100;
  options.max_delay_ms = 1000;
  options.max_attempts = 100;
  options.max_total_ms = 1'000'000;
  RetryPolicy policy(options, 42);
  for (int attempt = 1; attempt <= 8; ++attempt) {
    int64_t cap = std::min<int64_t>(1000, int64_t{100} << (attempt - 1));
    int64_t lowest = cap;
    int64_t highest = 0;
    for (int i = 0; i < 200; ++i) {
      auto delay = policy.next_delay_ms(attempt, status(503), 0, 0);
      ASSERT_TRUE(delay.has_value());
      lowest = std::min(lowest, *delay);
      highest = std::max(highest, *delay);
    }
    EXPECT_LE(highest, cap) << attempt;
    EXPECT_GE(lowest, 0);
    // Jitter spreads the delays over the range instead of a fixed step.
    EXPECT_LT(lowest, cap / 4) << attempt;
    EXPECT_GT(highest, cap * 3 / 4) << attempt;
  }
}

TEST(RetryPolicy, StopsAtMaxAttemptsMaxTotalAndOnRefusal) {
  RetryOptions options;
  options.max_attempts = 3;
  options.initial_delay_ms = 10;
  options.max_total_ms = 1000;
  RetryPolicy policy(options, 1);
  EXPECT_TRUE(policy.next_delay_ms(1, status(500), 0, 0).has_value());
  EXPECT_TRUE(policy.next_delay_ms(2, status(500), 0, 0).has_value());
  EXPECT_FALSE(policy.next_delay_ms(3, status(500), 0, 0).has_value());
  EXPECT_FALSE(policy.next_delay_ms(1, status(500, "1"), 995, 0).has_value());
  EXPECT_FALSE(policy.next_delay_ms(1, status(400), 0, 0).has_value());
}

TEST(RetryPolicy, RetryAfterSecondsWinsAndIsCapped) {
  RetryOptions options;
  options.max_delay_ms = 5000;
  options.max_total_ms = 1'000'000;
  RetryPolicy policy(options, 7);
  EXPECT_EQ(policy.next_delay_ms(1, status(429, "2"), 0, 0), 2000);
  EXPECT_EQ(policy.next_delay_ms(1, status(503, " 0 "), 0, 0), 0);
  EXPECT_EQ(policy.next_delay_ms(1, status(429, "3600"), 0, 0), 5000);
  EXPECT_EQ(policy.next_delay_ms(1, status(429, "99999999999999999999999"), 0, 0), 5000);
}

TEST(RetryPolicy, RetryAfterHttpDate) {
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s.
  int64_t now_ms = 784111777LL * 1000 - 3000;
  EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now_ms), 3000);
  EXPECT_EQ(parse_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now_ms + 10'000), 0);
  EXPECT_EQ(parse_retry_after_ms("tomorrow", 0), std::nullopt);
  EXPECT_EQ(parse_retry_after_ms("", 0), std::nullopt);
  EXPECT_EQ(parse_retry_after_ms("-5", 0), std::nullopt);
  // An unparseable Retry-After falls back to the backoff.
  RetryOptions options;
  options.initial_delay_ms = 100;
  RetryPolicy policy(options, 3);
  auto delay = policy.next_delay_ms(1, status(429, "soon"), 0, 0);
  ASSERT_TRUE(delay.has_value());
  EXPECT_LE(*delay, 100);
}

}  // namespace
}  // namespace spanprof::push
