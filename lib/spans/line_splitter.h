// Splits a byte stream into lines for a JSON parser that reads ahead: every
// line handed out is followed by at least kLinePadding readable bytes
// (simdjson's SIMDJSON_PADDING), so it can be parsed in place, without a copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "spans/byte_source.h"

namespace spanprof::spans {

inline constexpr size_t kLinePadding = 64;
// A line costs about 7 times its length while parsed (buffer, simdjson's index
// and strings): 64 MiB keeps that under 500 MiB, and matches the receiver's
// largest request body (OtlpHttpReceiver's max_body_bytes), so every request it
// accepted and wrote as a line is read back.
inline constexpr size_t kDefaultMaxLineBytes = size_t{64} << 20;

struct Line {
  std::string_view text;  // without the '\n' (and a '\r' before it)
  uint64_t number = 0;    // 1-based
  bool too_long = false;  // longer than max_line_bytes: text is empty, the line was skipped
};

class LineSplitter {
 public:
  explicit LineSplitter(ByteSource& source, size_t max_line_bytes = kDefaultMaxLineBytes);

  // The next line, or nullopt at the end of the stream. A read error ends the
  // stream with that error; the lines before it were handed out already.
  Result<std::optional<Line>> next();

  // Allocated bytes after the text of the line last returned (for tests).
  size_t readable_after_last_line() const { return readable_after_; }

 private:
  // Reads more into the buffer, growing it when full; false at the end.
  Result<bool> fill();
  void grow(size_t capacity);
  Line make_line(size_t start, size_t end);
  Line too_long_line();

  ByteSource& source_;
  size_t max_line_bytes_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;  // usable bytes; kLinePadding more are allocated
  size_t begin_ = 0;     // start of the unread data
  size_t end_ = 0;       // end of the data read so far
  size_t scanned_ = 0;   // [begin_, scanned_) holds no '\n'
  bool at_end_ = false;
  uint64_t line_number_ = 0;
  size_t readable_after_ = 0;
};

}  // namespace spanprof::spans
