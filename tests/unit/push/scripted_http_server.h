// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the delivery and
// client tests: it answers each request with the next scripted reply and keeps
// what it received. One request per connection ("Connection: close").
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spanprof::push::testing {

struct ScriptedReply {
  int status = 200;
  std::string headers;  // extra lines, each ending "\r\n"
  std::string body;
  bool hang = false;    // read the request, never answer (until the server stops)
};

struct ReceivedRequest {
  std::string request_line;
  std::string headers;  // raw header block
  std::string body;
};

class ScriptedHttpServer {
 public:
  ScriptedHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Replies in order; once used up, every request gets 200.
  void script(std::vector<ScriptedReply> replies) {
    std::lock_guard lock(mutex_);
    for (auto& reply : replies) replies_.push_back(std::move(reply));
  }

  std::vector<ReceivedRequest> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  // Waits up to 50 ms for fd to be readable, so stop_ is noticed.
  static bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 50) > 0;
  }

  void serve() {
    while (!stop_) {
      if (!readable(fd_)) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      handle(client);
      ::close(client);
    }
  }

  void handle(int client) {
    std::string data;
    char buffer[65536];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    while (!stop_) {
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
      if (!readable(client)) continue;
      ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) return;
      data.append(buffer, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        std::string head = data.substr(0, header_end);
        for (std::string name : {"Content-Length: ", "content-length: "}) {
          if (size_t at = head.find(name); at != std::string::npos) {
            content_length = std::stoul(head.substr(at + name.size()));
          }
        }
      }
    }
    if (header_end == std::string::npos) return;
    ReceivedRequest request;
    size_t line_end = data.find("\r\n");
    request.request_line = data.substr(0, line_end);
    request.headers = data.substr(line_end + 2, header_end - line_end - 2);
    request.body = data.substr(header_end + 4, content_length);
    ScriptedReply reply;
    {
      std::lock_guard lock(mutex_);
      received_.push_back(request);
      if (!replies_.empty()) {
        reply = replies_.front();
        replies_.pop_front();
      }
    }
    if (reply.hang) {
      while (!stop_ && !readable(client)) {
      }
      return;
    }
    std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n" +
                           reply.headers + "Content-Length: " + std::to_string(reply.body.size()) +
                           "\r\nConnection: close\r\n\r\n" + reply.body;
    size_t done = 0;
    while (done < response.size()) {
      ssize_t n = ::write(client, response.data() + done, response.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::deque<ScriptedReply> replies_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace spanprof::push::testing
