#include "push/otlp_json_transcode.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace spanprof::push {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// A key matches its lowerCamelCase form or the proto field name.
bool key_is(std::string_view key, std::string_view camel, std::string_view snake) {
  return key == camel || key == snake;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

class Transcoder {
 public:
  Result<void> traces_data(element doc, otlp::TracesData& out) {
    object root;
    if (doc.get_object().get(root)) return fail("a line is not a JSON object");
    for (auto [key, value] : root) {
      if (key_is(key, "resourceSpans", "resource_spans")) {
        array items;
        if (value.get_array().get(items)) return fail("resourceSpans is not an array");
        for (element item : items) {
          if (auto r = resource_spans(item, *out.add_resource_spans()); !r) return r;
        }
      }
    }
    return {};
  }

 private:
  static Result<void> fail(std::string message) { return make_error(std::move(message)); }

  Result<void> resource_spans(element value, otlp::ResourceSpans& out) {
    object fields;
    if (value.get_object().get(fields)) return fail("a resourceSpans item is not an object");
    for (auto [key, field] : fields) {
      if (key == "resource") {
        object resource;
        if (field.get_object().get(resource)) return fail("resource is not an object");
        for (auto [rkey, rvalue] : resource) {
          if (rkey == "attributes") {
            if (auto r = attributes(rvalue, *out.mutable_resource()->mutable_attributes()); !r) {
              return r;
            }
          } else if (key_is(rkey, "droppedAttributesCount", "dropped_attributes_count")) {
            uint64_t n;
            if (auto r = integer(rvalue, "resource.droppedAttributesCount", n); !r) return r;
            out.mutable_resource()->set_dropped_attributes_count(static_cast<uint32_t>(n));
          }
        }
      } else if (key_is(key, "scopeSpans", "scope_spans")) {
        array items;
        if (field.get_array().get(items)) return fail("scopeSpans is not an array");
        for (element item : items) {
          if (auto r = scope_spans(item, *out.add_scope_spans()); !r) return r;
        }
      } else if (key_is(key, "schemaUrl", "schema_url")) {
        if (auto r = text(field, "schemaUrl", *out.mutable_schema_url()); !r) return r;
      }
    }
    return {};
  }

  Result<void> scope_spans(element value, otlp::ScopeSpans& out) {
    object fields;
    if (value.get_object().get(fields)) return fail("a scopeSpans item is not an object");
    for (auto [key, field] : fields) {
      if (key == "scope") {
        object scope;
        if (field.get_object().get(scope)) return fail("scope is not an object");
        auto& to = *out.mutable_scope();
        for (auto [skey, svalue] : scope) {
          if (skey == "name") {
            if (auto r = text(svalue, "scope.name", *to.mutable_name()); !r) return r;
          } else if (skey == "version") {
            if (auto r = text(svalue, "scope.version", *to.mutable_version()); !r) return r;
          } else if (skey == "attributes") {
            if (auto r = attributes(svalue, *to.mutable_attributes()); !r) return r;
          } else if (key_is(skey, "droppedAttributesCount", "dropped_attributes_count")) {
            uint64_t n;
            if (auto r = integer(svalue, "scope.droppedAttributesCount", n); !r) return r;
            to.set_dropped_attributes_count(static_cast<uint32_t>(n));
          }
        }
      } else if (key == "spans") {
        array items;
        if (field.get_array().get(items)) return fail("spans is not an array");
        for (element item : items) {
          if (auto r = span(item, *out.add_spans()); !r) return r;
        }
      } else if (key_is(key, "schemaUrl", "schema_url")) {
        if (auto r = text(field, "schemaUrl", *out.mutable_schema_url()); !r) return r;
      }
    }
    return {};
  }

  Result<void> span(element value, otlp::Span& out) {
    object fields;
    if (value.get_object().get(fields)) return fail("a span is not an object");
    for (auto [key, field] : fields) {
      uint64_t n = 0;
      Result<void> r;
      if (key_is(key, "traceId", "trace_id")) {
        r = hex_bytes(field, "traceId", 16, *out.mutable_trace_id());
      } else if (key_is(key, "spanId", "span_id")) {
        r = hex_bytes(field, "spanId", 8, *out.mutable_span_id());
      } else if (key_is(key, "parentSpanId", "parent_span_id")) {
        r = hex_bytes(field, "parentSpanId", 8, *out.mutable_parent_span_id());
      } else if (key_is(key, "traceState", "trace_state")) {
        r = text(field, "traceState", *out.mutable_trace_state());
      } else if (key == "flags") {
        if (r = integer(field, "flags", n); r) out.set_flags(static_cast<uint32_t>(n));
      } else if (key == "name") {
        r = text(field, "name", *out.mutable_name());
      } else if (key == "kind") {
        if (r = enumeration(field, "kind", "SPAN_KIND_",
                            {"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"},
                            n);
            r) {
          out.set_kind(static_cast<otlp::Span::SpanKind>(n));
        }
      } else if (key_is(key, "startTimeUnixNano", "start_time_unix_nano")) {
        if (r = integer(field, "startTimeUnixNano", n); r) out.set_start_time_unix_nano(n);
      } else if (key_is(key, "endTimeUnixNano", "end_time_unix_nano")) {
        if (r = integer(field, "endTimeUnixNano", n); r) out.set_end_time_unix_nano(n);
      } else if (key == "attributes") {
        r = attributes(field, *out.mutable_attributes());
      } else if (key_is(key, "droppedAttributesCount", "dropped_attributes_count")) {
        if (r = integer(field, key, n); r) out.set_dropped_attributes_count(static_cast<uint32_t>(n));
      } else if (key == "events") {
        r = events(field, out);
      } else if (key_is(key, "droppedEventsCount", "dropped_events_count")) {
        if (r = integer(field, key, n); r) out.set_dropped_events_count(static_cast<uint32_t>(n));
      } else if (key == "links") {
        r = links(field, out);
      } else if (key_is(key, "droppedLinksCount", "dropped_links_count")) {
        if (r = integer(field, key, n); r) out.set_dropped_links_count(static_cast<uint32_t>(n));
      } else if (key == "status") {
        r = status(field, *out.mutable_status());
      }
      if (!r) return r;
    }
    return {};
  }

  Result<void> events(element value, otlp::Span& out) {
    array items;
    if (value.get_array().get(items)) return fail("events is not an array");
    for (element item : items) {
      object fields;
      if (item.get_object().get(fields)) return fail("an event is not an object");
      auto& event = *out.add_events();
      for (auto [key, field] : fields) {
        uint64_t n = 0;
        Result<void> r;
        if (key_is(key, "timeUnixNano", "time_unix_nano")) {
          if (r = integer(field, "event timeUnixNano", n); r) event.set_time_unix_nano(n);
        } else if (key == "name") {
          r = text(field, "event name", *event.mutable_name());
        } else if (key == "attributes") {
          r = attributes(field, *event.mutable_attributes());
        } else if (key_is(key, "droppedAttributesCount", "dropped_attributes_count")) {
          if (r = integer(field, key, n); r) {
            event.set_dropped_attributes_count(static_cast<uint32_t>(n));
          }
        }
        if (!r) return r;
      }
    }
    return {};
  }

  Result<void> links(element value, otlp::Span& out) {
    array items;
    if (value.get_array().get(items)) return fail("links is not an array");
    for (element item : items) {
      object fields;
      if (item.get_object().get(fields)) return fail("a link is not an object");
      auto& link = *out.add_links();
      for (auto [key, field] : fields) {
        uint64_t n = 0;
        Result<void> r;
        if (key_is(key, "traceId", "trace_id")) {
          r = hex_bytes(field, "link traceId", 16, *link.mutable_trace_id());
        } else if (key_is(key, "spanId", "span_id")) {
          r = hex_bytes(field, "link spanId", 8, *link.mutable_span_id());
        } else if (key_is(key, "traceState", "trace_state")) {
          r = text(field, "link traceState", *link.mutable_trace_state());
        } else if (key == "attributes") {
          r = attributes(field, *link.mutable_attributes());
        } else if (key_is(key, "droppedAttributesCount", "dropped_attributes_count")) {
          if (r = integer(field, key, n); r) {
            link.set_dropped_attributes_count(static_cast<uint32_t>(n));
          }
        } else if (key == "flags") {
          if (r = integer(field, "link flags", n); r) link.set_flags(static_cast<uint32_t>(n));
        }
        if (!r) return r;
      }
    }
    return {};
  }

  Result<void> status(element value, otlp::Status& out) {
    object fields;
    if (value.get_object().get(fields)) return fail("status is not an object");
    for (auto [key, field] : fields) {
      if (key == "message") {
        if (auto r = text(field, "status message", *out.mutable_message()); !r) return r;
      } else if (key == "code") {
        uint64_t n = 0;
        if (auto r = enumeration(field, "status code", "STATUS_CODE_", {"UNSET", "OK", "ERROR"}, n);
            !r) {
          return r;
        }
        out.set_code(static_cast<otlp::Status::StatusCode>(n));
      }
    }
    return {};
  }

  template <class Repeated>
  Result<void> attributes(element value, Repeated& out) {
    array items;
    if (value.get_array().get(items)) return fail("attributes is not an array");
    for (element item : items) {
      if (auto r = key_value(item, *out.Add()); !r) return r;
    }
    return {};
  }

  Result<void> key_value(element value, otlp::KeyValue& out) {
    object fields;
    if (value.get_object().get(fields)) return fail("an attribute is not an object");
    for (auto [key, field] : fields) {
      if (key == "key") {
        if (auto r = text(field, "attribute key", *out.mutable_key()); !r) return r;
      } else if (key == "value") {
        if (auto r = any_value(field, *out.mutable_value(), 0); !r) return r;
      }
    }
    return {};
  }

  Result<void> any_value(element value, otlp::AnyValue& out, int depth) {
    // Nesting is bounded so a hostile line cannot exhaust the stack.
    if (depth > 64) return fail("attribute values nest more than 64 levels");
    object fields;
    if (value.get_object().get(fields)) return fail("an attribute value is not an object");
    for (auto [key, field] : fields) {
      if (key_is(key, "stringValue", "string_value")) {
        if (auto r = text(field, "stringValue", *out.mutable_string_value()); !r) return r;
      } else if (key_is(key, "boolValue", "bool_value")) {
        bool b = false;
        if (field.get_bool().get(b)) return fail("boolValue is not true or false");
        out.set_bool_value(b);
      } else if (key_is(key, "intValue", "int_value")) {
        int64_t n = 0;
        if (auto r = signed_integer(field, "intValue", n); !r) return r;
        out.set_int_value(n);
      } else if (key_is(key, "doubleValue", "double_value")) {
        double d = 0;
        if (auto r = floating(field, d); !r) return r;
        out.set_double_value(d);
      } else if (key_is(key, "bytesValue", "bytes_value")) {
        if (auto r = base64(field, *out.mutable_bytes_value()); !r) return r;
      } else if (key_is(key, "arrayValue", "array_value") ||
                 key_is(key, "kvlistValue", "kvlist_value")) {
        bool is_array = key.front() == 'a';
        object list;
        if (field.get_object().get(list)) return fail(std::string(key) + " is not an object");
        // An empty list is still a list: set the oneof before filling it.
        if (is_array) out.mutable_array_value(); else out.mutable_kvlist_value();
        for (auto [lkey, lvalue] : list) {
          if (lkey != "values") continue;
          array items;
          if (lvalue.get_array().get(items)) return fail("values is not an array");
          for (element item : items) {
            Result<void> r = is_array
                                 ? any_value(item, *out.mutable_array_value()->add_values(), depth + 1)
                                 : key_value_nested(item, *out.mutable_kvlist_value()->add_values(),
                                                    depth + 1);
            if (!r) return r;
          }
        }
      }
    }
    return {};
  }

  Result<void> key_value_nested(element value, otlp::KeyValue& out, int depth) {
    object fields;
    if (value.get_object().get(fields)) return fail("an attribute is not an object");
    for (auto [key, field] : fields) {
      if (key == "key") {
        if (auto r = text(field, "attribute key", *out.mutable_key()); !r) return r;
      } else if (key == "value") {
        if (auto r = any_value(field, *out.mutable_value(), depth); !r) return r;
      }
    }
    return {};
  }

  static Result<void> text(element value, std::string_view what, std::string& out) {
    std::string_view s;
    if (value.get_string().get(s)) return fail(fmt::format("{} is not a string", what));
    out.assign(s);
    return {};
  }

  // Unsigned 64-bit: a number or a decimal string.
  static Result<void> integer(element value, std::string_view what, uint64_t& out) {
    if (value.type() == element_type::STRING) {
      std::string_view s = value.get_string().value_unsafe();
      auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (error != std::errc() || end != s.data() + s.size() || s.empty()) {
        return fail(fmt::format("{} '{}' is not an unsigned integer", what, s));
      }
      return {};
    }
    if (value.get_uint64().get(out)) return fail(fmt::format("{} is not an unsigned integer", what));
    return {};
  }

  static Result<void> signed_integer(element value, std::string_view what, int64_t& out) {
    if (value.type() == element_type::STRING) {
      std::string_view s = value.get_string().value_unsafe();
      auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (error != std::errc() || end != s.data() + s.size() || s.empty()) {
        return fail(fmt::format("{} '{}' is not an integer", what, s));
      }
      return {};
    }
    if (value.get_int64().get(out)) return fail(fmt::format("{} is not an integer", what));
    return {};
  }

  // proto3 JSON: a number, or "NaN", "Infinity", "-Infinity", or a numeric string.
  static Result<void> floating(element value, double& out) {
    if (value.type() == element_type::STRING) {
      std::string_view s = value.get_string().value_unsafe();
      if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
      else {
        auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (error != std::errc() || end != s.data() + s.size()) {
          return fail(fmt::format("doubleValue '{}' is not a number", s));
        }
      }
      return {};
    }
    if (value.get_double().get(out)) return fail("doubleValue is not a number");
    return {};
  }

  static Result<void> enumeration(element value, std::string_view what, std::string_view prefix,
                                  std::initializer_list<std::string_view> names, uint64_t& out) {
    if (value.type() == element_type::STRING) {
      std::string_view s = value.get_string().value_unsafe();
      uint64_t index = 0;
      for (std::string_view name : names) {
        if (s.size() == prefix.size() + name.size() && s.starts_with(prefix) && s.ends_with(name)) {
          out = index;
          return {};
        }
        ++index;
      }
      return fail(fmt::format("{} '{}' is not a known value", what, s));
    }
    return integer(value, what, out);
  }

  static Result<void> hex_bytes(element value, std::string_view what, size_t size,
                                std::string& out) {
    std::string_view s;
    if (value.get_string().get(s)) return fail(fmt::format("{} is not a string", what));
    out.clear();
    if (s.empty()) return {};  // an absent id (e.g. no parent)
    if (s.size() != size * 2) {
      return fail(fmt::format("{} '{}' is not {} hex digits", what, s, size * 2));
    }
    out.resize(size);
    for (size_t i = 0; i < size; ++i) {
      int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
      if (hi < 0 || lo < 0) return fail(fmt::format("{} '{}' is not hex", what, s));
      out[i] = static_cast<char>(hi * 16 + lo);
    }
    return {};
  }

  // proto3 JSON bytes: standard or URL-safe base64, padding optional.
  static Result<void> base64(element value, std::string& out) {
    std::string_view s;
    if (value.get_string().get(s)) return fail("bytesValue is not a string");
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    out.clear();
    uint32_t bits = 0;
    int count = 0;
    for (char c : s) {
      int digit = base64_digit(c);
      if (digit < 0) return fail("bytesValue is not base64");
      bits = (bits << 6) | static_cast<uint32_t>(digit);
      count += 6;
      if (count >= 8) {
        count -= 8;
        out.push_back(static_cast<char>((bits >> count) & 0xff));
      }
    }
    return {};
  }
};

}  // namespace

Result<void> transcode_otlp_json(std::string_view json, otlp::TracesData& out) {
  simdjson::dom::parser parser;
  element doc;
  if (auto error = parser.parse(json.data(), json.size()).get(doc); error) {
    return make_error(fmt::format("not valid JSON: {}", simdjson::error_message(error)));
  }
  return Transcoder().traces_data(doc, out);
}

}  // namespace spanprof::push
