// The file-mode header (struct perf_file_header), its attrs and its feature
// sections, and the 16-byte pipe-mode header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

struct FileSection {
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct FileHeader {
  bool pipe_mode = false;
  uint64_t header_size = 0;
  uint64_t attr_size = 0;
  FileSection attrs;
  FileSection data;
  std::array<uint64_t, 4> features{};  // 256-bit HEADER_FEAT_* bitmap

  bool has_feature(uint32_t bit) const { return (features[bit / 64] >> (bit % 64)) & 1; }
};

// Checks the magic and the header size in the first 16 bytes (`got` of them
// were read): pipe mode or file mode. Refuses big-endian captures and non-perf files.
Result<FileHeader> parse_header_prefix(std::span<const std::byte> first, const std::string& path);

// Everything before the data section (file mode): the full header and attrs with
// their ids. `fd` must support pread.
Result<FileHeader> read_file_header(int fd, uint64_t file_size, const std::string& path,
                                    CaptureInfo& info);

// Feature sections after the data section. A broken section is skipped with a
// line in info.warnings; the read goes on.
void read_features(int fd, const FileHeader& header, uint64_t file_size, CaptureInfo& info);

// True when the feature table right after `data_offset` is plausible: used to tell
// a finished capture with an empty data section from one perf never finalized.
bool feature_table_plausible(int fd, const FileHeader& header, uint64_t file_size);

// pread of exactly `size` bytes at `offset`; an error when the file is shorter.
Result<std::vector<std::byte>> read_exact_at(int fd, uint64_t offset, uint64_t size,
                                             const std::string& what);

}  // namespace spanprof::perfdata
