// GNU build ids: reading one from an ELF file, and where perf's build-id cache keeps a binary.
#pragma once

#include <string>
#include <string_view>

namespace spanprof::binaries {

// The NT_GNU_BUILD_ID note of the ELF file at path, as lowercase hex; "" when the file
// cannot be read or has no build id.
std::string read_build_id(const std::string& path);

// perf's cache layout (tools/perf/util/build-id.c): <cache>/.build-id/<2 hex>/<rest>/elf,
// a symlink to the copy perf saved when recording. "" when build_id is too short.
std::string build_id_cache_path(std::string_view cache_dir, std::string_view build_id);

// The cache dir perf uses by default: $HOME/.debug ("" without HOME).
std::string default_build_id_cache_dir();

}  // namespace spanprof::binaries
