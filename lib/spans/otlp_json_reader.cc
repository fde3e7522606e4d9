#include "spans/otlp_json_reader.h"

#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <string>

namespace spanprof::spans {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(kLinePadding >= simdjson::SIMDJSON_PADDING, "lines are parsed in place");

#define SPANPROF_JSON_TRY(expr)                                     \
  do {                                                              \
    if (error_code try_error = (expr); try_error) return try_error; \
  } while (false)

// Compares with a literal of known length, which the compiler inlines; keys are
// compared for every field of every span.
template <size_t N>
bool key_eq(std::string_view key, const char (&literal)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
}

// OTLP/JSON keys are lowerCamelCase; protobuf's JSON mapping also accepts the
// proto field names.
template <size_t N, size_t M>
bool key_is(std::string_view key, const char (&camel)[N], const char (&snake)[M]) {
  return key_eq(key, camel) || key_eq(key, snake);
}

bool is_blank(std::string_view text) {
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// An attribute value as far as spanprof cares: an integer or a string.
struct ScalarValue {
  std::optional<int64_t> integer;
  std::optional<std::string_view> text;  // points into the parser's buffer

  std::optional<int64_t> as_integer() const {
    if (integer) return integer;
    if (text) return parse_int64(*text);
    return std::nullopt;
  }
};

class JsonLineParser {
 public:
  explicit JsonLineParser(SpanBuilder& builder) : builder_(builder) {}

  // text is followed by readable_after readable bytes (simdjson reads ahead).
  error_code parse(std::string_view text, size_t readable_after) {
    line_end_ = text.data() + text.size();
    od::document doc;
    SPANPROF_JSON_TRY(
        parser_.iterate(text.data(), text.size(), text.size() + readable_after).get(doc));
    od::object root;
    SPANPROF_JSON_TRY(doc.get_object().get(root));
    for (auto field_result : root) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key_is(key, "resourceSpans", "resource_spans")) {
        od::array resource_spans;
        bool present = false;
        SPANPROF_JSON_TRY(optional_array(field.value(), resource_spans, present));
        if (!present) continue;
        for (auto element : resource_spans) {
          od::value value;
          SPANPROF_JSON_TRY(std::move(element).get(value));
          SPANPROF_JSON_TRY(parse_resource_spans(value));
        }
      }
    }
    // Anything after the object (two objects on one line) is an error.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
      return simdjson::TRAILING_CONTENT;
    }
    return simdjson::SUCCESS;
  }

 private:
  // A key or string as written, up to its closing quote (stage 1 has checked
  // that there is one). OTLP keys, ids and numbers need no escapes: text with
  // escapes cannot equal a key spanprof looks for, nor decode as hex or digits.
  std::string_view raw_text(od::raw_json_string raw) const {
    const char* begin = raw.raw();
    const char* quote = begin;
    while (quote < line_end_ && *quote != '"') ++quote;
    return std::string_view(begin, static_cast<size_t>(quote - begin));
  }

  std::string_view key_of(od::field& field) const { return raw_text(field.key()); }

  // proto3 JSON mapping: null stands for a field's default, so a null list is an
  // empty one and a null message an unset one. present is false for null.
  static error_code optional_array(od::value value, od::array& out, bool& present) {
    od::json_type type;
    SPANPROF_JSON_TRY(value.type().get(type));
    present = type != od::json_type::null;
    return present ? value.get_array().get(out) : simdjson::SUCCESS;
  }

  static error_code optional_object(od::value value, od::object& out, bool& present) {
    od::json_type type;
    SPANPROF_JSON_TRY(value.type().get(type));
    present = type != od::json_type::null;
    return present ? value.get_object().get(out) : simdjson::SUCCESS;
  }

  // A string field; null leaves out empty (the proto3 default).
  error_code raw_string(od::value value, std::string_view& out) const {
    od::json_type type;
    SPANPROF_JSON_TRY(value.type().get(type));
    if (type == od::json_type::null) {
      out = {};
      return simdjson::SUCCESS;
    }
    od::raw_json_string raw;
    SPANPROF_JSON_TRY(value.get_raw_json_string().get(raw));
    out = raw_text(raw);
    return simdjson::SUCCESS;
  }

  // fixed64/int64 fields: a decimal string or a JSON number; null means unset.
  error_code read_uint64(od::value value, std::optional<uint64_t>& out) {
    od::json_type type;
    SPANPROF_JSON_TRY(value.type().get(type));
    if (type == od::json_type::null) return simdjson::SUCCESS;
    if (type == od::json_type::object) return read_long_bits(value, out);
    if (type == od::json_type::string) {
      std::string_view text;
      SPANPROF_JSON_TRY(raw_string(value, text));
      out = parse_uint64(text);
      return out ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    uint64_t number = 0;
    if (value.get_uint64().get(number) == simdjson::SUCCESS) {
      out = number;
      return simdjson::SUCCESS;
    }
    // A writer that went through a double (JavaScript) may print 1.7e+18.
    double real = 0;
    SPANPROF_JSON_TRY(value.get_double().get(real));
    if (!(real >= 0 && real < 0x1p64 && std::floor(real) == real)) return simdjson::NUMBER_ERROR;
    out = static_cast<uint64_t>(real);
    return simdjson::SUCCESS;
  }

  // Older @opentelemetry/otlp-transformer versions wrote 64-bit times as
  // protobufjs Long objects: {"low": <int32>, "high": <int32>}.
  error_code read_long_bits(od::value value, std::optional<uint64_t>& out) {
    od::object object;
    SPANPROF_JSON_TRY(value.get_object().get(object));
    std::optional<int64_t> low;
    std::optional<int64_t> high;
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      int64_t half = 0;
      if (key_eq(key, "low")) {
        SPANPROF_JSON_TRY(field.value().get_int64().get(half));
        low = half;
      } else if (key_eq(key, "high")) {
        SPANPROF_JSON_TRY(field.value().get_int64().get(half));
        high = half;
      }
    }
    if (!low || !high) return simdjson::INCORRECT_TYPE;
    out = static_cast<uint64_t>(static_cast<uint32_t>(*high)) << 32 | static_cast<uint32_t>(*low);
    return simdjson::SUCCESS;
  }

  // AnyValue: {"intValue": "5"} or {"intValue": 5} or {"stringValue": "x"}; the
  // other kinds (double, bool, array, kvlist, bytes) are skipped. Whether a line
  // decodes must not depend on which attributes are read (--tid-attribute): a
  // value of any other shape leaves the attribute unset instead of failing.
  error_code read_scalar_value(od::value value, ScalarValue& out) {
    od::json_type type;
    SPANPROF_JSON_TRY(value.type().get(type));
    if (type != od::json_type::object) return simdjson::SUCCESS;
    od::object object;
    SPANPROF_JSON_TRY(value.get_object().get(object));
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key_is(key, "stringValue", "string_value")) {
        od::value string_value = field.value();
        od::json_type string_type;
        SPANPROF_JSON_TRY(string_value.type().get(string_type));
        if (string_type != od::json_type::string) continue;
        std::string_view text;
        SPANPROF_JSON_TRY(string_value.get_string().get(text));
        out.text = text;
      } else if (key_is(key, "intValue", "int_value")) {
        od::value number = field.value();
        od::json_type type;
        SPANPROF_JSON_TRY(number.type().get(type));
        // A value that is not an int64 leaves the attribute unset: the span
        // still counts, without that thread id.
        if (type == od::json_type::string) {
          std::string_view text;
          SPANPROF_JSON_TRY(raw_string(number, text));
          out.integer = parse_int64(text);
        } else if (type == od::json_type::number) {
          int64_t integer = 0;
          if (number.get_int64().get(integer) == simdjson::SUCCESS) out.integer = integer;
        }
      }
    }
    return simdjson::SUCCESS;
  }

  // KeyValue {"key": ..., "value": {...}} in either order. wanted tells whether a
  // key matters, so the values of other attributes are skipped unread.
  template <class Wanted>
  error_code read_key_value(od::value value, const Wanted& wanted, std::string_view& key,
                            ScalarValue& scalar) {
    od::object object;
    bool present = false;
    SPANPROF_JSON_TRY(optional_object(value, object, present));
    key = {};
    if (!present) return simdjson::SUCCESS;
    bool have_key = false;
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view name = key_of(field);
      if (key_eq(name, "key")) {
        SPANPROF_JSON_TRY(raw_string(field.value(), key));
        have_key = true;
      } else if (key_eq(name, "value")) {
        if (have_key && !wanted(key)) continue;
        SPANPROF_JSON_TRY(read_scalar_value(field.value(), scalar));
      }
    }
    if (!have_key) key = {};
    return simdjson::SUCCESS;
  }

  error_code parse_resource_spans(od::value value) {
    od::object object;
    bool present = false;
    SPANPROF_JSON_TRY(optional_object(value, object, present));
    if (!present) return simdjson::SUCCESS;
    builder_.begin_resource();
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key_eq(key, "resource")) {
        SPANPROF_JSON_TRY(parse_resource(field.value()));
      } else if (key_is(key, "scopeSpans", "scope_spans") ||
                 // Before OTLP 0.15 (2022) the same list had this name.
                 key_is(key, "instrumentationLibrarySpans", "instrumentation_library_spans")) {
        od::array scope_spans;
        bool present_list = false;
        SPANPROF_JSON_TRY(optional_array(field.value(), scope_spans, present_list));
        if (!present_list) continue;
        for (auto element : scope_spans) {
          od::value scope;
          SPANPROF_JSON_TRY(std::move(element).get(scope));
          SPANPROF_JSON_TRY(parse_scope_spans(scope));
        }
      }
    }
    builder_.end_resource();
    return simdjson::SUCCESS;
  }

  error_code parse_resource(od::value value) {
    od::object object;
    bool present = false;
    SPANPROF_JSON_TRY(optional_object(value, object, present));
    if (!present) return simdjson::SUCCESS;
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key != "attributes") continue;
      od::array attributes;
      bool present_list = false;
      SPANPROF_JSON_TRY(optional_array(field.value(), attributes, present_list));
      if (!present_list) continue;
      auto wanted = [](std::string_view name) {
        return key_eq(name, "service.name") || key_eq(name, "service.namespace") ||
               key_eq(name, "process.pid");
      };
      for (auto element : attributes) {
        od::value attribute;
        SPANPROF_JSON_TRY(std::move(element).get(attribute));
        std::string_view name;
        ScalarValue scalar;
        SPANPROF_JSON_TRY(read_key_value(attribute, wanted, name, scalar));
        if (key_eq(name, "service.name") && scalar.text) {
          builder_.set_service_name(*scalar.text);
        } else if (key_eq(name, "service.namespace") && scalar.text) {
          builder_.set_service_namespace(*scalar.text);
        } else if (key_eq(name, "process.pid")) {
          if (auto pid = scalar.as_integer()) builder_.set_pid(*pid);
        }
      }
    }
    return simdjson::SUCCESS;
  }

  error_code parse_scope_spans(od::value value) {
    od::object object;
    bool present = false;
    SPANPROF_JSON_TRY(optional_object(value, object, present));
    if (!present) return simdjson::SUCCESS;
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key != "spans") continue;
      od::array spans;
      bool present_list = false;
      SPANPROF_JSON_TRY(optional_array(field.value(), spans, present_list));
      if (!present_list) continue;
      for (auto element : spans) {
        od::value span;
        SPANPROF_JSON_TRY(std::move(element).get(span));
        SPANPROF_JSON_TRY(parse_span(span));
      }
    }
    return simdjson::SUCCESS;
  }

  static const char* decode_span_id(std::string_view hex, uint64_t& out, const char* problem) {
    uint8_t bytes[8];
    if (!decode_hex(hex, bytes, sizeof bytes)) return problem;
    out = 0;
    for (uint8_t byte : bytes) out = out << 8 | byte;
    return nullptr;
  }

  error_code parse_span(od::value value) {
    od::object object;
    bool present = false;
    SPANPROF_JSON_TRY(optional_object(value, object, present));
    if (!present) return simdjson::SUCCESS;
    SpanFields span;
    bool have_trace_id = false;
    bool have_span_id = false;
    const char* trace_id_problem = nullptr;
    const char* span_id_problem = nullptr;
    const char* parent_problem = nullptr;
    for (auto field_result : object) {
      od::field field;
      SPANPROF_JSON_TRY(std::move(field_result).get(field));
      std::string_view key = key_of(field);
      if (key_eq(key, "name")) {
        od::value name = field.value();
        od::json_type type;
        SPANPROF_JSON_TRY(name.type().get(type));
        if (type != od::json_type::null) SPANPROF_JSON_TRY(name.get_string().get(span.name));
      } else if (key_is(key, "traceId", "trace_id")) {
        std::string_view hex;
        SPANPROF_JSON_TRY(raw_string(field.value(), hex));
        have_trace_id = true;
        if (!decode_hex(hex, span.trace_id.data(), span.trace_id.size())) {
          trace_id_problem = "trace id is not 32 hex digits";
        }
      } else if (key_is(key, "spanId", "span_id")) {
        std::string_view hex;
        SPANPROF_JSON_TRY(raw_string(field.value(), hex));
        have_span_id = true;
        span_id_problem = decode_span_id(hex, span.span_id, "span id is not 16 hex digits");
      } else if (key_is(key, "parentSpanId", "parent_span_id")) {
        std::string_view hex;
        SPANPROF_JSON_TRY(raw_string(field.value(), hex));
        if (!hex.empty()) {
          parent_problem =
              decode_span_id(hex, span.parent_span_id, "parent span id is not 16 hex digits");
        }
      } else if (key_is(key, "startTimeUnixNano", "start_time_unix_nano")) {
        SPANPROF_JSON_TRY(read_uint64(field.value(), span.start_unix_ns));
      } else if (key_is(key, "endTimeUnixNano", "end_time_unix_nano")) {
        SPANPROF_JSON_TRY(read_uint64(field.value(), span.end_unix_ns));
      } else if (key_eq(key, "flags")) {
        std::optional<uint64_t> flags;
        SPANPROF_JSON_TRY(read_uint64(field.value(), flags));
        span.flags = static_cast<uint32_t>(flags.value_or(0));
      } else if (key_eq(key, "attributes")) {
        SPANPROF_JSON_TRY(parse_span_attributes(field.value(), span));
      }
    }
    if (!have_trace_id) trace_id_problem = "no trace id";
    if (!have_span_id) span_id_problem = "no span id";
    span.id_problem = trace_id_problem != nullptr  ? trace_id_problem
                      : span_id_problem != nullptr ? span_id_problem
                                                   : parent_problem;
    builder_.add_span(span);
    return simdjson::SUCCESS;
  }

  error_code parse_span_attributes(od::value value, SpanFields& span) {
    od::array attributes;
    bool present = false;
    SPANPROF_JSON_TRY(optional_array(value, attributes, present));
    if (!present) return simdjson::SUCCESS;
    auto wanted = [this](std::string_view name) {
      return builder_.role_of(name) != AttributeRole::kIgnored;
    };
    for (auto element : attributes) {
      od::value attribute;
      SPANPROF_JSON_TRY(std::move(element).get(attribute));
      std::string_view name;
      ScalarValue scalar;
      SPANPROF_JSON_TRY(read_key_value(attribute, wanted, name, scalar));
      switch (builder_.role_of(name)) {
        case AttributeRole::kOsTid:
          span.os_tid = scalar.as_integer();
          break;
        case AttributeRole::kOsTidFallback:
          span.os_tid_fallback = scalar.as_integer();
          break;
        case AttributeRole::kRuntimeThreadId:
          span.runtime_thread_id = scalar.as_integer();
          break;
        case AttributeRole::kIgnored:
          break;
      }
    }
    return simdjson::SUCCESS;
  }

  SpanBuilder& builder_;
  od::parser parser_;
  const char* line_end_ = nullptr;
};

#undef SPANPROF_JSON_TRY

std::string describe(error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return "not valid UTF-8";
    case simdjson::DEPTH_ERROR:
      return "JSON nested too deeply";
    case simdjson::INCORRECT_TYPE:
      return "not a TracesData object: a field has the wrong JSON type";
    case simdjson::NUMBER_ERROR:
      return "a number field does not hold an integer";
    default:
      return "not valid JSON (" + std::string(simdjson::error_message(error)) + ")";
  }
}

std::string too_long_problem(size_t max_line_bytes) {
  return "line longer than " + std::to_string(max_line_bytes) + " bytes, skipped";
}

}  // namespace

Result<void> decode_otlp_json_document(std::string_view json, const SpanReaderOptions& options,
                                       SpanSet& out, SpanReadStats& stats,
                                       size_t max_line_bytes) {
  if (json.find('\n') != std::string_view::npos) {
    return make_error("a JSON Lines line cannot hold a newline");
  }
  if (json.size() > max_line_bytes) return make_error(too_long_problem(max_line_bytes));
  // As LineSplitter does.
  if (json.ends_with('\r')) json.remove_suffix(1);
  if (is_blank(json)) return make_error("a blank line holds no TracesData (readers skip it)");
  SpanBuilder builder("in-memory TracesData", options, out, stats);
  builder.at_line(1);
  ++stats.lines;
  builder.begin_record();
  // simdjson reads up to SIMDJSON_PADDING bytes past the end.
  simdjson::padded_string padded(json);
  JsonLineParser parser(builder);
  if (error_code error = parser.parse(std::string_view(padded), simdjson::SIMDJSON_PADDING);
      error) {
    builder.discard_record();
    ++stats.bad_lines;
    return make_error(describe(error));
  }
  return {};
}

Result<void> read_otlp_json_lines(ByteSource& source, SpanBuilder& builder, SpanReadStats& stats,
                                  size_t max_line_bytes) {
  LineSplitter lines(source, max_line_bytes);
  JsonLineParser parser(builder);
  while (true) {
    auto next = lines.next();
    if (!next) return std::unexpected(next.error());
    if (!*next) return {};
    const Line& line = **next;
    builder.at_line(line.number);
    if (line.too_long) {
      ++stats.lines;
      ++stats.bad_lines;
      builder.problem(too_long_problem(max_line_bytes));
      continue;
    }
    if (is_blank(line.text)) continue;
    ++stats.lines;
    builder.begin_record();
    if (error_code error = parser.parse(line.text, lines.readable_after_last_line()); error) {
      builder.discard_record();
      ++stats.bad_lines;
      builder.problem(describe(error));
    }
  }
}

}  // namespace spanprof::spans
