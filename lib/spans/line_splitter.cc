#include "spans/line_splitter.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace spanprof::spans {
namespace {

constexpr size_t kInitialCapacity = size_t{1} << 20;
constexpr size_t kReadChunk = size_t{1} << 20;

}  // namespace

LineSplitter::LineSplitter(ByteSource& source, size_t max_line_bytes)
    : source_(source), max_line_bytes_(max_line_bytes) {
  grow(std::min(kInitialCapacity, std::max<size_t>(max_line_bytes_, 4096) + kReadChunk));
}

void LineSplitter::grow(size_t capacity) {
  // Value-initialised: the padding after a line is never uninitialised memory.
  auto bigger = std::make_unique<char[]>(capacity + kLinePadding);
  if (buffer_) std::memcpy(bigger.get(), buffer_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  scanned_ -= begin_;
  begin_ = 0;
  buffer_ = std::move(bigger);
  capacity_ = capacity;
}

Result<bool> LineSplitter::fill() {
  if (at_end_) return false;
  if (end_ == capacity_) {
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      scanned_ -= begin_;
      begin_ = 0;
    }
    // Room for the longest line allowed plus one read, and no more.
    if (end_ == capacity_) grow(std::min(capacity_ * 2, max_line_bytes_ + kReadChunk));
  }
  auto got = source_.read(std::span<char>(buffer_.get() + end_, capacity_ - end_));
  if (!got) return std::unexpected(got.error());
  if (*got == 0) {
    at_end_ = true;
    return false;
  }
  end_ += *got;
  return true;
}

Result<std::optional<Line>> LineSplitter::next() {
  bool skipping = false;  // inside a line that is too long: its bytes are dropped
  while (true) {
    char* data = buffer_.get();
    auto* newline = static_cast<char*>(std::memchr(data + scanned_, '\n', end_ - scanned_));
    if (newline != nullptr) {
      auto line_end = static_cast<size_t>(newline - data);
      size_t start = begin_;
      begin_ = scanned_ = line_end + 1;
      if (skipping || line_end - start > max_line_bytes_) return too_long_line();
      return make_line(start, line_end);
    }
    scanned_ = end_;
    if (end_ - begin_ > max_line_bytes_) {
      skipping = true;
      begin_ = scanned_ = end_ = 0;
    }
    if (at_end_) {
      if (skipping) {
        begin_ = scanned_ = end_;
        return too_long_line();
      }
      if (begin_ == end_) return std::optional<Line>{};
      size_t start = begin_;
      begin_ = scanned_ = end_;
      return make_line(start, end_);
    }
    auto more = fill();
    if (!more) return std::unexpected(more.error());
  }
}

Line LineSplitter::make_line(size_t start, size_t end) {
  const char* data = buffer_.get();
  if (end > start && data[end - 1] == '\r') --end;
  readable_after_ = capacity_ + kLinePadding - end;
  return Line{std::string_view(data + start, end - start), ++line_number_, false};
}

Line LineSplitter::too_long_line() {
  readable_after_ = 0;
  return Line{{}, ++line_number_, true};
}

}  // namespace spanprof::spans
