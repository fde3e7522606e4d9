#include "binaries/vdso.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string_view>

namespace spanprof::binaries {
namespace {

// The size of this process's [vdso] mapping starting at base, from /proc/self/maps.
uint64_t vdso_mapping_size(uint64_t base) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (!std::string_view(line).ends_with("[vdso]")) continue;
    size_t dash = line.find('-');
    size_t space = line.find(' ');
    if (dash == std::string::npos || space == std::string::npos || space < dash) return 0;
    uint64_t start = std::stoull(line.substr(0, dash), nullptr, 16);
    uint64_t end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    return start == base && end > start ? end - start : 0;
  }
  return 0;
}

}  // namespace

std::optional<OwnVdso> OwnVdso::copy() {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  if (base == 0) return std::nullopt;
  uint64_t size = vdso_mapping_size(base);
  if (size == 0) return std::nullopt;
  int fd = memfd_create("spanprof-vdso", MFD_CLOEXEC);
  if (fd < 0) return std::nullopt;
  OwnVdso vdso(fd, "/proc/self/fd/" + std::to_string(fd));
  const char* bytes = reinterpret_cast<const char*>(base);
  for (uint64_t done = 0; done < size;) {
    ssize_t written = write(fd, bytes + done, size - done);
    if (written <= 0) return std::nullopt;
    done += static_cast<uint64_t>(written);
  }
  return vdso;
}

OwnVdso::~OwnVdso() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace spanprof::binaries
