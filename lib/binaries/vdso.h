// The running kernel's vDSO ("[vdso]" in mappings) as a file libdwfl can open.
//
// The vDSO is no file on disk, and `perf record -N` saves no copy of it. Every process of
// one kernel maps the same image, so for captures of this machine's running kernel the
// image mapped into spanprof itself serves: copied once into a memfd, opened by path
// (/proc/self/fd/N), its unwind tables let dwarf unwinding leave clock_gettime & co.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace spanprof::binaries {

class OwnVdso {
 public:
  // nullopt when this process has no vDSO or it cannot be copied.
  static std::optional<OwnVdso> copy();
  OwnVdso(OwnVdso&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  OwnVdso& operator=(OwnVdso&& other) noexcept {
    std::swap(fd_, other.fd_);
    std::swap(path_, other.path_);
    return *this;
  }
  OwnVdso(const OwnVdso&) = delete;
  ~OwnVdso();

  // A path that opens the copy while this object lives.
  const std::string& path() const { return path_; }

 private:
  OwnVdso(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace spanprof::binaries
