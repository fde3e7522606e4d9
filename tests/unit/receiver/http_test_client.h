// A raw-socket HTTP/1.1 client for receiver tests: every call is bounded in time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace spanprof::receiver::testing {

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class TestClient {
 public:
  explicit TestClient(uint16_t port, int timeout_ms = 5000) : timeout_ms_(timeout_ms) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~TestClient() { close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // One response (interim 1xx responses included), or nullopt on EOF, error or timeout.
  std::optional<TestResponse> read_response() {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) return std::nullopt;
    }
    std::string head = buffer_.substr(0, head_end);
    buffer_.erase(0, head_end + 4);
    TestResponse response;
    if (head.size() < 12 || !head.starts_with("HTTP/1.1 ")) return std::nullopt;
    response.status = std::stoi(head.substr(9, 3));
    size_t line_start = head.find("\r\n");
    while (line_start != std::string::npos) {
      line_start += 2;
      size_t line_end = head.find("\r\n", line_start);
      std::string line = head.substr(
          line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t value_start = line.find_first_not_of(' ', colon + 1);
        response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
      }
      line_start = line_end;
    }
    size_t length = response.headers.contains("content-length")
                        ? std::stoul(response.headers["content-length"])
                        : 0;
    while (buffer_.size() < length) {
      if (!read_more()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True when the server closes the connection (EOF or reset) within timeout_ms.
  bool closed_by_server(int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return false;
      pollfd fd{fd_, POLLIN, 0};
      int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char byte[4096];
      ssize_t got = ::recv(fd_, byte, sizeof byte, 0);
      if (got <= 0) return true;
    }
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool read_more() {
    pollfd fd{fd_, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&fd, 1, timeout_ms_);
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    char chunk[65536];
    ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  int timeout_ms_;
  std::string buffer_;
};

// A POST with Content-Length.
inline std::string post_request(std::string_view path, std::string_view content_type,
                                std::string_view body, std::string_view extra_headers = "") {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + std::string(content_type) + "\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

// A POST with Transfer-Encoding: chunked and no Content-Length, as the Node SDK sends.
inline std::string chunked_post_request(std::string_view content_type, std::string_view body,
                                        size_t chunk_size, std::string_view extra_headers = "") {
  std::string out =
      "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + std::string(content_type) +
      "\r\n" + std::string(extra_headers) + "Transfer-Encoding: chunked\r\n\r\n";
  char size[32];
  while (!body.empty()) {
    std::string_view chunk = body.substr(0, chunk_size);
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    out += size;
    out += chunk;
    out += "\r\n";
    body.remove_prefix(chunk.size());
  }
  return out + "0\r\n\r\n";
}

}  // namespace spanprof::receiver::testing
