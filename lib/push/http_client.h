// One HTTP POST at a time over libcurl's easy API, reusing the connection.
//
// Takes: a URL, header lines, a body. Gives: the status, the Retry-After
// header and the first bytes of the response body (for error messages), or a
// transport error (refused, timeout, TLS, DNS). TLS peers are verified unless
// the user asked for --insecure. Error texts name the host, never the headers
// (they may carry credentials). Proxies: curl honours http_proxy/https_proxy
// from the user's environment, as curl itself does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

struct HttpOptions {
  int64_t connect_timeout_ms = 10'000;
  int64_t timeout_ms = 60'000;  // the whole request: connect, send, wait, receive
  bool insecure = false;        // skip TLS peer and host verification (--insecure)
  std::string cacert;           // PEM bundle to verify the server with (--cacert)
};

struct HttpResponse {
  long status = 0;
  std::string retry_after;  // value of the Retry-After header, "" if absent
  std::string body;         // at most kMaxKeptBodyBytes of the response body
  std::string content_type;
};

// Enough of an error body for a one-line message; the rest is read and dropped.
inline constexpr size_t kMaxKeptBodyBytes = 4096;

// What names a destination: a URL without its user info, query or fragment.
struct UrlParts {
  std::string scheme;  // "http", "https" (lower case)
  std::string host;    // lower case; IPv6 in brackets
  long port = 0;       // the URL's port, or the scheme's default
  bool port_given = false;  // and not the scheme's default
  std::string path;    // "" for "http://h" and "http://h/"; no trailing '/'
  // scheme://host[:port]path, the port only when the URL gave a non-default one.
  std::string display() const;
};

// Parses url with libcurl's URL parser, so it splits as the client will send.
// An error names no part of the URL (it may hold user info).
Result<UrlParts> split_url(const std::string& url);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // An error is a transport failure: no HTTP status was received.
  Result<HttpResponse> post(const std::string& url, const std::vector<std::string>& header_lines,
                            std::string_view body);

  // The last post() failed in a way sending again cannot fix (TLS verification,
  // a malformed URL): the user has to change something first.
  bool last_failure_permanent() const { return last_failure_permanent_; }

 private:
  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*, kept for connection reuse
  bool last_failure_permanent_ = false;
};

}  // namespace spanprof::push
