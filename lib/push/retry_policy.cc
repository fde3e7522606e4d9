#include "push/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace spanprof::push {

bool is_success(long status) { return status >= 200 && status < 300; }

bool is_retriable(const AttemptOutcome& outcome) {
  if (outcome.transport_error) return !outcome.permanent;
  return outcome.status == 408 || outcome.status == 429 ||
         (outcome.status >= 500 && outcome.status < 600);
}

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", the form RFC 9110 requires
// senders to use.
std::optional<int64_t> parse_http_date_ms(std::string_view text) {
  std::string copy(text);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  time_t seconds = timegm(&tm);
  if (seconds == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000;
}

}  // namespace

std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms) {
  value = trimmed(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // Too many digits to hold: a delay longer than anything we would wait.
    if (ec == std::errc::result_out_of_range) return INT64_MAX / 2;
    if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
    if (seconds > INT64_MAX / 2000) return INT64_MAX / 2;
    return seconds * 1000;
  }
  auto date_ms = parse_http_date_ms(value);
  if (!date_ms) return std::nullopt;
  return std::max<int64_t>(0, *date_ms - now_unix_ms);
}

RetryPolicy::RetryPolicy(RetryOptions options, uint64_t seed)
    : options_(options), random_(seed) {}

std::optional<int64_t> RetryPolicy::next_delay_ms(int attempt, const AttemptOutcome& outcome,
                                                  int64_t elapsed_ms, int64_t now_unix_ms) {
  if (!is_retriable(outcome)) return std::nullopt;
  if (attempt >= options_.max_attempts) return std::nullopt;
  int64_t cap = std::max<int64_t>(0, options_.max_delay_ms);
  int64_t delay;
  std::optional<int64_t> server_delay;
  if (!outcome.retry_after.empty()) {
    server_delay = parse_retry_after_ms(outcome.retry_after, now_unix_ms);
  }
  if (server_delay) {
    delay = std::min(*server_delay, cap);
  } else {
    // initial * 2^(attempt-1), without overflowing for large attempt counts.
    int64_t ceiling = std::max<int64_t>(0, options_.initial_delay_ms);
    for (int i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    std::uniform_int_distribution<int64_t> uniform(0, ceiling);
    delay = uniform(random_);
  }
  if (elapsed_ms + delay > options_.max_total_ms) return std::nullopt;
  return delay;
}

}  // namespace spanprof::push
