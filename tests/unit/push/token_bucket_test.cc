// TokenBucket's arithmetic on an injected clock: no sleeping, no timing.
#include "push/token_bucket.h"

#include <gtest/gtest.h>

namespace spanprof::push {
namespace {

constexpr uint64_t kMiB = 1u << 20;
constexpr int64_t kSecond = 1'000'000'000;

TEST(TokenBucket, StartsFullSoABurstGoesOutAtOnce) {
  TokenBucket bucket(4 * kMiB, 2 * kMiB, 0);
  EXPECT_EQ(bucket.wait_ns(2 * kMiB, 0), 0);
  bucket.take(kMiB, 0);
  EXPECT_EQ(bucket.wait_ns(kMiB, 0), 0);
  bucket.take(kMiB, 0);
  EXPECT_DOUBLE_EQ(bucket.tokens(0), 0.0);
}

TEST(TokenBucket, WaitsForTheMissingBytesAtTheRate) {
  TokenBucket bucket(4 * kMiB, 2 * kMiB, 0);
  bucket.take(2 * kMiB, 0);
  // 1 MiB at 4 MiB/s: a quarter of a second.
  EXPECT_EQ(bucket.wait_ns(kMiB, 0), kSecond / 4);
  // Half of that time later, half as long to go.
  EXPECT_EQ(bucket.wait_ns(kMiB, kSecond / 8), kSecond / 8);
  EXPECT_EQ(bucket.wait_ns(kMiB, kSecond / 4), 0);
  bucket.take(kMiB, kSecond / 4);
  EXPECT_DOUBLE_EQ(bucket.tokens(kSecond / 4), 0.0);
}

TEST(TokenBucket, RefillStopsAtTheBurst) {
  TokenBucket bucket(4 * kMiB, 2 * kMiB, 0);
  bucket.take(2 * kMiB, 0);
  EXPECT_DOUBLE_EQ(bucket.tokens(100 * kSecond), static_cast<double>(2 * kMiB));
  EXPECT_EQ(bucket.wait_ns(2 * kMiB, 100 * kSecond), 0);
}

TEST(TokenBucket, MoreThanTheBurstNeverFits) {
  TokenBucket bucket(4 * kMiB, 2 * kMiB, 0);
  EXPECT_FALSE(bucket.wait_ns(2 * kMiB + 1, 0).has_value());
  EXPECT_FALSE(bucket.wait_ns(2 * kMiB + 1, 1000 * kSecond).has_value());
}

TEST(TokenBucket, DrainMakesTheNextRequestWaitForAllItsBytes) {
  TokenBucket bucket(kMiB, 2 * kMiB, 0);
  bucket.drain(5 * kSecond);
  EXPECT_EQ(bucket.wait_ns(kMiB, 5 * kSecond), kSecond);
  EXPECT_EQ(bucket.wait_ns(512 * 1024, 5 * kSecond), kSecond / 2);
}

TEST(TokenBucket, AClockGoingBackAddsNothing) {
  TokenBucket bucket(kMiB, kMiB, 10 * kSecond);
  bucket.take(kMiB, 10 * kSecond);
  EXPECT_DOUBLE_EQ(bucket.tokens(5 * kSecond), 0.0);
  EXPECT_EQ(bucket.wait_ns(kMiB, 5 * kSecond), kSecond);
}

TEST(TokenBucket, ZeroRateMeansNoPacing) {
  TokenBucket bucket(0, 0, 0);
  EXPECT_FALSE(bucket.pacing());
  bucket.take(100 * kMiB, 0);
  bucket.drain(0);
  EXPECT_EQ(bucket.wait_ns(100 * kMiB, 0), 0);
}

TEST(TokenBucket, WaitsRoundUpToWholeNanoseconds) {
  TokenBucket bucket(3, 3, 0);  // 3 bytes/s: one byte every 333,333,333.3 ns
  bucket.take(3, 0);
  EXPECT_EQ(bucket.wait_ns(1, 0), 333'333'334);
}

}  // namespace
}  // namespace spanprof::push
