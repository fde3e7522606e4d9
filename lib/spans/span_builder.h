// The span model's rules, shared by the JSON and protobuf readers: which ids
// are valid, which attributes carry thread ids, what happens to odd times.
// A reader decodes one span's fields into SpanFields and hands them over; the
// builder validates, counts, and appends to the SpanSet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spans/span_reader.h"
#include "spans/span_set.h"

namespace spanprof::spans {

// What an attribute key means to spanprof.
enum class AttributeRole : uint8_t {
  kIgnored,
  kOsTid,            // the --tid-attribute key, or thread.os_id
  kOsTidFallback,    // thread.native_id, used when kOsTid is absent
  kRuntimeThreadId,  // thread.id
};

struct SpanFields {
  std::string_view name;
  TraceId trace_id{};
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;
  // The first thing wrong with the ids, or nullptr.
  const char* id_problem = nullptr;
  uint32_t flags = 0;
  std::optional<uint64_t> start_unix_ns;
  std::optional<uint64_t> end_unix_ns;
  std::optional<int64_t> os_tid;           // from a kOsTid attribute
  std::optional<int64_t> os_tid_fallback;  // from a kOsTidFallback attribute
  std::optional<int64_t> runtime_thread_id;
};

// Decodes exactly 2*out_size hex digits (either case); false on anything else.
bool decode_hex(std::string_view hex, uint8_t* out, size_t out_size);
// A whole decimal integer, as OTLP/JSON writes int64 in a string.
std::optional<int64_t> parse_int64(std::string_view text);
std::optional<uint64_t> parse_uint64(std::string_view text);

inline constexpr size_t kMaxProblems = 20;
// Keeps the first kMaxProblems problems; the counters hold the totals.
void add_problem(SpanReadStats& stats, std::string problem);

class SpanBuilder {
 public:
  SpanBuilder(std::string path, const SpanReaderOptions& options, SpanSet& out,
              SpanReadStats& stats);

  AttributeRole role_of(std::string_view key) const;

  // Where the next problems are: a line of a JSON file or a message's byte offset.
  void at_line(uint64_t line) {
    location_ = line;
    location_is_line_ = true;
  }
  void at_offset(uint64_t offset) {
    location_ = offset;
    location_is_line_ = false;
  }
  // "spans.jsonl:17" or "spans.pb: message at byte 120".
  std::string where() const;
  void problem(std::string_view message);

  // One ResourceSpans: spans added between begin and end get its resource.
  void begin_resource();
  void set_service_name(std::string_view name) { resource_.service_name = name; }
  void set_service_namespace(std::string_view name) { resource_.service_namespace = name; }
  void set_pid(int64_t pid);
  void end_resource();

  void add_span(const SpanFields& fields);

  // One line or message: discard_record drops the spans it added (it turned out bad).
  void begin_record();
  void discard_record();

 private:
  struct Counters {
    uint64_t spans = 0;
    uint64_t bad_spans = 0;
    uint64_t spans_end_before_start = 0;
    uint64_t spans_without_os_tid = 0;
    uint64_t spans_over_limit = 0;
  };
  Counters counters() const;

  std::string path_;
  const SpanReaderOptions& options_;
  SpanSet& out_;
  SpanReadStats& stats_;
  uint64_t location_ = 0;
  bool location_is_line_ = true;
  Resource resource_;
  size_t resource_first_span_ = 0;
  size_t record_first_span_ = 0;
  Counters record_start_;
};

}  // namespace spanprof::spans
