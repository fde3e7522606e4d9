#include "receiver/otlp_payload.h"

#include <simdjson.h>

#include <climits>

#include "otlp_trace.pb.h"
#include "receiver/http_request_parser.h"

namespace spanprof::receiver {
namespace {

namespace dom = simdjson::dom;

void append_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::string json_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// A field that proto3 JSON allows to be absent or null; anything else must be an array.
Result<std::optional<dom::array>> optional_array(dom::object object, std::string_view key) {
  dom::element value;
  if (object[key].get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return make_error("\"" + std::string(key) + "\" is not an array");
  }
  return array;
}

}  // namespace

std::optional<PayloadFormat> payload_format(std::string_view content_type) {
  std::string type = media_type(content_type);
  if (type == "application/x-protobuf") return PayloadFormat::kProtobuf;
  if (type == "application/json") return PayloadFormat::kJson;
  return std::nullopt;
}

std::string_view content_type_of(PayloadFormat format) {
  return format == PayloadFormat::kProtobuf ? "application/x-protobuf" : "application/json";
}

Result<uint64_t> count_protobuf_spans(std::string_view body) {
  if (body.size() > static_cast<size_t>(INT_MAX)) return make_error("protobuf body too large");
  otlp::ExportTraceServiceRequest request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return make_error("body is not a protobuf ExportTraceServiceRequest");
  }
  uint64_t spans = 0;
  for (const auto& resource : request.resource_spans()) {
    for (const auto& scope : resource.scope_spans())
      spans += static_cast<uint64_t>(scope.spans_size());
  }
  return spans;
}

Result<uint64_t> count_json_spans(std::string_view body) {
  dom::parser parser;
  dom::element document;
  // parse() copies the body into a padded buffer: simdjson reads past the end.
  if (auto error = parser.parse(body.data(), body.size()).get(document);
      error != simdjson::SUCCESS) {
    return make_error(std::string("body is not valid JSON (") + simdjson::error_message(error) +
                      ")");
  }
  dom::object request;
  if (document.get_object().get(request) != simdjson::SUCCESS) {
    return make_error("body is not a JSON object");
  }
  uint64_t spans = 0;
  auto resource_spans = optional_array(request, "resourceSpans");
  if (!resource_spans) return std::unexpected(resource_spans.error());
  if (!*resource_spans) return spans;
  for (dom::element resource : **resource_spans) {
    dom::object resource_object;
    if (resource.get_object().get(resource_object) != simdjson::SUCCESS) {
      return make_error("a resourceSpans element is not an object");
    }
    auto scope_spans = optional_array(resource_object, "scopeSpans");
    if (!scope_spans) return std::unexpected(scope_spans.error());
    if (!*scope_spans) continue;
    for (dom::element scope : **scope_spans) {
      dom::object scope_object;
      if (scope.get_object().get(scope_object) != simdjson::SUCCESS) {
        return make_error("a scopeSpans element is not an object");
      }
      auto span_array = optional_array(scope_object, "spans");
      if (!span_array) return std::unexpected(span_array.error());
      if (*span_array) spans += (*span_array)->size();
    }
  }
  return spans;
}

std::string json_line(std::string_view body) {
  constexpr std::string_view kJsonWhitespace = " \t\r\n";
  size_t first = body.find_first_not_of(kJsonWhitespace);
  if (first == std::string_view::npos) return {};
  body = body.substr(first, body.find_last_not_of(kJsonWhitespace) - first + 1);
  std::string line(body);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

std::string status_body(PayloadFormat format, int grpc_code, std::string_view message) {
  if (format == PayloadFormat::kJson) {
    return "{\"code\":" + std::to_string(grpc_code) + ",\"message\":\"" + json_escape(message) +
           "\"}";
  }
  // google/rpc/status.proto: int32 code = 1; string message = 2.
  std::string out;
  out.push_back(0x08);
  append_varint(out, static_cast<uint64_t>(grpc_code));
  out.push_back(0x12);
  append_varint(out, message.size());
  out += message;
  return out;
}

}  // namespace spanprof::receiver
