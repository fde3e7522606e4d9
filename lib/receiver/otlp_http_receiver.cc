#include "receiver/otlp_http_receiver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <system_error>
#include <thread>

#include "receiver/http_connection.h"
#include "receiver/receiver_counters.h"
#include "receiver/request_handler.h"
#include "receiver/trace_sink.h"

namespace spanprof::receiver {
namespace {

constexpr int kListenBacklog = 128;
// accept() failing for lack of descriptors or memory is retried after this pause.
constexpr int kAcceptBackoffMs = 100;

std::string errno_text(int error) { return std::strerror(error); }

// The host part of the endpoint URL: a wildcard bind is reached via loopback.
std::string url_host(const std::string& bind_address) {
  if (bind_address.empty() || bind_address == "0.0.0.0") return "127.0.0.1";
  if (bind_address == "::") return "[::1]";
  if (bind_address.find(':') != std::string::npos) return "[" + bind_address + "]";
  return bind_address;
}

class Receiver final : public OtlpHttpReceiver {
 public:
  Receiver(const ReceiverOptions& options, std::unique_ptr<TraceSink> sink)
      : options_(options), sink_(std::move(sink)), handler_(options.max_body_bytes, *sink_) {
    env_.read_timeout_ms = options.read_timeout_ms;
    env_.stop_deadline_ms = &stop_deadline_ms_;
    env_.handler = &handler_;
    env_.counters = &counters_;
  }
  ~Receiver() override { stop(); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  Result<void> listen();
  Result<void> start_accepting();

  uint16_t port() const override { return port_; }
  std::string traces_endpoint() const override {
    return "http://" + url_host(options_.bind_address) + ":" + std::to_string(port_) +
           std::string(kTracesPath);
  }
  void stop() override;
  ReceiverStats stats() const override { return counters_.snapshot(); }

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> finished{false};
  };

  void accept_loop();
  void handle_new_connection(int fd);
  void reap_finished_workers();

  ReceiverOptions options_;
  std::unique_ptr<TraceSink> sink_;
  RequestHandler handler_;
  ReceiverCounters counters_;
  ConnectionEnv env_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int64_t> stop_deadline_ms_{0};
  std::atomic<int> active_connections_{0};
  std::thread accept_thread_;
  // Touched by the accept thread only, and by stop() once that thread is joined.
  std::list<std::unique_ptr<Worker>> workers_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

Result<void> Receiver::listen() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  std::string where = options_.bind_address + ":" + std::to_string(options_.port);
  int code = ::getaddrinfo(options_.bind_address.c_str(), std::to_string(options_.port).c_str(),
                           &hints, &addresses);
  if (code != 0) {
    return make_error(std::string("cannot resolve the receiver address: ") + gai_strerror(code),
                      where);
  }
  int last_error = 0;
  for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
    int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                      address->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, address->ai_addr, address->ai_addrlen) == 0 &&
        ::listen(fd, kListenBacklog) == 0) {
      listen_fd_ = fd;
      break;
    }
    last_error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(addresses);
  if (listen_fd_ < 0) {
    return make_error("cannot listen for OTLP/HTTP: " + errno_text(last_error), where,
                      last_error == EADDRINUSE
                          ? "the port is taken: choose another, or 0 for any free port"
                          : "");
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return make_error("getsockname failed: " + errno_text(errno), where);
  }
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return {};
}

Result<void> Receiver::start_accepting() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return make_error("eventfd failed: " + errno_text(errno));
  env_.wake_fd = wake_fd_;
  try {
    accept_thread_ = std::thread([this] { accept_loop(); });
  } catch (const std::system_error& error) {
    return make_error(std::string("cannot start the receiver thread: ") + error.what());
  }
  return {};
}

void Receiver::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno != EINTR) ::poll(nullptr, 0, kAcceptBackoffMs);
      continue;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ::poll(&fds[1], 1, kAcceptBackoffMs);
      }
      continue;
    }
    handle_new_connection(fd);
  }
}

void Receiver::handle_new_connection(int fd) {
  reap_finished_workers();
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval send_timeout{};
  send_timeout.tv_sec = options_.read_timeout_ms / 1000;
  send_timeout.tv_usec = (options_.read_timeout_ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);

  if (active_connections_.load() >= options_.max_connections) {
    ++counters_.refused_connections;
    HttpResponse busy =
        RequestHandler::error_response(nullptr, 503, "too many connections: retry later");
    busy.close = true;
    std::string bytes = serialize_response(busy);
    // Best effort: the response fits an empty socket buffer.
    [[maybe_unused]] ssize_t sent =
        ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
    return;
  }
  auto& worker = workers_.emplace_back(std::make_unique<Worker>());
  ++active_connections_;
  try {
    worker->thread = std::thread([this, fd, done = &worker->finished] {
      serve_connection(fd, env_);
      --active_connections_;
      done->store(true);
    });
  } catch (const std::system_error&) {
    --active_connections_;
    workers_.pop_back();
    ::close(fd);
  }
}

void Receiver::reap_finished_workers() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if ((*it)->finished.load()) {
      (*it)->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Receiver::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  // Requests in flight get one more read timeout; idle connections close now.
  stop_deadline_ms_.store(steady_now_ms() + options_.read_timeout_ms);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(wake_fd_, &one, sizeof one);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  workers_.clear();
  sink_->close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

}  // namespace

Result<std::unique_ptr<OtlpHttpReceiver>> OtlpHttpReceiver::start(const ReceiverOptions& options) {
  if (options.read_timeout_ms <= 0) return make_error("read_timeout_ms must be positive");
  if (options.max_connections <= 0) return make_error("max_connections must be positive");
  auto sink = TraceSink::open(options.output_dir);
  if (!sink) return std::unexpected(sink.error());
  auto receiver = std::make_unique<Receiver>(options, std::move(*sink));
  if (auto listening = receiver->listen(); !listening) return std::unexpected(listening.error());
  if (auto accepting = receiver->start_accepting(); !accepting) {
    return std::unexpected(accepting.error());
  }
  return std::unique_ptr<OtlpHttpReceiver>(std::move(receiver));
}

}  // namespace spanprof::receiver
