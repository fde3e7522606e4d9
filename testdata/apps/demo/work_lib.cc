#include "work_lib.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace demo_work {
namespace {

constexpr size_t kHashBits = 12;
constexpr size_t kMinMatch = 4;
constexpr size_t kMaxMatch = 255;
constexpr size_t kMaxDistance = 65535;
constexpr uint8_t kLiteralTag = 0;
constexpr uint8_t kMatchTag = 1;

uint32_t hash4(const uint8_t* p) {
  uint32_t word;
  std::memcpy(&word, p, sizeof word);
  return (word * 2654435761u) >> (32 - kHashBits);
}

size_t match_length(const uint8_t* a, const uint8_t* b, size_t limit) {
  size_t n = 0;
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

size_t compress_chunk(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (out.size() < compress_bound(in.size())) return 0;
  std::array<uint32_t, size_t{1} << kHashBits> last_seen{};  // position + 1; 0 = none
  size_t pos = 0;
  size_t written = 0;
  while (pos < in.size()) {
    size_t best = 0;
    size_t distance = 0;
    if (in.size() - pos >= kMinMatch) {
      uint32_t h = hash4(&in[pos]);
      uint32_t candidate = last_seen[h];
      last_seen[h] = static_cast<uint32_t>(pos + 1);
      if (candidate != 0 && pos - (candidate - 1) <= kMaxDistance) {
        size_t from = candidate - 1;
        best = match_length(&in[from], &in[pos], std::min(kMaxMatch, in.size() - pos));
        distance = pos - from;
      }
    }
    if (best >= kMinMatch) {
      out[written++] = kMatchTag;
      out[written++] = static_cast<uint8_t>(distance & 0xff);
      out[written++] = static_cast<uint8_t>(distance >> 8);
      out[written++] = static_cast<uint8_t>(best);
      pos += best;
    } else {
      out[written++] = kLiteralTag;
      out[written++] = in[pos++];
    }
  }
  return written;
}

}  // namespace demo_work
