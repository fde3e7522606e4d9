#include "common/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace spanprof {

namespace {

Error io_error(std::string_view what, const std::string& path, int err) {
  return Error{fmt::format("cannot {}: {}", what, std::strerror(err)), path,
               "check the directory's permissions and free space"};
}

std::string parent_directory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

Result<void> write_file_durably(const std::string& path, std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  const std::string temporary = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter.fetch_add(1));
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected(io_error("create", temporary, errno));
  auto fail = [&](std::string_view what, const std::string& where) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(temporary.c_str());
    return std::unexpected(io_error(what, where, err));
  };
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", temporary);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return fail("sync", temporary);
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return fail("write", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return fail("rename into place", path);
  // The rename itself is durable only once the directory is synced.
  int dir_fd = ::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

bool is_durable_temporary(std::string_view file_name) {
  size_t at = file_name.rfind(".tmp-");
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view rest = file_name.substr(at + 5);
  size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == rest.size()) return false;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (i != dash && (rest[i] < '0' || rest[i] > '9')) return false;
  }
  return true;
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(fmt::format("cannot open: {}", std::strerror(errno)), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error("not a regular file", path);
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return make_error(fmt::format("{} bytes, more than the {} this file may have", st.st_size,
                                  max_bytes),
                      path, "is this the right file?");
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return make_error(fmt::format("cannot read: {}", std::strerror(err)), path);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      ::close(fd);
      return make_error("grew past its size limit while being read", path);
    }
  }
  ::close(fd);
  return text;
}

}  // namespace spanprof
