#include "perfdata/tracepoint_fields.h"

#include <cstring>

namespace spanprof::perfdata {

std::optional<uint64_t> read_unsigned_field(std::span<const std::byte> raw,
                                            const TracepointField& field) {
  if (field.size != 1 && field.size != 2 && field.size != 4 && field.size != 8) return std::nullopt;
  // offset and size are u32: their sum fits a u64 without overflow.
  if (uint64_t{field.offset} + field.size > raw.size()) return std::nullopt;
  uint64_t value = 0;
  std::memcpy(&value, raw.data() + field.offset, field.size);  // little-endian host
  return value;
}

std::optional<int64_t> read_signed_field(std::span<const std::byte> raw,
                                         const TracepointField& field) {
  auto value = read_unsigned_field(raw, field);
  if (!value) return std::nullopt;
  if (!field.is_signed || field.size == 8) return static_cast<int64_t>(*value);
  const unsigned bits = field.size * 8;
  const uint64_t sign = uint64_t{1} << (bits - 1);
  // Two's complement sign extension: (v ^ sign) - sign.
  return static_cast<int64_t>((*value ^ sign) - sign);
}

}  // namespace spanprof::perfdata
