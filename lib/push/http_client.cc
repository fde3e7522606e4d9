#include "push/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace spanprof::push {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t keep_body(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  size_t bytes = size * count;
  size_t room = kMaxKeptBodyBytes - std::min(kMaxKeptBodyBytes, response->body.size());
  response->body.append(data, std::min(bytes, room));
  return bytes;  // the rest is read and dropped, so the connection stays usable
}

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

std::string header_value(std::string_view line, std::string_view name) {
  std::string_view value = line.substr(name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  return std::string(value.substr(0, 256));
}

size_t keep_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  // A new status line (after 100 Continue, or a redirect) starts a new response.
  if (line.starts_with("HTTP/")) {
    response->retry_after.clear();
    response->content_type.clear();
  } else if (header_is(line, "Retry-After")) {
    response->retry_after = header_value(line, "Retry-After");
  } else if (header_is(line, "Content-Type")) {
    response->content_type = header_value(line, "Content-Type");
  }
  return bytes;
}

// "http://host:port" of url, for error messages: no path, query or user info.
std::string origin_of(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? url.npos : end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  return url.substr(0, start) + authority;
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  bool add(const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next == nullptr) return false;
    list = next;
    return true;
  }
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// One part of a parsed URL, "" when the URL has none.
std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string out(value);
  curl_free(value);
  return out;
}

}  // namespace

std::string UrlParts::display() const {
  std::string out = scheme + "://" + host;
  if (port_given) out += fmt::format(":{}", port);
  return out + path;
}

Result<UrlParts> split_url(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (!handle) return make_error("out of memory parsing a URL");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return make_error("not a URL libcurl can parse", {}, "example: http://localhost:4040");
  }
  UrlParts parts;
  parts.scheme = lower(url_part(handle.get(), CURLUPART_SCHEME));
  parts.host = lower(url_part(handle.get(), CURLUPART_HOST));
  std::string given_port = url_part(handle.get(), CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);
  parts.port_given = !given_port.empty();
  std::string port = url_part(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  parts.port = port.empty() ? 0 : std::strtol(port.c_str(), nullptr, 10);
  parts.path = url_part(handle.get(), CURLUPART_PATH);
  while (!parts.path.empty() && parts.path.back() == '/') parts.path.pop_back();
  if (parts.scheme.empty() || parts.host.empty()) {
    return make_error("URL has no scheme or host", {}, "example: http://localhost:4040");
  }
  return parts;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  global_init_once();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::post(const std::string& url,
                                      const std::vector<std::string>& header_lines,
                                      std::string_view body) {
  last_failure_permanent_ = false;
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return make_error("cannot initialise libcurl", {}, "out of memory?");
  curl_easy_reset(curl);

  HeaderList headers;
  for (const std::string& line : header_lines) {
    if (!headers.add(line)) return make_error("cannot build the request headers", {}, "out of memory?");
  }
  // curl would send "Expect: 100-continue" for large bodies and wait for a reply
  // many servers never send; the body goes at once instead.
  if (!headers.add("Expect:")) return make_error("cannot build the request headers", {}, "out of memory?");

  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirected POST would lose its body
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "spanprof-push/" "1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, keep_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.insecure ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.insecure ? 0L : 2L);
  if (!options_.cacert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.cacert.c_str());

  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    std::string hint;
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        hint = "the server did not answer in time; raise --timeout or check the server";
        break;
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
        hint = "check the URL and that the server is running";
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
        last_failure_permanent_ = true;
        hint = "TLS: give the server's CA with --cacert (or --insecure to skip verification)";
        break;
      case CURLE_SSL_CONNECT_ERROR:
        hint = "TLS: give the server's CA with --cacert (or --insecure to skip verification)";
        break;
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        last_failure_permanent_ = true;
        hint = "check the URL";
        break;
      default:
        break;
    }
    return make_error(fmt::format("POST failed: {}", detail), origin_of(url), hint);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace spanprof::push
