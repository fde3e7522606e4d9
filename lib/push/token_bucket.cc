#include "push/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace spanprof::push {

namespace {
constexpr double kNsPerSecond = 1e9;
}  // namespace

TokenBucket::TokenBucket(uint64_t rate_bytes_per_s, uint64_t burst_bytes, int64_t now_ns)
    : rate_(rate_bytes_per_s),
      burst_(burst_bytes),
      tokens_(static_cast<double>(burst_bytes)),
      last_ns_(now_ns) {}

void TokenBucket::refill(int64_t now_ns) {
  // A clock reading earlier than the last one adds nothing (never negative).
  if (now_ns > last_ns_) {
    double added = static_cast<double>(now_ns - last_ns_) * static_cast<double>(rate_) / kNsPerSecond;
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + added);
    last_ns_ = now_ns;
  }
}

double TokenBucket::tokens(int64_t now_ns) {
  refill(now_ns);
  return tokens_;
}

std::optional<int64_t> TokenBucket::wait_ns(uint64_t bytes, int64_t now_ns) {
  if (rate_ == 0) return 0;
  if (bytes > burst_) return std::nullopt;
  refill(now_ns);
  double missing = static_cast<double>(bytes) - tokens_;
  if (missing <= 0) return 0;
  return static_cast<int64_t>(std::ceil(missing * kNsPerSecond / static_cast<double>(rate_)));
}

void TokenBucket::take(uint64_t bytes, int64_t now_ns) {
  if (rate_ == 0) return;
  refill(now_ns);
  tokens_ = std::max(0.0, tokens_ - static_cast<double>(bytes));
}

void TokenBucket::drain(int64_t now_ns) {
  if (rate_ == 0) return;
  refill(now_ns);
  tokens_ = 0;
}

}  // namespace spanprof::push
