#include "perfdata/record_stream.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::perfdata {
namespace {

constexpr const char* kCutShortHint =
    "the capture was cut short (crash or full disk?); everything before it is used";
constexpr const char* kCorruptHint = "the capture is corrupt from here on; everything before it is used";

struct RecordHeader {
  uint32_t type;
  uint16_t misc;
  uint16_t size;
};

RecordHeader header_of(const std::byte* p) {
  ByteReader in(std::span<const std::byte>(p, abi::kRecordHeaderSize));
  RecordHeader h;
  h.type = in.u32();
  h.misc = in.u16();
  h.size = in.u16();
  return h;
}

}  // namespace

RecordStream::RecordStream(int fd, uint64_t start_offset, std::optional<uint64_t> limit)
    : fd_(fd),
      start_offset_(start_offset),
      limit_(limit),
      // A small data section needs no full chunk; fill() grows the buffer for a
      // record larger than it.
      buf_(static_cast<size_t>(std::clamp<uint64_t>(limit.value_or(kChunkSize), 4096, kChunkSize))) {}

RecordStream::RecordStream(int fd, uint64_t start_offset, std::optional<uint64_t> limit,
                           Mapped mapped)
    : fd_(fd), start_offset_(start_offset), limit_(limit) {
  struct stat st {};
  long page = ::sysconf(_SC_PAGESIZE);
  if (page > 0) page_size_ = static_cast<size_t>(page);
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    read_from_here();  // the reader checked; should it fail, read() still works
    return;
  }
  mapped_mode_ = true;
  window_size_ = std::max<uint64_t>((mapped.window_size + page_size_ - 1) / page_size_ * page_size_,
                                    page_size_);
  release_step_ = std::min(kReleaseStep, window_size_);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();
  if (limit_) {
    data_end_ = *limit_ > kNoEnd - start_offset_ ? kNoEnd : start_offset_ + *limit_;
  } else {
    data_end_ = std::max(file_size, start_offset_);
  }
  map_pos_ = start_offset_;
  map_end_ = std::max(std::min(data_end_, file_size), map_pos_);
  last_start_ = map_pos_;
}

RecordStream::~RecordStream() {
  if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
  for (const Window& w : windows_) ::munmap(w.base, w.length);
}

void RecordStream::read_from_here() {
  // Continue with read() where the mapping stopped; windows already mapped stay
  // until released, as records queued from them still point there.
  const uint64_t at = mapped_mode_ ? map_pos_ : start_offset_;
  if (mapped_mode_) {
    consumed_ = at - start_offset_;  // as if read() had got this far
    mapped_mode_ = false;
    last_start_ = std::numeric_limits<uint64_t>::max();
    if (::lseek(fd_, static_cast<off_t>(at), SEEK_SET) < 0) {
      set_damage(std::string("cannot seek: ") + std::strerror(errno), at,
                 "everything before it is used");
    }
  }
  buf_.resize(static_cast<size_t>(std::clamp<uint64_t>(limit_.value_or(kChunkSize), 4096, kChunkSize)));
}

bool RecordStream::map_window_at(uint64_t pos) {
  // The size again, right before mapping: pages past the end of the file would
  // raise SIGBUS when touched, so the window never reaches beyond it.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    read_from_here();
    return false;
  }
  map_end_ = std::max(std::min(data_end_, static_cast<uint64_t>(st.st_size)), pos);
  const uint64_t file_start = pos / page_size_ * page_size_;
  const uint64_t length = std::min(window_size_ + kMaxRecordSize, map_end_ - file_start);
  if (map_end_ == pos) return true;  // nothing left to map: the caller sees left() == 0
  void* base = ::mmap(nullptr, static_cast<size_t>(length), PROT_READ, MAP_PRIVATE, fd_,
                      static_cast<off_t>(file_start));
  if (base == MAP_FAILED) {
    read_from_here();
    return false;
  }
  ::madvise(base, static_cast<size_t>(length), MADV_SEQUENTIAL);
  windows_.push_back(Window{file_start, length, static_cast<std::byte*>(base), file_start});
  return true;
}

void RecordStream::release_pages(uint64_t low) {
  const uint64_t page_low = low / page_size_ * page_size_;
  size_t unmapped = 0;
  for (size_t i = 0; i < windows_.size(); ++i) {
    Window& w = windows_[i];
    const uint64_t map_end = w.file_start + w.length;
    // Records starting before the next window's start were framed from this one.
    if (i + 1 < windows_.size() && low >= windows_[i + 1].file_start) {
      ::munmap(w.base, static_cast<size_t>(w.length));
      released_bytes_ += map_end - std::min(map_end, w.released_to);
      ++unmapped;
      continue;
    }
    const uint64_t to = std::min(page_low, w.file_start + w.length / page_size_ * page_size_);
    if (to > w.released_to) {
      // MAP_PRIVATE pages never written: dropping them costs a re-read from the
      // page cache at worst, never data.
      ::madvise(w.base + (w.released_to - w.file_start), static_cast<size_t>(to - w.released_to),
                MADV_DONTNEED);
      released_bytes_ += to - w.released_to;
      w.released_to = to;
    }
  }
  windows_.erase(windows_.begin(), windows_.begin() + static_cast<long>(unmapped));
  next_release_at_ = page_low > std::numeric_limits<uint64_t>::max() - release_step_
                         ? std::numeric_limits<uint64_t>::max()
                         : page_low + release_step_;
}

bool RecordStream::ensure(size_t n) {
  if (!mapped_mode_) return fill(n);
  if (map_end_ - map_pos_ < n) return false;
  if (!windows_.empty()) {
    const Window& w = windows_.back();
    if (map_pos_ >= w.file_start && map_pos_ + n <= w.file_start + w.length) return true;
  }
  if (!map_window_at(map_pos_)) return mapped_mode_ ? false : fill(n);
  return map_end_ - map_pos_ >= n;
}

size_t RecordStream::left() const {
  if (!mapped_mode_) return end_ - pos_;
  return static_cast<size_t>(std::min<uint64_t>(map_end_ - map_pos_, std::numeric_limits<size_t>::max()));
}

const std::byte* RecordStream::cursor() const {
  if (!mapped_mode_) return buf_.data() + pos_;
  const Window& w = windows_.back();
  return w.base + (map_pos_ - w.file_start);
}

void RecordStream::advance(size_t n) {
  if (mapped_mode_) {
    map_pos_ += n;
  } else {
    pos_ += n;
  }
}

bool RecordStream::ended_before_limit() const {
  if (mapped_mode_) return limit_.has_value() && map_end_ < data_end_;
  return limit_.has_value() && consumed_ < *limit_;
}

void RecordStream::set_damage(std::string message, uint64_t at, std::string hint) {
  if (!damage_) {
    damage_ = Error{std::move(message), "perf.data byte offset " + std::to_string(at),
                    std::move(hint)};
  }
  done_ = true;
}

bool RecordStream::fill(size_t n) {
  if (end_ - pos_ >= n) return true;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (buf_.size() < n) buf_.resize(n);
  while (end_ - pos_ < n && !eof_) {
    size_t want = buf_.size() - end_;
    if (limit_) want = static_cast<size_t>(std::min<uint64_t>(want, *limit_ - consumed_));
    if (want == 0) {
      eof_ = true;
      break;
    }
    ssize_t got = ::read(fd_, buf_.data() + end_, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      set_damage(std::string("read failed: ") + std::strerror(errno), start_offset_ + consumed_,
                 "everything before it is used");
      eof_ = true;
      break;
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(got);
    consumed_ += static_cast<uint64_t>(got);
  }
  return end_ - pos_ >= n;
}

void RecordStream::payload_missing(uint64_t missing) {
  set_damage(payload_owner_ + " record at byte offset " + std::to_string(last_offset_) +
                 " is followed by a payload of " + std::to_string(payload_size_) +
                 " bytes, but the data ends " + std::to_string(missing) + " bytes short of it",
             last_offset_, kCutShortHint);
}

bool RecordStream::skip_payload(uint64_t n, std::string_view record_name,
                                std::vector<std::byte>* keep) {
  payload_owner_ = record_name;
  payload_size_ = n;
  if (last_from_inner_) {
    const uint64_t take = std::min<uint64_t>(n, inner_end_ - inner_pos_);
    if (keep != nullptr && take == n) {
      keep->insert(keep->end(), inner_.data() + inner_pos_, inner_.data() + inner_pos_ + take);
    }
    inner_pos_ += static_cast<size_t>(take);
    inner_skip_ = n - take;  // the rest comes with the next compressed record
    return true;
  }
  if (mapped_mode_) {
    if (map_end_ - map_pos_ < n) {
      const uint64_t missing = n - (map_end_ - map_pos_);
      map_pos_ = map_end_;
      payload_missing(missing);
      return false;
    }
    if (keep != nullptr) {
      // The window holds only kMaxRecordSize past a record: read the payload instead.
      const size_t old_size = keep->size();
      keep->resize(old_size + static_cast<size_t>(n));
      size_t got = 0;
      while (got < n) {
        ssize_t r = ::pread(fd_, keep->data() + old_size + got, static_cast<size_t>(n) - got,
                            static_cast<off_t>(map_pos_ + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<size_t>(r);
      }
      keep->resize(old_size + got);
    }
    map_pos_ += n;
    return true;
  }
  while (n > 0) {
    if (end_ == pos_ && !fill(1)) {
      payload_missing(n);
      return false;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
    if (keep != nullptr) keep->insert(keep->end(), buf_.data() + pos_, buf_.data() + pos_ + take);
    pos_ += take;
    n -= take;
  }
  return true;
}

bool RecordStream::decompress(std::span<const std::byte> record, uint32_t type,
                              uint64_t record_offset) {
  ByteReader in(record, record_offset);
  in.skip(abi::kRecordHeaderSize);
  std::span<const std::byte> payload;
  if (type == abi::kCompressed2) {
    // COMPRESSED2: header, u64 data_size, data padded to 8 bytes.
    uint64_t data_size = in.u64();
    if (!in.ok() || data_size > in.remaining()) {
      set_damage("compressed record at byte offset " + std::to_string(record_offset) + " claims " +
                     std::to_string(data_size) + " bytes of data but has " +
                     std::to_string(in.remaining()),
                 record_offset, kCorruptHint);
      return false;
    }
    payload = in.bytes(static_cast<size_t>(data_size));
  } else {
    // COMPRESSED: perf writes it unpadded (header.size is exact, not a multiple of 8),
    // so the payload is everything after the header.
    payload = in.bytes(in.remaining());
  }
  ++compressed_records_;
  if (dctx_ == nullptr) dctx_ = ZSTD_createDCtx();
  // Keep the unconsumed tail: an inner record may straddle two compressed records.
  if (inner_pos_ > 0) {
    std::memmove(inner_.data(), inner_.data() + inner_pos_, inner_end_ - inner_pos_);
    inner_end_ -= inner_pos_;
    inner_pos_ = 0;
  }
  ZSTD_inBuffer input{payload.data(), payload.size(), 0};
  const size_t step = ZSTD_DStreamOutSize();
  for (;;) {
    if (inner_.size() - inner_end_ < step) {
      if (inner_end_ + step > kMaxDecompressed) {
        set_damage("compressed record at byte offset " + std::to_string(record_offset) +
                       " expands beyond " + std::to_string(kMaxDecompressed >> 20) +
                       " MiB",
                   record_offset, kCorruptHint);
        return false;
      }
      inner_.resize(std::max(inner_.size() * 2, inner_end_ + step));
    }
    ZSTD_outBuffer output{inner_.data() + inner_end_, inner_.size() - inner_end_, 0};
    size_t rc = ZSTD_decompressStream(dctx_, &output, &input);
    if (ZSTD_isError(rc)) {
      set_damage("zstd cannot decompress the record at byte offset " + std::to_string(record_offset) +
                     ": " + ZSTD_getErrorName(rc),
                 record_offset, kCorruptHint);
      return false;
    }
    inner_end_ += output.pos;
    if (input.pos == input.size && output.pos < output.size) break;
  }
  inner_offset_ = record_offset;
  return true;
}

std::optional<RawRecord> RecordStream::next() {
  while (!done_) {
    if (inner_skip_ > 0) {
      const uint64_t take = std::min<uint64_t>(inner_skip_, inner_end_ - inner_pos_);
      inner_pos_ += static_cast<size_t>(take);
      inner_skip_ -= take;
    }
    const size_t inner_left = inner_end_ - inner_pos_;
    if (inner_skip_ == 0 && inner_left >= abi::kRecordHeaderSize) {
      RecordHeader h = header_of(inner_.data() + inner_pos_);
      if (h.size < abi::kRecordHeaderSize) {
        set_damage("record inside the compressed record at byte offset " +
                       std::to_string(inner_offset_) + " claims size " + std::to_string(h.size) +
                       " (less than its 8-byte header)",
                   inner_offset_, kCorruptHint);
        return std::nullopt;
      }
      if (h.size <= inner_left) {
        RawRecord record{h.type, h.misc, {inner_.data() + inner_pos_, h.size}, inner_offset_};
        inner_pos_ += h.size;
        last_from_inner_ = true;
        last_offset_ = inner_offset_;
        return record;
      }
      // The rest of this record comes with the next compressed record.
    }

    const uint64_t at = offset();
    if (!ensure(abi::kRecordHeaderSize)) {
      if (damage_) return std::nullopt;
      const size_t remaining = left();
      if (remaining > 0) {
        set_damage("record at byte offset " + std::to_string(at) + " has only " +
                       std::to_string(remaining) + " of its 8 header bytes",
                   at, kCutShortHint);
      } else if (ended_before_limit()) {
        set_damage("data section should end at byte offset " +
                       std::to_string(start_offset_ + *limit_) + " but the file ends at " +
                       std::to_string(at),
                   at, kCutShortHint);
      } else if (inner_skip_ > 0) {
        payload_missing(inner_skip_);
      } else if (inner_end_ > inner_pos_) {
        set_damage("compressed data ends inside a record (" +
                       std::to_string(inner_end_ - inner_pos_) +
                       " bytes left over after the compressed record at byte offset " +
                       std::to_string(inner_offset_) + ")",
                   inner_offset_, kCutShortHint);
      }
      done_ = true;
      return std::nullopt;
    }
    RecordHeader h = header_of(cursor());
    if (h.size < abi::kRecordHeaderSize) {
      set_damage("record at byte offset " + std::to_string(at) + " claims size " +
                     std::to_string(h.size) + " (less than its 8-byte header)",
                 at, kCorruptHint);
      return std::nullopt;
    }
    if (!ensure(h.size)) {
      if (damage_) return std::nullopt;
      set_damage("record at byte offset " + std::to_string(at) + " claims size " +
                     std::to_string(h.size) + " but only " + std::to_string(left()) +
                     " bytes remain",
                 at, kCutShortHint);
      return std::nullopt;
    }
    const bool mapped = mapped_mode_;
    std::span<const std::byte> bytes(cursor(), h.size);
    advance(h.size);
    if (h.type == abi::kCompressed || h.type == abi::kCompressed2) {
      if (!decompress(bytes, h.type, at)) return std::nullopt;
      continue;
    }
    if (mapped) last_start_ = at;
    last_from_inner_ = false;
    last_offset_ = at;
    return RawRecord{h.type, h.misc, bytes, at, mapped};
  }
  return std::nullopt;
}

}  // namespace spanprof::perfdata
