// HTTP/1.1 responses as bytes.
#pragma once

#include <string>
#include <string_view>

namespace spanprof::receiver {

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::string allow;   // for 405: the Allow header
  bool close = false;  // "Connection: close", and the server closes after it
};

// "OK", "Bad Request"...
std::string_view reason_phrase(int status);

// Status line, headers (Content-Length always) and body.
std::string serialize_response(const HttpResponse& response);

// RFC 9110 10.1.1: the interim answer to "Expect: 100-continue".
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace spanprof::receiver
