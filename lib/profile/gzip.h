// gzip framing for pprof files: pprof readers accept raw or gzipped protobuf,
// and `go tool pprof` and Pyroscope expect the gzipped form.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::profile {

// RFC 1952 magic bytes.
bool has_gzip_magic(std::string_view bytes);

// Deflate with a gzip header; level as zlib's (1 fastest .. 9 smallest).
Result<std::string> gzip_compress(std::string_view bytes, int level = 6);

// Inflates one gzip member. max_output bounds the result so a hostile input
// cannot exhaust memory.
Result<std::string> gzip_decompress(std::string_view bytes, size_t max_output = size_t{1} << 32);

}  // namespace spanprof::profile
