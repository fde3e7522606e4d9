#include "binaries/local_debuginfo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "binaries/build_id.h"

namespace spanprof::binaries {
namespace {

// elfutils' DEFAULT_DEBUGINFO_PATH ":.debug:/usr/lib/debug": the file's directory, its
// .debug subdirectory, and the global debug directory mirroring the file's directory.
constexpr const char* kGlobalDebugDir = "/usr/lib/debug";

std::string hex_of(const unsigned char* bits, int len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < len; ++i) {
    hex.push_back(kDigits[bits[i] >> 4]);
    hex.push_back(kDigits[bits[i] & 15]);
  }
  return hex;
}

// The GNU debuglink checksum is zlib's CRC-32 of the whole file (binutils' bfd
// gnu_debuglink_crc32 uses the same polynomial).
bool crc_matches(const std::string& path, GElf_Word expected) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uLong crc = crc32(0L, Z_NULL, 0);
  std::array<unsigned char, 64 * 1024> buffer;
  ssize_t got = 0;
  while ((got = read(fd, buffer.data(), buffer.size())) > 0) {
    crc = crc32(crc, buffer.data(), static_cast<uInt>(got));
  }
  close(fd);
  return got == 0 && static_cast<GElf_Word>(crc) == expected;
}

bool is_same_file(const std::string& path, const struct stat& main) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && st.st_dev == main.st_dev && st.st_ino == main.st_ino;
}

// Where a debuglink name is looked for, for the binary at file_name.
void add_candidates(const std::string& file_name, const std::string& debuglink,
                    std::vector<std::string>& out) {
  std::filesystem::path dir = std::filesystem::path(file_name).parent_path();
  out.push_back((dir / debuglink).string());
  out.push_back((dir / ".debug" / debuglink).string());
  if (dir.is_absolute()) {
    out.push_back(kGlobalDebugDir + dir.string() + "/" + debuglink);
  }
}

}  // namespace

int find_local_debuginfo(Dwfl_Module* mod, void** userdata, const char* modname,
                         Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                         GElf_Word debuglink_crc, char** debuginfo_file_name) {
  int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                        debuglink_crc, debuginfo_file_name);
  if (fd >= 0 || file_name == nullptr || debuglink_file == nullptr) return fd;

  const unsigned char* bits = nullptr;
  GElf_Addr build_id_vaddr = 0;
  int bits_len = dwfl_module_build_id(mod, &bits, &build_id_vaddr);
  std::string build_id = bits_len > 0 ? hex_of(bits, bits_len) : std::string();
  // Without a build id only the CRC can tell the right file; a zero CRC is what libdwfl
  // passes when it looks for a dwz alternate file, whose build id is not the module's.
  if (build_id.empty() && debuglink_crc == 0) return -1;

  struct stat main_stat {};
  stat(file_name, &main_stat);
  std::vector<std::string> candidates;
  add_candidates(file_name, debuglink_file, candidates);
  if (char* real = realpath(file_name, nullptr)) {
    if (std::strcmp(real, file_name) != 0) add_candidates(real, debuglink_file, candidates);
    std::free(real);
  }
  for (const std::string& candidate : candidates) {
    // A debuglink naming the binary itself would make it its own debug file.
    if (is_same_file(candidate, main_stat)) continue;
    bool valid = build_id.empty() ? crc_matches(candidate, debuglink_crc)
                                  : read_build_id(candidate) == build_id;
    if (!valid) continue;
    fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    *debuginfo_file_name = strdup(candidate.c_str());
    return fd;
  }
  return -1;
}

int find_no_elf(Dwfl_Module* /*mod*/, void** /*userdata*/, const char* /*modname*/,
                Dwarf_Addr /*base*/, char** /*file_name*/, Elf** /*elfp*/) {
  return -1;
}

}  // namespace spanprof::binaries
