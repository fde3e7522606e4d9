#include "spans/byte_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace spanprof::spans {
namespace {

class FileSource final : public ByteSource {
 public:
  // `peeked`: bytes already read from a pipe to detect the format; read() hands
  // them out first.
  FileSource(int fd, std::string path, std::string peeked = {})
      : fd_(fd), path_(std::move(path)), peeked_(std::move(peeked)) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<size_t> read(std::span<char> out) override {
    if (peeked_pos_ < peeked_.size()) {
      size_t n = std::min(out.size(), peeked_.size() - peeked_pos_);
      std::memcpy(out.data(), peeked_.data() + peeked_pos_, n);
      peeked_pos_ += n;
      return n;
    }
    while (true) {
      ssize_t got = ::read(fd_, out.data(), out.size());
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      return make_error(std::string("cannot read: ") + std::strerror(errno), path_);
    }
  }

 private:
  int fd_;
  std::string path_;
  std::string peeked_;
  size_t peeked_pos_ = 0;
};

// Reads `size` bytes, fewer only at the end of the stream; -1 with errno on an error.
ssize_t read_up_to(int fd, unsigned char* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = ::read(fd, out + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return got;
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return static_cast<ssize_t>(done);
}

// zlib: windowBits 15 plus 16 selects a gzip header instead of a zlib one.
constexpr int kGzipWindowBits = 15 + 16;
constexpr size_t kInputChunk = 256 * 1024;

class GzipSource final : public ByteSource {
 public:
  GzipSource(std::unique_ptr<ByteSource> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)), input_(kInputChunk) {}
  ~GzipSource() override {
    if (started_) inflateEnd(&stream_);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  Result<size_t> read(std::span<char> out) override {
    if (!started_) {
      int code = inflateInit2(&stream_, kGzipWindowBits);
      if (code != Z_OK) return make_error("cannot start gzip inflate", path_);
      started_ = true;
    }
    // zlib counts in uInt.
    size_t want = std::min<size_t>(out.size(), 1u << 30);
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(want);
    while (stream_.avail_out == want && !finished_) {
      if (stream_.avail_in == 0) {
        auto got = file_->read(input_);
        if (!got) return std::unexpected(got.error());
        if (*got == 0) {
          if (!between_members_) {
            return make_error("gzip data ends early (truncated file)", path_);
          }
          finished_ = true;
          break;
        }
        stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
        stream_.avail_in = static_cast<uInt>(*got);
      }
      if (between_members_) {
        // RFC 1952 allows several members back to back. Anything else after a
        // member (tape padding, say) is ignored, as gunzip does.
        if (stream_.next_in[0] != 0x1f) {
          finished_ = true;
          break;
        }
        inflateReset(&stream_);
        between_members_ = false;
      }
      int code = inflate(&stream_, Z_NO_FLUSH);
      if (code == Z_STREAM_END) {
        between_members_ = true;
      } else if (code != Z_OK && code != Z_BUF_ERROR) {
        std::string message =
            stream_.msg != nullptr ? stream_.msg : "zlib error " + std::to_string(code);
        return make_error("corrupt gzip data: " + message, path_);
      }
    }
    return want - stream_.avail_out;
  }

 private:
  std::unique_ptr<ByteSource> file_;
  std::string path_;
  std::vector<char> input_;
  z_stream stream_{};
  bool started_ = false;
  // After a member's end: the stream may end here, or another member follows.
  bool between_members_ = false;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> open_byte_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(std::string("cannot open span file: ") + std::strerror(errno), path);
  }
  std::array<unsigned char, 2> magic{};
  ssize_t got = ::pread(fd, magic.data(), magic.size(), 0);
  std::string peeked;
  if (got < 0 && errno == ESPIPE) {
    // A pipe (`--spans <(zcat ...)`, /dev/stdin): peek by reading, then replay.
    got = read_up_to(fd, magic.data(), magic.size());
    if (got > 0) peeked.assign(reinterpret_cast<const char*>(magic.data()), static_cast<size_t>(got));
  }
  if (got < 0) {
    int saved = errno;
    ::close(fd);
    return make_error(std::string("cannot read span file: ") + std::strerror(saved), path);
  }
  auto file = std::make_unique<FileSource>(fd, path, std::move(peeked));
  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    return std::make_unique<GzipSource>(std::move(file), path);
  }
  return file;
}

Result<size_t> read_fully(ByteSource& source, std::span<char> out) {
  size_t filled = 0;
  while (filled < out.size()) {
    auto got = source.read(out.subspan(filled));
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;
    filled += *got;
  }
  return filled;
}

}  // namespace spanprof::spans
