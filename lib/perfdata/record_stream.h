// Framing: splits the data section (file mode) or the stream after the 16-byte
// header (pipe mode) into records, reading in chunks and unpacking COMPRESSED
// records. Says nothing about what the records mean.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.h"

struct ZSTD_DCtx_s;

namespace spanprof::perfdata {

struct RawRecord {
  uint32_t type = 0;
  uint16_t misc = 0;
  std::span<const std::byte> bytes;  // the whole record, header included
  // Where the record starts in the file; records unpacked from COMPRESSED data
  // carry the offset of the compressed record that completed them.
  uint64_t file_offset = 0;
};

class RecordStream {
 public:
  static constexpr size_t kChunkSize = 2 << 20;
  // Upper bound of decompressed bytes held at once: guards against zstd bombs.
  static constexpr size_t kMaxDecompressed = 256 << 20;

  // Reads `fd` from its current position, which is byte `start_offset` of the
  // file; at most `limit` bytes when given (the data section), else to EOF.
  RecordStream(int fd, uint64_t start_offset, std::optional<uint64_t> limit);
  ~RecordStream();
  RecordStream(const RecordStream&) = delete;
  RecordStream& operator=(const RecordStream&) = delete;

  // The next record, valid until the next call; nullopt at the end of the data
  // or at damage (see damage()).
  std::optional<RawRecord> next();

  // Skips `n` bytes that follow the last record outside its size (pipe mode's
  // HEADER_TRACING_DATA payload). False, with damage set, when the data ends first.
  bool skip_payload(uint64_t n);

  const std::optional<Error>& damage() const { return damage_; }
  uint64_t bytes_read() const { return consumed_; }
  uint64_t compressed_records() const { return compressed_records_; }

 private:
  bool fill(size_t n);
  uint64_t offset() const { return start_offset_ + consumed_ - (end_ - pos_); }
  bool decompress(std::span<const std::byte> record, uint32_t type, uint64_t record_offset);
  void set_damage(std::string message, uint64_t at, std::string hint);

  int fd_;
  uint64_t start_offset_;
  std::optional<uint64_t> limit_;
  uint64_t consumed_ = 0;  // bytes read from fd_
  bool eof_ = false;
  std::vector<std::byte> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;

  ZSTD_DCtx_s* dctx_ = nullptr;  // one stream context for the whole capture (perf's rule)
  std::vector<std::byte> inner_;
  size_t inner_pos_ = 0;
  size_t inner_end_ = 0;
  uint64_t inner_offset_ = 0;
  uint64_t compressed_records_ = 0;

  bool done_ = false;
  std::optional<Error> damage_;
};

}  // namespace spanprof::perfdata
