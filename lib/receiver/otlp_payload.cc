#include "receiver/otlp_payload.h"

#include "receiver/http_request_parser.h"
#include "spans/otlp_json_reader.h"
#include "spans/otlp_proto_reader.h"

namespace spanprof::receiver {
namespace {

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
  spans::SpanSet decoded;
  spans::SpanReadStats stats;
  if (auto read = spans::decode_otlp_proto_message(body, {}, decoded, stats); !read) {
    // The reader's only other reason, a message over 256 MiB, gets a 413 before this.
    return make_error("body is not a protobuf ExportTraceServiceRequest");
  }
  return stats.spans + stats.bad_spans;
}

Result<uint64_t> count_json_spans(std::string_view body) {
  spans::SpanSet decoded;
  spans::SpanReadStats stats;
  if (auto read = spans::decode_otlp_json_document(json_line(body), {}, decoded, stats); !read) {
    // The reader's reasons: "not valid JSON (...)", "not valid UTF-8", or the field at fault.
    const std::string& reason = read.error().message;
    return make_error(reason.starts_with("not ") ? "body is " + reason
                                                 : "body is not OTLP JSON: " + reason);
  }
  return stats.spans + stats.bad_spans;
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
