#include "receiver/http_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "receiver/http_request_parser.h"
#include "receiver/http_response.h"

namespace spanprof::receiver {
namespace {

constexpr size_t kReadStep = 64 * 1024;
// After a response that closes the connection, unread request bytes are
// drained this long, so the kernel does not answer them with a reset that
// could destroy the response before the client reads it.
constexpr int kLingerMs = 1000;

// Bytes received and not yet consumed; consumed bytes are dropped from the front.
class InputBuffer {
 public:
  std::string_view view() const { return std::string_view(bytes_).substr(start_); }
  size_t size() const { return bytes_.size() - start_; }
  bool empty() const { return size() == 0; }
  void append(const char* data, size_t size) { bytes_.append(data, size); }
  void clear() {
    bytes_.clear();
    start_ = 0;
  }
  void consume(size_t count) {
    start_ += count;
    if (start_ == bytes_.size()) {
      clear();
    } else if (start_ > kReadStep && start_ > bytes_.size() / 2) {
      bytes_.erase(0, start_);
      start_ = 0;
    }
  }

 private:
  std::string bytes_;
  size_t start_ = 0;
};

enum class ReadResult { kData, kEof, kTimeout, kStopped, kError };
enum class BodyResult { kOk, kTooLarge, kMalformed, kAborted };

class Connection {
 public:
  Connection(int fd, const ConnectionEnv& env) : fd_(fd), env_(env), read_buffer_(kReadStep) {}
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void serve();

 private:
  bool serve_one_request();
  ReadResult read_more(bool idle, int64_t deadline_ms);
  ReadResult read_more(bool idle) {
    return read_more(idle, steady_now_ms() + env_.read_timeout_ms);
  }
  BodyResult read_body(const BodyFraming& framing, std::string& body, std::string& error);
  bool stopping() const { return env_.stop_deadline_ms->load() != 0; }
  // Sends the response; false when the connection must end after it.
  bool respond(HttpResponse response, bool keep_alive);
  bool send_all(std::string_view bytes);
  void linger();

  int fd_;
  const ConnectionEnv& env_;
  InputBuffer in_;
  std::vector<char> read_buffer_;
  uint64_t requests_served_ = 0;
};

void Connection::serve() {
  while (serve_one_request()) {
  }
}

ReadResult Connection::read_more(bool idle, int64_t deadline_ms) {
  for (;;) {
    int64_t stop_deadline = env_.stop_deadline_ms->load();
    bool is_stopping = stop_deadline != 0;
    int64_t now = steady_now_ms();
    int64_t until = deadline_ms;
    // Once stopping, an idle connection only takes what already arrived, and a
    // request in flight has until the stop deadline.
    if (is_stopping) until = idle ? now : std::min(until, stop_deadline);
    int timeout = static_cast<int>(std::clamp<int64_t>(until - now, 0, INT_MAX));
    pollfd fds[2] = {{fd_, POLLIN, 0}, {env_.wake_fd, POLLIN, 0}};
    // The wake fd stays readable once stop() began: stop watching it then.
    int ready = ::poll(fds, is_stopping ? 1 : 2, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return ReadResult::kError;
    }
    if (fds[0].revents != 0) {
      ssize_t got = ::recv(fd_, read_buffer_.data(), read_buffer_.size(), 0);
      if (got > 0) {
        in_.append(read_buffer_.data(), static_cast<size_t>(got));
        return ReadResult::kData;
      }
      if (got == 0) return ReadResult::kEof;
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return ReadResult::kError;
    }
    if (!is_stopping && fds[1].revents != 0) continue;  // stop began: recompute the deadline
    if (steady_now_ms() >= until) {
      return is_stopping && idle ? ReadResult::kStopped : ReadResult::kTimeout;
    }
  }
}

BodyResult Connection::read_body(const BodyFraming& framing, std::string& body,
                                 std::string& error) {
  uint64_t limit = env_.handler->max_body_bytes();
  switch (framing.kind) {
    case BodyFraming::Kind::kNone:
      return BodyResult::kOk;
    case BodyFraming::Kind::kLength: {
      if (framing.length > limit) return BodyResult::kTooLarge;
      // The length is the client's claim: grow as bytes arrive instead of trusting it.
      body.reserve(static_cast<size_t>(std::min<uint64_t>(framing.length, 1 << 20)));
      uint64_t remaining = framing.length;
      while (remaining > 0) {
        if (in_.empty() && read_more(false) != ReadResult::kData) return BodyResult::kAborted;
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, in_.size()));
        body.append(in_.view().substr(0, take));
        in_.consume(take);
        remaining -= take;
      }
      return BodyResult::kOk;
    }
    case BodyFraming::Kind::kChunked: {
      ChunkedDecoder decoder;
      for (;;) {
        if (!in_.empty()) {
          auto consumed = decoder.feed(in_.view(), body);
          if (!consumed) {
            error = consumed.error().message;
            return BodyResult::kMalformed;
          }
          in_.consume(*consumed);
          if (body.size() > limit || decoder.chunk_remaining() > limit - body.size()) {
            return BodyResult::kTooLarge;
          }
          if (decoder.done()) return BodyResult::kOk;
        }
        if (read_more(false) != ReadResult::kData) return BodyResult::kAborted;
      }
    }
  }
  return BodyResult::kOk;
}

bool Connection::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    // SO_SNDTIMEO (set at accept) bounds a client that does not read.
    ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

void Connection::linger() {
  ::shutdown(fd_, SHUT_WR);
  int64_t deadline = steady_now_ms() + std::min(env_.read_timeout_ms, kLingerMs);
  in_.clear();
  while (read_more(true, deadline) == ReadResult::kData) in_.clear();
}

bool Connection::respond(HttpResponse response, bool keep_alive) {
  if (!keep_alive || stopping()) response.close = true;
  env_.counters->count_response(response.status);
  bool sent = send_all(serialize_response(response));
  if (!sent) return false;
  ++requests_served_;
  if (response.close) {
    linger();
    return false;
  }
  return true;
}

bool Connection::serve_one_request() {
  std::optional<size_t> head_end;
  size_t scanned = 0;
  while (!(head_end = find_head_end(in_.view(), scanned))) {
    if (in_.size() > kMaxHeadBytes) break;
    scanned = in_.size();
    bool idle = in_.empty();
    ReadResult result = read_more(idle);
    if (result == ReadResult::kData) continue;
    // A client that closes between requests is done; one that closes or falls
    // silent mid-request, or connects and never speaks, aborted.
    bool silent_from_start = result == ReadResult::kTimeout && requests_served_ == 0;
    if (!idle || silent_from_start) ++env_.counters->aborted;
    return false;
  }
  ++env_.counters->requests;
  if (!head_end || *head_end > kMaxHeadBytes) {
    respond(RequestHandler::error_response(nullptr, 431, "header section over 64 KiB"), false);
    return false;
  }
  auto head = parse_request_head(in_.view().substr(0, *head_end));
  in_.consume(*head_end);
  if (!head) {
    respond(RequestHandler::error_response(nullptr, 400, head.error().message), false);
    return false;
  }
  auto framing = body_framing(*head);
  if (!framing) {
    respond(RequestHandler::error_response(&*head, 400, framing.error().message), false);
    return false;
  }
  bool keep_alive = head->keep_alive();
  bool expects_continue = head->minor_version >= 1 &&
                          head->header_has_token("expect", "100-continue") &&
                          framing->kind != BodyFraming::Kind::kNone;

  std::string body;
  std::string error;
  if (auto rejection = env_.handler->check_head(*head, *framing)) {
    // Read and drop the body to keep the connection usable, unless the client
    // waits for a 100 Continue that will not come, or the body is too large.
    bool drain = !expects_continue && rejection->status != 413;
    if (drain) {
      BodyResult result = read_body(*framing, body, error);
      if (result == BodyResult::kAborted) {
        ++env_.counters->aborted;
        return false;
      }
      if (result != BodyResult::kOk) keep_alive = false;
    }
    return respond(std::move(*rejection), keep_alive && drain);
  }

  if (expects_continue && !send_all(kContinueResponse)) {
    ++env_.counters->aborted;
    return false;
  }
  switch (read_body(*framing, body, error)) {
    case BodyResult::kAborted:
      // Nothing of this request was written: the sink only sees complete bodies.
      ++env_.counters->aborted;
      return false;
    case BodyResult::kMalformed:
      respond(RequestHandler::error_response(&*head, 400, "bad chunked framing: " + error), false);
      return false;
    case BodyResult::kTooLarge:
      respond(RequestHandler::error_response(&*head, 413,
                                             "body over the limit of " +
                                                 std::to_string(env_.handler->max_body_bytes()) +
                                                 " bytes"),
              false);
      return false;
    case BodyResult::kOk:
      break;
  }
  HandledRequest handled = env_.handler->handle_body(*head, std::move(body));
  if (handled.response.status == 200) {
    env_.counters->spans += handled.spans;
    env_.counters->bytes_written += handled.bytes_written;
  }
  return respond(std::move(handled.response), keep_alive);
}

}  // namespace

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void serve_connection(int fd, const ConnectionEnv& env) {
  Connection connection(fd, env);
  try {
    connection.serve();
  } catch (const std::exception&) {
    // Out of memory for a body: this connection ends, the receiver serves on.
    ++env.counters->aborted;
  }
}

}  // namespace spanprof::receiver
