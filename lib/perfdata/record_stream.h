// Framing: splits the data section (file mode) or the stream after the 16-byte
// header (pipe mode) into records and unpacks COMPRESSED records. Says nothing
// about what the records mean.
//
// Two sources. A stream (pipe, stdin, a capture perf may still be writing) is
// read() in chunks, and a record is valid until the next call. A regular file is
// mapped in windows, and a record framed from the mapping stays valid until
// release_before() passes its offset: the ordered queue holds such records as
// views instead of copies (dwarf samples carry 8 KB of stack each).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
  // The bytes point into the file mapping and stay valid after next() returns,
  // until release_before() passes file_offset. False for read() chunks and
  // decompressed records: valid until the next call only.
  bool mapped = false;
};

class RecordStream {
 public:
  static constexpr size_t kChunkSize = 2 << 20;
  // Upper bound of decompressed bytes held at once: guards against zstd bombs.
  static constexpr size_t kMaxDecompressed = 256 << 20;

  // Mapped windows: records starting in a window's first kWindowSize bytes are
  // served from it, and it maps kMaxRecordSize more so that none is cut at its
  // edge. 256 MiB keeps the address space small (the corrupt-input suite runs
  // under RLIMIT_AS) and mmap calls few.
  static constexpr uint64_t kWindowSize = 256 << 20;
  static constexpr uint64_t kMaxRecordSize = 64 << 10;  // header.size is a u16
  // Consumed pages are given back in steps of this many bytes (or of a smaller window).
  static constexpr uint64_t kReleaseStep = 1 << 20;

  // Reads `fd` from its current position, which is byte `start_offset` of the
  // file; at most `limit` bytes when given (the data section), else to EOF.
  RecordStream(int fd, uint64_t start_offset, std::optional<uint64_t> limit);

  struct Mapped {
    uint64_t window_size = kWindowSize;  // a multiple of the page size; tests shrink it
  };
  // Maps the regular file `fd` from byte `start_offset`: `limit` bytes, or to the
  // end of the file. The file's size is taken with fstat before each window is
  // mapped, so a file shorter than the header says is damage, as when read().
  // A file truncated while it is being read is out of scope (SIGBUS): perf does
  // not shrink its output. When mmap fails, the rest is read() instead.
  RecordStream(int fd, uint64_t start_offset, std::optional<uint64_t> limit, Mapped mapped);
  ~RecordStream();
  RecordStream(const RecordStream&) = delete;
  RecordStream& operator=(const RecordStream&) = delete;

  // The next record, valid until the next call; nullopt at the end of the data
  // or at damage (see damage()).
  std::optional<RawRecord> next();

  // Skips `n` bytes that follow the record last returned outside its header.size
  // (AUXTRACE's AUX data, pipe mode's HEADER_TRACING_DATA). Bytes of a record
  // unpacked from COMPRESSED data are skipped in the decompressed data, which may
  // continue in the next compressed record. False, with damage naming the record
  // (`record_name`) and its offset, when the data ends first. With `keep`, the
  // skipped bytes are appended to it, except those of a payload that continues in
  // the next COMPRESSED record (keep then holds fewer than n bytes).
  bool skip_payload(uint64_t n, std::string_view record_name,
                    std::vector<std::byte>* keep = nullptr);

  // Gives back the mapped pages that lie wholly before file offset `low` (and
  // before the record last returned): no record before `low` is used again. Cheap
  // when there is nothing to give back; a no-op when reading with read().
  void release_before(uint64_t low) {
    low = low < last_start_ ? low : last_start_;
    if (!windows_.empty() && low >= next_release_at_) release_pages(low);
  }

  const std::optional<Error>& damage() const { return damage_; }
  uint64_t bytes_read() const { return mapped_mode_ ? map_pos_ - start_offset_ : consumed_; }
  bool is_mapped() const { return mapped_mode_; }
  size_t mapped_windows() const { return windows_.size(); }  // held right now
  uint64_t mapped_bytes_released() const { return released_bytes_; }
  uint64_t compressed_records() const { return compressed_records_; }

 private:
  struct Window {
    uint64_t file_start = 0;  // page aligned
    uint64_t length = 0;
    std::byte* base = nullptr;
    uint64_t released_to = 0;  // file offset: pages before it were given back
  };

  bool fill(size_t n);
  // The cursor over either source: ensure(n) makes n bytes at the cursor
  // available when the data holds them; left() says how many are.
  bool ensure(size_t n);
  size_t left() const;
  const std::byte* cursor() const;
  void advance(size_t n);
  uint64_t offset() const {
    return mapped_mode_ ? map_pos_ : start_offset_ + consumed_ - (end_ - pos_);
  }
  bool ended_before_limit() const;
  bool map_window_at(uint64_t pos);
  void read_from_here();
  void release_pages(uint64_t low);
  bool decompress(std::span<const std::byte> record, uint32_t type, uint64_t record_offset);
  void set_damage(std::string message, uint64_t at, std::string hint);
  void payload_missing(uint64_t missing);

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
  uint64_t inner_skip_ = 0;  // payload bytes still to skip in decompressed data

  // The record last returned, for a payload that follows it.
  bool last_from_inner_ = false;
  uint64_t last_offset_ = 0;
  uint64_t payload_size_ = 0;
  std::string payload_owner_;  // e.g. "AUXTRACE"

  bool mapped_mode_ = false;
  uint64_t window_size_ = kWindowSize;
  uint64_t map_pos_ = 0;   // file offset of the cursor
  uint64_t map_end_ = 0;   // where the data ends: the limit or the file's end
  uint64_t data_end_ = 0;  // where the header says the data section ends
  std::vector<Window> windows_;  // in file order; the last one holds the cursor
  uint64_t next_release_at_ = 0;
  uint64_t release_step_ = kReleaseStep;
  uint64_t last_start_ = 0;  // offset of the mapped record last returned: still in use
  uint64_t released_bytes_ = 0;
  size_t page_size_ = 4096;

  bool done_ = false;
  std::optional<Error> damage_;
};

}  // namespace spanprof::perfdata
