#include "receiver/trace_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace spanprof::receiver {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Writes all of iov, resuming after partial writes and EINTR.
bool write_all(int fd, std::array<iovec, 3> iov) {
  size_t first = 0;
  while (first < iov.size()) {
    if (iov[first].iov_len == 0) {
      ++first;
      continue;
    }
    ssize_t written = ::writev(fd, &iov[first], static_cast<int>(iov.size() - first));
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(written);
    while (first < iov.size() && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

iovec as_iovec(std::string_view bytes) {
  return iovec{const_cast<char*>(bytes.data()), bytes.size()};
}

}  // namespace

TraceSink::TraceSink(std::string dir) : dir_(std::move(dir)) {
  protobuf_.path = dir_ + "/" + std::string(kProtobufFileName);
  json_.path = dir_ + "/" + std::string(kJsonFileName);
}

TraceSink::~TraceSink() { close(); }

Result<std::unique_ptr<TraceSink>> TraceSink::open(const std::string& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    return make_error("cannot use the capture directory: " + errno_text(errno), dir,
                      "create it first");
  }
  if (!S_ISDIR(info.st_mode)) return make_error("not a directory", dir);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return make_error("capture directory is not writable: " + errno_text(errno), dir);
  }
  return std::unique_ptr<TraceSink>(new TraceSink(dir));
}

void TraceSink::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (File* file : {&protobuf_, &json_}) {
    if (file->fd >= 0) ::close(file->fd);
    file->fd = -1;
  }
}

Result<void> TraceSink::ensure_open(File& file) {
  if (file.fd >= 0) return {};
  if (file.broken) return make_error("an earlier write failed and could not be undone", file.path);
  bool created = true;
  int fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    // An earlier run into the same directory: its complete records stay, ours follow.
    created = false;
    fd = ::open(file.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) return make_error("cannot open for appending: " + errno_text(errno), file.path);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int error = errno;
    ::close(fd);
    return make_error("cannot stat: " + errno_text(error), file.path);
  }
  if (created) {
    // The new directory entry must be durable too, or a crash can lose the whole file.
    int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  }
  file.fd = fd;
  file.size = static_cast<uint64_t>(info.st_size);
  return {};
}

Result<uint64_t> TraceSink::append(File& file, std::string_view prefix, std::string_view bytes,
                                   std::string_view suffix) {
  std::lock_guard lock(mutex_);
  if (closed_) return make_error("the receiver is stopping", file.path);
  if (auto opened = ensure_open(file); !opened) return std::unexpected(opened.error());
  uint64_t record_bytes = prefix.size() + bytes.size() + suffix.size();
  if (!write_all(file.fd, {as_iovec(prefix), as_iovec(bytes), as_iovec(suffix)}) ||
      ::fdatasync(file.fd) != 0) {
    int error = errno;
    // Drop whatever part of the record got in: the client is told to retry.
    if (::ftruncate(file.fd, static_cast<off_t>(file.size)) != 0) {
      // The file now ends in a partial record; stop using it rather than add after it.
      ::close(file.fd);
      file.fd = -1;
      file.broken = true;
    }
    return make_error("cannot write spans: " + errno_text(error), file.path);
  }
  file.size += record_bytes;
  return record_bytes;
}

Result<uint64_t> TraceSink::append_protobuf(std::string_view traces_data) {
  if (traces_data.size() > kMaxProtobufRecordBytes) {
    return make_error("protobuf request larger than 256 MiB", protobuf_.path);
  }
  auto length = static_cast<uint32_t>(traces_data.size());
  const char prefix[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
  return append(protobuf_, std::string_view(prefix, 4), traces_data, {});
}

Result<uint64_t> TraceSink::append_json_line(std::string_view line) {
  return append(json_, {}, line, "\n");
}

}  // namespace spanprof::receiver
