#include "receiver/request_handler.h"

#include "receiver/content_decoding.h"
#include "receiver/otlp_payload.h"

namespace spanprof::receiver {
namespace {

// google.rpc.Code values for the Status body.
int grpc_code(int http_status) {
  switch (http_status) {
    case 404:
      return 5;  // NOT_FOUND
    case 405:
      return 12;  // UNIMPLEMENTED
    case 413:
      return 8;  // RESOURCE_EXHAUSTED
    case 500:
      return 13;  // INTERNAL
    case 503:
      return 14;  // UNAVAILABLE
    default:
      return 3;  // INVALID_ARGUMENT
  }
}

// Client text quoted in a message: short, printable ASCII (the Status message
// is a protobuf string, which must be UTF-8).
std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 80)) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
  }
  return out + "'";
}

enum class Encoding { kIdentity, kGzip, kUnsupported };

// RFC 9110 8.4: codings listed in the order they were applied; only one gzip is supported.
Encoding content_encoding(const RequestHead& head) {
  Encoding result = Encoding::kIdentity;
  for (const std::string& coding : head.header_tokens("content-encoding")) {
    if (coding == "identity") continue;
    if ((coding != "gzip" && coding != "x-gzip") || result == Encoding::kGzip)
      return Encoding::kUnsupported;
    result = Encoding::kGzip;
  }
  return result;
}

}  // namespace

HttpResponse RequestHandler::error_response(const RequestHead* head, int status,
                                            std::string_view message) {
  HttpResponse response;
  response.status = status;
  std::optional<PayloadFormat> format;
  if (head != nullptr) {
    if (auto type = head->header("content-type")) format = payload_format(*type);
  }
  if (format) {
    response.content_type = std::string(content_type_of(*format));
    response.body = status_body(*format, grpc_code(status), message);
  } else {
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(message) + "\n";
  }
  return response;
}

std::optional<HttpResponse> RequestHandler::check_head(const RequestHead& head,
                                                       const BodyFraming& framing) const {
  if (head.path() != kTracesPath) {
    return error_response(&head, 404,
                          "no such path " + quote(head.path()) +
                              ": spanprof receives OTLP traces at POST /v1/traces");
  }
  if (head.method != "POST") {
    HttpResponse response =
        error_response(&head, 405, "method " + quote(head.method) + " not allowed: use POST");
    response.allow = "POST";
    return response;
  }
  auto content_type = head.header("content-type");
  if (!content_type || !payload_format(*content_type)) {
    return error_response(&head, 415,
                          "unsupported Content-Type " + quote(content_type.value_or("")) +
                              ": send application/x-protobuf or application/json");
  }
  if (content_encoding(head) == Encoding::kUnsupported) {
    return error_response(&head, 415,
                          "unsupported Content-Encoding " +
                              quote(head.header("content-encoding").value_or("")) +
                              ": send gzip or no encoding");
  }
  if (framing.kind == BodyFraming::Kind::kLength && framing.length > max_body_bytes_) {
    return error_response(&head, 413,
                          "body of " + std::to_string(framing.length) +
                              " bytes is over the limit of " + std::to_string(max_body_bytes_));
  }
  return std::nullopt;
}

HandledRequest RequestHandler::handle_body(const RequestHead& head, std::string body) const {
  HandledRequest out;
  PayloadFormat format =
      payload_format(head.header("content-type").value_or("")).value_or(PayloadFormat::kJson);
  if (content_encoding(head) == Encoding::kGzip) {
    auto inflated = gunzip(body, max_body_bytes_);
    if (!inflated) {
      out.response =
          error_response(&head, inflated.error().too_large ? 413 : 400, inflated.error().message);
      return out;
    }
    body = std::move(*inflated);
  }

  if (format == PayloadFormat::kProtobuf && body.size() > kMaxProtobufRecordBytes) {
    out.response = error_response(&head, 413, "protobuf body over 256 MiB: split the batch");
    return out;
  }
  Result<uint64_t> spans =
      format == PayloadFormat::kProtobuf ? count_protobuf_spans(body) : count_json_spans(body);
  if (!spans) {
    out.response = error_response(&head, 400, spans.error().message);
    return out;
  }

  Result<uint64_t> written = format == PayloadFormat::kProtobuf
                                 ? sink_.append_protobuf(body)
                                 : sink_.append_json_line(json_line(body));
  if (!written) {
    out.response = error_response(&head, 500, written.error().to_string());
    return out;
  }
  out.spans = *spans;
  out.bytes_written = *written;
  out.response.status = 200;
  out.response.content_type = std::string(content_type_of(format));
  // An empty ExportTraceServiceResponse: no bytes in protobuf, {} in JSON.
  if (format == PayloadFormat::kJson) out.response.body = "{}";
  return out;
}

}  // namespace spanprof::receiver
