#include "binaries/binary_table.h"

#include <sys/stat.h>

#include <functional>
#include <utility>

#include "binaries/build_id.h"

namespace spanprof::binaries {
namespace {

bool is_regular_file(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Names the kernel gives to memory that is not a file ("[vdso]", "[heap]", "//anon",
// "/memfd:jit (deleted)", "anon_inode:..."): not finding them is no news worth a warning.
bool is_pseudo_file(std::string_view name) {
  return name.empty() || name.starts_with('[') || name.starts_with("//") ||
         name.starts_with("/memfd:") || name.starts_with("anon_inode:");
}

}  // namespace

bool is_jit_mapping(const process::Mapping& mapping) {
  std::string_view name = mapping.filename;
  return name.empty() || name.starts_with("//anon") || name.starts_with("[anon") ||
         name.starts_with("/memfd:") || name == "[heap]" || name == "[stack]" ||
         name.starts_with("/tmp/perf-");
}

size_t BinaryTable::KeyHash::operator()(const Key& key) const {
  size_t h = std::hash<std::string_view>{}(key.filename);
  return h ^ (std::hash<std::string_view>{}(key.build_id) + 0x9e3779b97f4a7c15ull + (h << 6) +
              (h >> 2));
}

BinaryTable::BinaryTable(BinaryOptions options) : options_(std::move(options)) {
  if (options_.build_id_cache_dir.empty()) {
    options_.build_id_cache_dir = default_build_id_cache_dir();
  }
}

Binary& BinaryTable::binary_of(const process::Mapping& mapping) {
  auto it = by_key_.find(Key{mapping.filename, mapping.build_id});
  if (it != by_key_.end()) return *it->second;
  Binary& binary = binaries_.emplace_back();
  binary.filename = mapping.filename;
  binary.build_id = mapping.build_id;
  binary.index = static_cast<uint32_t>(binaries_.size() - 1);
  binary.elf = find_file(binary.filename, binary.build_id);
  by_key_.emplace(Key{binary.filename, binary.build_id}, &binary);
  return binary;
}

std::unique_ptr<ElfFile> BinaryTable::try_open(const std::string& path) {
  auto file = ElfFile::open(path, options_.debuginfod);
  if (!file) {
    warnings_.push_back(file.error().to_string() + "; its frames keep raw addresses");
    ++stats_.missing;
    return nullptr;
  }
  ++stats_.opened;
  return std::move(*file);
}

// Only for captures of this machine's running kernel, and when the capture names the
// vDSO's build id, only for that image.
std::unique_ptr<ElfFile> BinaryTable::open_vdso(const std::string& build_id) {
  if (!options_.own_vdso) return nullptr;
  if (!own_vdso_tried_) {
    own_vdso_tried_ = true;
    own_vdso_ = OwnVdso::copy();
  }
  if (!own_vdso_) return nullptr;
  if (!build_id.empty() && read_build_id(own_vdso_->path()) != build_id) return nullptr;
  auto file = ElfFile::open(own_vdso_->path(), options_.debuginfod);
  if (!file) return nullptr;
  ++stats_.opened;
  return std::move(*file);
}

std::unique_ptr<ElfFile> BinaryTable::find_file(const std::string& filename,
                                                const std::string& build_id) {
  if (filename == "[vdso]") return open_vdso(build_id);
  const bool pseudo = is_pseudo_file(filename);
  const bool file_exists = !pseudo && is_regular_file(filename);
  std::string file_build_id;
  if (file_exists) {
    file_build_id = read_build_id(filename);
    if (build_id.empty() || file_build_id == build_id) return try_open(filename);
  }

  // perf record saves each sampled binary in its build-id cache: the copy as it was then.
  if (!build_id.empty()) {
    std::string cached = build_id_cache_path(options_.build_id_cache_dir, build_id);
    if (!cached.empty() && is_regular_file(cached)) {
      auto file = try_open(cached);
      if (file) ++stats_.from_build_id_cache;
      return file;
    }
  }

  if (file_exists) {
    ++stats_.mismatched;
    warnings_.push_back("binary " + filename + " changed since recording (build id " + build_id +
                        ", file has " + (file_build_id.empty() ? "none" : file_build_id) +
                        "); its frames keep raw addresses");
  } else if (!pseudo) {
    ++stats_.missing;
    std::string where = build_id.empty()
                            ? std::string()
                            : " (build id " + build_id + ", not in the build-id cache " +
                                  options_.build_id_cache_dir + " either)";
    warnings_.push_back("binary " + filename + " not found" + where +
                        "; its frames keep raw addresses");
  }
  return nullptr;
}

}  // namespace spanprof::binaries
