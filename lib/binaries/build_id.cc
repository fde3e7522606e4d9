#include "binaries/build_id.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cstdlib>

namespace spanprof::binaries {

std::string read_build_id(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  elf_version(EV_CURRENT);
  std::string hex;
  if (Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    const void* bits = nullptr;
    ssize_t len = dwelf_elf_gnu_build_id(elf, &bits);
    static constexpr char kDigits[] = "0123456789abcdef";
    const auto* bytes = static_cast<const unsigned char*>(bits);
    for (ssize_t i = 0; i < len; ++i) {
      hex.push_back(kDigits[bytes[i] >> 4]);
      hex.push_back(kDigits[bytes[i] & 15]);
    }
    elf_end(elf);
  }
  close(fd);
  return hex;
}

std::string build_id_cache_path(std::string_view cache_dir, std::string_view build_id) {
  if (build_id.size() < 3 || cache_dir.empty()) return {};
  std::string path(cache_dir);
  path += "/.build-id/";
  path += build_id.substr(0, 2);
  path += '/';
  path += build_id.substr(2);
  path += "/elf";
  return path;
}

std::string default_build_id_cache_dir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return {};
  return std::string(home) + "/.debug";
}

}  // namespace spanprof::binaries
