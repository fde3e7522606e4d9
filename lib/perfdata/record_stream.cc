#include "perfdata/record_stream.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

RecordStream::~RecordStream() {
  if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
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

bool RecordStream::skip_payload(uint64_t n) {
  while (n > 0) {
    if (end_ == pos_ && !fill(1)) {
      set_damage("payload of " + std::to_string(n) + " more bytes is missing", offset(),
                 kCutShortHint);
      return false;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
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
      set_damage("compressed record claims " + std::to_string(data_size) + " bytes of data but has " +
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
        set_damage("compressed record expands beyond " + std::to_string(kMaxDecompressed >> 20) +
                       " MiB",
                   record_offset, kCorruptHint);
        return false;
      }
      inner_.resize(std::max(inner_.size() * 2, inner_end_ + step));
    }
    ZSTD_outBuffer output{inner_.data() + inner_end_, inner_.size() - inner_end_, 0};
    size_t rc = ZSTD_decompressStream(dctx_, &output, &input);
    if (ZSTD_isError(rc)) {
      set_damage(std::string("zstd cannot decompress the record: ") + ZSTD_getErrorName(rc),
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
    const size_t inner_left = inner_end_ - inner_pos_;
    if (inner_left >= abi::kRecordHeaderSize) {
      RecordHeader h = header_of(inner_.data() + inner_pos_);
      if (h.size < abi::kRecordHeaderSize) {
        set_damage("record inside compressed data claims size " + std::to_string(h.size) +
                       " (less than its 8-byte header)",
                   inner_offset_, kCorruptHint);
        return std::nullopt;
      }
      if (h.size <= inner_left) {
        RawRecord record{h.type, h.misc, {inner_.data() + inner_pos_, h.size}, inner_offset_};
        inner_pos_ += h.size;
        return record;
      }
      // The rest of this record comes with the next compressed record.
    }

    const uint64_t at = offset();
    if (!fill(abi::kRecordHeaderSize)) {
      if (damage_) return std::nullopt;
      const size_t left = end_ - pos_;
      if (left > 0) {
        set_damage("record at byte offset " + std::to_string(at) + " has only " +
                       std::to_string(left) + " of its 8 header bytes",
                   at, kCutShortHint);
      } else if (limit_ && consumed_ < *limit_) {
        set_damage("data section should end at byte offset " +
                       std::to_string(start_offset_ + *limit_) + " but the file ends at " +
                       std::to_string(at),
                   at, kCutShortHint);
      } else if (inner_end_ > inner_pos_) {
        set_damage("compressed data ends inside a record (" +
                       std::to_string(inner_end_ - inner_pos_) + " bytes left over)",
                   inner_offset_, kCutShortHint);
      }
      done_ = true;
      return std::nullopt;
    }
    RecordHeader h = header_of(buf_.data() + pos_);
    if (h.size < abi::kRecordHeaderSize) {
      set_damage("record claims size " +
                     std::to_string(h.size) + " (less than its 8-byte header)",
                 at, kCorruptHint);
      return std::nullopt;
    }
    if (!fill(h.size)) {
      if (damage_) return std::nullopt;
      set_damage("record claims size " +
                     std::to_string(h.size) + " but only " + std::to_string(end_ - pos_) +
                     " bytes remain",
                 at, kCutShortHint);
      return std::nullopt;
    }
    std::span<const std::byte> bytes(buf_.data() + pos_, h.size);
    pos_ += h.size;
    if (h.type == abi::kCompressed || h.type == abi::kCompressed2) {
      if (!decompress(bytes, h.type, at)) return std::nullopt;
      continue;
    }
    return RawRecord{h.type, h.misc, bytes, at};
  }
  return std::nullopt;
}

}  // namespace spanprof::perfdata
