// The OTLP/HTTP receiver's request path over a byte stream, as a connection runs
// it but without sockets: head, framing, chunked body, check_head, handle_body
// (gzip, payload decoding, the append to span files), the response bytes.
// Pipelined requests are handled in turn.
//
// Two oracles besides the sanitizers: a chunked body fed in small pieces must
// decode as it does fed whole, and every request answered 200 must read back
// from the span files without a bad line (an acknowledged batch `spanprof join`
// cannot read would be lost silently).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz_input.h"
#include "quiet_protobuf.h"
#include "receiver/http_request_parser.h"
#include "receiver/http_response.h"
#include "receiver/request_handler.h"
#include "receiver/trace_sink.h"
#include "spans/span_reader.h"

namespace {

using namespace spanprof::receiver;

[[noreturn]] void oracle_failed(const char* what) {
  std::fprintf(stderr, "http_request oracle failed: %s\n", what);
  std::abort();
}

// A capture directory of this process's own on tmpfs, emptied after each input
// and removed at exit.
class CaptureDir {
 public:
  CaptureDir() {
    std::error_code error;
    path_ = std::filesystem::exists("/dev/shm", error) ? std::filesystem::path("/dev/shm")
                                                       : std::filesystem::temp_directory_path();
    remove_stale(path_);
    path_ /= std::string(kPrefix) + std::to_string(::getpid());
    std::filesystem::create_directories(path_);
  }
  ~CaptureDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  CaptureDir(const CaptureDir&) = delete;
  CaptureDir& operator=(const CaptureDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  static constexpr std::string_view kPrefix = "spanprof-fuzz-http-";

  // A run that crashed (or a libFuzzer -fork job that was killed) left its
  // directory behind: remove those whose process is gone.
  static void remove_stale(const std::filesystem::path& parent) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
      std::string name = entry.path().filename().string();
      if (!name.starts_with(kPrefix)) continue;
      pid_t pid = static_cast<pid_t>(std::atoi(name.c_str() + kPrefix.size()));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
        std::filesystem::remove_all(entry.path(), error);
      }
    }
  }

  std::filesystem::path path_;
};

const std::filesystem::path& capture_dir() {
  static const CaptureDir dir;
  return dir.path();
}

void touch_head(const RequestHead& head, spanprof::fuzz::Sink& sink) {
  sink.add_text(head.method);
  sink.add_text(head.path());
  sink.add(static_cast<uint64_t>(head.keep_alive()));
  sink.add(static_cast<uint64_t>(head.header_has_token("expect", "100-continue")));
  for (const auto& token : head.header_tokens("content-encoding")) sink.add_text(token);
  sink.add_text(media_type(head.header("content-type").value_or("")));
  for (const auto& header : head.headers) {
    sink.add_text(header.name);
    sink.add_text(header.value);
  }
}

// The chunked body at the front of `in`: decoded whole and in pieces, which must
// agree. False when it is malformed or incomplete.
bool decode_chunked(std::string_view& in, size_t piece, std::string& body) {
  ChunkedDecoder whole;
  auto consumed = whole.feed(in, body);

  ChunkedDecoder pieces;
  std::string pieces_body;
  size_t pieces_consumed = 0;
  bool pieces_failed = false;
  while (pieces_consumed < in.size() && !pieces.done()) {
    std::string_view next = in.substr(pieces_consumed, piece);
    auto step = pieces.feed(next, pieces_body);
    if (!step) {
      pieces_failed = true;
      break;
    }
    if (*step != next.size() && !pieces.done()) oracle_failed("feed stopped short before done()");
    pieces_consumed += *step;
  }
  if (!consumed != pieces_failed) oracle_failed("chunked: whole and piecewise disagree on errors");
  if (!consumed) return false;
  if (whole.done() != pieces.done()) oracle_failed("chunked: whole and piecewise disagree on done");
  if (body != pieces_body) oracle_failed("chunked: whole and piecewise bodies differ");
  if (whole.done() && *consumed != pieces_consumed) {
    oracle_failed("chunked: whole and piecewise consumed different byte counts");
  }
  if (!whole.done()) return false;
  in.remove_prefix(*consumed);
  return true;
}

// Reads back what the sink wrote; every accepted request must be one good line.
void check_written(uint64_t accepted) {
  uint64_t lines = 0;
  for (std::string_view name : {kProtobufFileName, kJsonFileName}) {
    std::filesystem::path path = capture_dir() / name;
    if (!std::filesystem::exists(path)) continue;
    spanprof::spans::SpanSet set;
    spanprof::spans::SpanReadStats stats;
    auto read = spanprof::spans::read_span_file(path.string(), {}, set, stats);
    if (!read || stats.bad_lines != 0 || stats.files_cut_short != 0) {
      for (const auto& problem : stats.problems) std::fprintf(stderr, "%s\n", problem.c_str());
      oracle_failed("an accepted request does not read back from its span file");
    }
    lines += stats.lines;
    std::filesystem::remove(path);
  }
  if (lines != accepted) oracle_failed("accepted requests and lines written differ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte sets the size of the pieces chunked bodies are fed in.
  const size_t piece = 1 + data[0] % 16;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto sink = TraceSink::open(capture_dir().string());
  if (!sink) std::abort();
  RequestHandler handler(1 << 20, **sink);
  spanprof::fuzz::Sink touched;
  uint64_t accepted = 0;

  for (int request = 0; request < 8 && !in.empty(); ++request) {
    auto head_end = find_head_end(in);
    if (!head_end) break;
    if (*head_end > in.size()) oracle_failed("head end past the input");
    auto head = parse_request_head(in.substr(0, *head_end));
    in.remove_prefix(*head_end);
    if (!head) {
      touched.add_text(serialize_response(RequestHandler::error_response(nullptr, 400, head.error().message)));
      break;
    }
    touch_head(*head, touched);
    auto framing = body_framing(*head);
    if (!framing) break;

    std::string body;
    if (framing->kind == BodyFraming::Kind::kLength) {
      if (framing->length > in.size()) break;  // the client would still be sending
      body = std::string(in.substr(0, framing->length));
      in.remove_prefix(framing->length);
    } else if (framing->kind == BodyFraming::Kind::kChunked) {
      if (!decode_chunked(in, piece, body)) break;
    }

    if (auto rejection = handler.check_head(*head, *framing)) {
      touched.add_text(serialize_response(*rejection));
      continue;
    }
    HandledRequest handled = handler.handle_body(*head, std::move(body));
    touched.add_text(serialize_response(handled.response));
    if (handled.response.status == 200) ++accepted;
  }
  (*sink)->close();
  check_written(accepted);
  return 0;
}
