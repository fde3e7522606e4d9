// What the receiver answers to each request, and what it keeps of it.
//
// Takes: a parsed request head, then its body with the transfer framing
// removed. Gives: the response (OTLP/HTTP, otlp.md: 200 with an
// ExportTraceServiceResponse in the request's encoding; 400, 404, 405, 413, 415
// with a google.rpc.Status), after appending accepted bodies to the TraceSink.
// No sockets: the connection code drives it, and tests can call it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "receiver/http_request_parser.h"
#include "receiver/http_response.h"
#include "receiver/trace_sink.h"

namespace spanprof::receiver {

inline constexpr std::string_view kTracesPath = "/v1/traces";

struct HandledRequest {
  HttpResponse response;
  uint64_t spans = 0;          // spans in an accepted request
  uint64_t bytes_written = 0;  // bytes appended to the capture
};

class RequestHandler {
 public:
  RequestHandler(uint64_t max_body_bytes, TraceSink& sink)
      : max_body_bytes_(max_body_bytes), sink_(sink) {}

  // Whatever the head alone decides (404, 405, 415, 413), or nullopt: read the body.
  std::optional<HttpResponse> check_head(const RequestHead& head, const BodyFraming& framing) const;

  // For a request check_head let through, whose body (at most max_body_bytes)
  // was read in full.
  HandledRequest handle_body(const RequestHead& head, std::string body) const;

  // An error response, encoded as the request's Content-Type asks when it is
  // an OTLP one (head may be null: the head did not parse), else plain text.
  static HttpResponse error_response(const RequestHead* head, int status, std::string_view message);

  uint64_t max_body_bytes() const { return max_body_bytes_; }

 private:
  uint64_t max_body_bytes_;
  TraceSink& sink_;
};

}  // namespace spanprof::receiver
