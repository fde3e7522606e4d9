// Bounds-checked little-endian reads over untrusted bytes.
//
// Reads never go past the end: a short read returns zero values and sets a
// sticky failure flag, so a parser reads a whole structure and checks ok() once.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace spanprof {

static_assert(std::endian::native == std::endian::little,
              "spanprof reads little-endian data on a little-endian host");

// a + b, or nullopt on overflow (bloaty's CheckedAdd).
inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

class ByteReader {
 public:
  // base_offset is the position of bytes[0] in the file, used in error messages.
  explicit ByteReader(std::span<const std::byte> bytes, uint64_t base_offset = 0)
      : bytes_(bytes), base_offset_(base_offset) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  // File offset of the next byte to read (or of the failed read).
  uint64_t file_offset() const { return base_offset_ + pos_; }

  uint8_t u8() { return read_scalar<uint8_t>(); }
  uint16_t u16() { return read_scalar<uint16_t>(); }
  uint32_t u32() { return read_scalar<uint32_t>(); }
  int32_t i32() { return read_scalar<int32_t>(); }
  uint64_t u64() { return read_scalar<uint64_t>(); }

  // n raw bytes; an empty span (and failure) when fewer remain.
  std::span<const std::byte> bytes(size_t n) {
    if (!take(n)) return {};
    return bytes_.subspan(pos_ - n, n);
  }

  void skip(size_t n) { take(n); }

  // A NUL-padded string field of exactly n bytes; the text stops at the first NUL.
  std::string_view padded_string(size_t n) {
    auto field = bytes(n);
    const char* chars = reinterpret_cast<const char*>(field.data());
    size_t len = 0;
    while (len < field.size() && chars[len] != '\0') ++len;
    return std::string_view(chars, len);
  }

  // Everything that is left, as a NUL-terminated string (the end of the data if no NUL).
  std::string_view rest_as_string() { return padded_string(remaining()); }

  // A reader over the next n bytes, advancing this one past them.
  ByteReader sub_reader(size_t n) {
    uint64_t offset = file_offset();
    auto part = bytes(n);
    ByteReader sub(part, offset);
    if (!ok_) sub.ok_ = false;
    return sub;
  }

  void fail() { ok_ = false; }

 private:
  bool take(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }

  template <class T>
  T read_scalar() {
    if (!take(sizeof(T))) return T{};
    T value;
    std::memcpy(&value, bytes_.data() + pos_ - sizeof(T), sizeof(T));
    return value;
  }

  std::span<const std::byte> bytes_;
  uint64_t base_offset_ = 0;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace spanprof
