// Gzipped span files: the input is compressed here (two gzip members when it
// is long enough, as `cat a.gz b.gz` makes), so mutations act on the content
// while the streaming inflater runs on every input.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "quiet_protobuf.h"
#include "spans_check.h"

namespace {

void append_gzip_member(const uint8_t* data, size_t size, std::string& out) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper (zlib.h).
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return;
  std::string buffer(deflateBound(&z, static_cast<uLong>(size)) + 32, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(buffer.data());
  z.avail_out = static_cast<uInt>(buffer.size());
  if (deflate(&z, Z_FINISH) == Z_STREAM_END) out.append(buffer.data(), z.total_out);
  deflateEnd(&z);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string gzipped;
  const size_t first = size > 64 ? size / 2 : size;
  append_gzip_member(data, first, gzipped);
  if (first < size) append_gzip_member(data + first, size - first, gzipped);
  spanprof::fuzz::MemoryFile file(
      {reinterpret_cast<const uint8_t*>(gzipped.data()), gzipped.size()});
  spanprof::fuzz::read_and_check_spans(file.path(), {});
  return 0;
}
