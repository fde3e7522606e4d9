// Hands a fuzz input to readers that take a path: an in-memory file (memfd) or
// a pipe, named through /proc/self/fd so nothing touches the disk.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spanprof::fuzz {

inline void write_all(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n <= 0) return;  // a full non-blocking pipe: the rest is dropped
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}

// A regular, seekable file holding exactly the input.
class MemoryFile {
 public:
  explicit MemoryFile(std::span<const uint8_t> bytes) : fd_(::memfd_create("fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    write_all(fd_, bytes);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// A pipe already holding the input, its write end closed: the reader sees a
// non-seekable stream that ends where the input ends. Inputs longer than the
// pipe's capacity (1 MiB when the kernel allows it) are cut there.
class PipeInput {
 public:
  explicit PipeInput(std::span<const uint8_t> bytes) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
    read_fd_ = fds[0];
    // Growing the pipe costs kernel pages on every input: only when the default
    // 64 KiB would not hold it.
    if (bytes.size() > (64 << 10)) ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    write_all(fds[1], bytes);
    ::close(fds[1]);
  }
  ~PipeInput() { ::close(read_fd_); }
  PipeInput(const PipeInput&) = delete;
  PipeInput& operator=(const PipeInput&) = delete;

  // Opening this path gives a new, blocking descriptor for the read end.
  std::string path() const { return "/proc/self/fd/" + std::to_string(read_fd_); }

 private:
  int read_fd_ = -1;
};

// Folds values into a sink the optimizer cannot drop, so every field a reader
// hands out is really read (and AddressSanitizer checks that read).
struct Sink {
  uint64_t value = 0;
  void add(uint64_t v) { value = value * 31 + v; }
  template <class T>
  void add_bytes(std::span<const T> items) {
    for (const T& item : items) add(static_cast<uint64_t>(item));
  }
  void add_text(std::string_view text) {
    for (char c : text) add(static_cast<unsigned char>(c));
  }
  ~Sink() { *static_cast<volatile uint64_t*>(&value) = value; }
};

// Every whitespace-separated token of text that parses as hex, for probing
// lookups at the addresses a text table names.
inline std::vector<uint64_t> hex_tokens(std::string_view text) {
  std::vector<uint64_t> values;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    uint64_t value = 0;
    auto [ptr, error] = std::from_chars(text.data() + start, text.data() + end, value, 16);
    if (error == std::errc{}) values.push_back(value);
    pos = end;
  }
  return values;
}

}  // namespace spanprof::fuzz
