// The receiver's Content-Encoding: gzip inflater (one member or several).
// Oracles: the output never passes max_output, and too_large is set exactly when
// the bound was the reason; a body gzipped here (as one or two members)
// inflates back with max_output set to its exact size.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "receiver/content_decoding.h"

namespace {

[[noreturn]] void oracle_failed(const char* what) {
  std::fprintf(stderr, "gunzip oracle failed: %s\n", what);
  std::abort();
}

void append_gzip_member(std::string_view data, std::string& out) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper (zlib.h).
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string buffer(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(buffer.data());
  z.avail_out = static_cast<uInt>(buffer.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.append(buffer.data(), z.total_out);
  deflateEnd(&z);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spanprof::receiver::gunzip;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  spanprof::fuzz::Sink sink;

  // The first byte picks a small bound, so the bound is hit often.
  const uint64_t bound = size > 0 ? uint64_t{data[0]} * 64 : 0;
  auto inflated = gunzip(input, bound);
  if (inflated) {
    if (inflated->size() > bound) oracle_failed("output passed max_output");
    sink.add_text(*inflated);
  } else {
    sink.add_text(inflated.error().message);
  }

  std::string gzipped;
  const size_t half = size / 2;
  append_gzip_member(input.substr(0, half), gzipped);
  append_gzip_member(input.substr(half), gzipped);
  auto exact = gunzip(gzipped, size);
  if (!exact) {
    std::fprintf(stderr, "%s\n", exact.error().message.c_str());
    oracle_failed("round trip failed with max_output equal to the size");
  }
  if (*exact != input) oracle_failed("round trip changed the bytes");
  if (size > 0) {
    auto short_bound = gunzip(gzipped, size - 1);
    if (short_bound || !short_bound.error().too_large) {
      oracle_failed("round trip not refused as too large with max_output one byte short");
    }
  }
  return 0;
}
