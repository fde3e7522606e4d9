#include "spans/span_builder.h"

#include <array>
#include <charconv>
#include <limits>

namespace spanprof::spans {
namespace {

// Hex digit values; 0xff for anything else.
constexpr auto kHexValues = [] {
  std::array<uint8_t, 256> table{};
  table.fill(0xff);
  for (int i = 0; i < 10; ++i) table[static_cast<size_t>('0' + i)] = static_cast<uint8_t>(i);
  for (int i = 0; i < 6; ++i) {
    table[static_cast<size_t>('a' + i)] = static_cast<uint8_t>(10 + i);
    table[static_cast<size_t>('A' + i)] = static_cast<uint8_t>(10 + i);
  }
  return table;
}();

// Linux tids are positive pid_t values.
constexpr int64_t kMaxTid = std::numeric_limits<int32_t>::max();

std::optional<uint32_t> valid_tid(std::optional<int64_t> value) {
  if (!value || *value < 1 || *value > kMaxTid) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

}  // namespace

bool decode_hex(std::string_view hex, uint8_t* out, size_t out_size) {
  if (hex.size() != 2 * out_size) return false;
  for (size_t i = 0; i < out_size; ++i) {
    uint8_t high = kHexValues[static_cast<uint8_t>(hex[2 * i])];
    uint8_t low = kHexValues[static_cast<uint8_t>(hex[2 * i + 1])];
    if ((high | low) == 0xff) return false;
    out[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return true;
}

std::optional<int64_t> parse_int64(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_uint64(std::string_view text) {
  // Hot: two timestamps per span. Digits only, as OTLP/JSON writes them.
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    auto digit = static_cast<unsigned>(c - '0');
    if (digit > 9) return std::nullopt;
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, digit, &value)) {
      return std::nullopt;
    }
  }
  return value;
}

void add_problem(SpanReadStats& stats, std::string problem) {
  if (stats.problems.size() < kMaxProblems) stats.problems.push_back(std::move(problem));
}

SpanBuilder::SpanBuilder(std::string path, const SpanReaderOptions& options, SpanSet& out,
                         SpanReadStats& stats)
    : path_(std::move(path)), options_(options), out_(out), stats_(stats) {}

AttributeRole SpanBuilder::role_of(std::string_view key) const {
  // Every attribute of every span comes here: most are not thread.*.
  constexpr std::string_view kThreadPrefix = "thread.";
  if (options_.tid_attribute.empty() && !key.starts_with(kThreadPrefix)) {
    return AttributeRole::kIgnored;
  }
  if (!options_.tid_attribute.empty()) {
    if (key == options_.tid_attribute) return AttributeRole::kOsTid;
  } else if (key == "thread.os_id") {
    return AttributeRole::kOsTid;
  } else if (key == "thread.native_id") {
    return AttributeRole::kOsTidFallback;
  }
  if (key == "thread.id") return AttributeRole::kRuntimeThreadId;
  return AttributeRole::kIgnored;
}

std::string SpanBuilder::where() const {
  if (location_is_line_) return path_ + ":" + std::to_string(location_);
  return path_ + ": message at byte " + std::to_string(location_);
}

void SpanBuilder::problem(std::string_view message) {
  if (stats_.problems.size() >= kMaxProblems) return;
  add_problem(stats_, where() + ": " + std::string(message));
}

void SpanBuilder::begin_resource() {
  resource_ = Resource{};
  resource_first_span_ = out_.spans.size();
}

void SpanBuilder::set_pid(int64_t pid) {
  if (pid >= 0 && pid <= std::numeric_limits<uint32_t>::max()) {
    resource_.pid = static_cast<uint32_t>(pid);
  }
}

void SpanBuilder::end_resource() {
  if (resource_first_span_ == out_.spans.size()) return;
  uint32_t index = out_.intern_resource(resource_);
  for (size_t i = resource_first_span_; i < out_.spans.size(); ++i) {
    out_.spans[i].resource_index = index;
  }
}

void SpanBuilder::add_span(const SpanFields& fields) {
  // A span costs about 200 bytes through the join (model, tree, index): the
  // default limit of 4M spans keeps the join under 1 GiB.
  if (options_.max_spans != 0 && out_.spans.size() >= options_.max_spans) {
    ++stats_.bad_spans;
    if (stats_.spans_over_limit++ == 0) {
      problem("more than " + std::to_string(options_.max_spans) +
              " spans: this one and all after it are skipped, to bound memory (raise the "
              "limit with --max-spans N, about 200 bytes a span, or 0 for none)");
    }
    return;
  }
  const char* bad = fields.id_problem;
  // OTLP: an id of all zeroes is invalid.
  if (bad == nullptr && fields.trace_id == TraceId{}) bad = "trace id is all zeroes";
  if (bad == nullptr && fields.span_id == 0) bad = "span id is all zeroes";
  if (bad == nullptr && (!fields.start_unix_ns || *fields.start_unix_ns == 0)) {
    bad = "no start time";
  }
  if (bad == nullptr && (!fields.end_unix_ns || *fields.end_unix_ns == 0)) bad = "no end time";
  constexpr uint64_t kMaxTime = std::numeric_limits<int64_t>::max();
  if (bad == nullptr && (*fields.start_unix_ns > kMaxTime || *fields.end_unix_ns > kMaxTime)) {
    bad = "time past the year 2262";
  }
  if (bad != nullptr) {
    ++stats_.bad_spans;
    if (stats_.problems.size() < kMaxProblems) {
      problem("span '" + std::string(fields.name) + "' skipped: " + bad);
    }
    return;
  }

  Span& span = out_.spans.emplace_back();
  span.trace_id = fields.trace_id;
  span.span_id = fields.span_id;
  span.parent_span_id = fields.parent_span_id;
  // SpanFlags: 0x100 = the remote bit is known, 0x200 = the parent is remote.
  span.parent_is_remote = (fields.flags & 0x300) == 0x300;
  span.start_unix_ns = static_cast<int64_t>(*fields.start_unix_ns);
  span.end_unix_ns = static_cast<int64_t>(*fields.end_unix_ns);
  if (span.end_unix_ns < span.start_unix_ns) {
    ++stats_.spans_end_before_start;
    span.end_unix_ns = span.start_unix_ns;
  }
  span.name_index = out_.intern_name(fields.name);
  span.os_tid = valid_tid(fields.os_tid);
  if (!span.os_tid && options_.tid_attribute.empty())
    span.os_tid = valid_tid(fields.os_tid_fallback);
  if (!span.os_tid) ++stats_.spans_without_os_tid;
  span.runtime_thread_id = fields.runtime_thread_id;
  ++stats_.spans;
}

SpanBuilder::Counters SpanBuilder::counters() const {
  return Counters{stats_.spans, stats_.bad_spans, stats_.spans_end_before_start,
                  stats_.spans_without_os_tid, stats_.spans_over_limit};
}

void SpanBuilder::begin_record() {
  record_first_span_ = out_.spans.size();
  record_start_ = counters();
}

void SpanBuilder::discard_record() {
  out_.spans.resize(record_first_span_);
  resource_first_span_ = std::min(resource_first_span_, record_first_span_);
  stats_.spans = record_start_.spans;
  stats_.bad_spans = record_start_.bad_spans;
  stats_.spans_end_before_start = record_start_.spans_end_before_start;
  stats_.spans_without_os_tid = record_start_.spans_without_os_tid;
  stats_.spans_over_limit = record_start_.spans_over_limit;
}

}  // namespace spanprof::spans
