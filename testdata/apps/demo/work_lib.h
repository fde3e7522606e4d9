// Work that lives in libdemo_work.so, a mapping of its own in the demo's profiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace demo_work {

// Worst-case compressed size of n input bytes.
constexpr size_t compress_bound(size_t n) { return 2 * n + 16; }

// A small LZ77 compressor (4-byte hash matches, literals otherwise). out must
// hold compress_bound(in.size()) bytes. Returns the compressed size.
size_t compress_chunk(std::span<const uint8_t> in, std::span<uint8_t> out);

}  // namespace demo_work
