#include "profile/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace spanprof::profile {
namespace {

// zlib: windowBits 15 plus 16 selects a gzip header instead of a zlib one.
constexpr int kGzipWindowBits = 15 + 16;
// zlib counts in uInt; feed it at most this much per call.
constexpr size_t kMaxChunk = UINT_MAX / 2;

std::string zlib_message(const z_stream& stream, int code) {
  if (stream.msg != nullptr) return stream.msg;
  return "zlib error " + std::to_string(code);
}

}  // namespace

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> gzip_compress(std::string_view bytes, int level) {
  z_stream stream{};
  int code = deflateInit2(&stream, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  if (code != Z_OK) return make_error("gzip: cannot start deflate: " + zlib_message(stream, code));

  std::string out;
  out.resize(deflateBound(&stream, bytes.size()) + 64);
  size_t in_pos = 0;
  size_t out_pos = 0;
  do {
    if (out_pos == out.size()) out.resize(out.size() * 2);
    size_t in_chunk = std::min(bytes.size() - in_pos, kMaxChunk);
    size_t out_chunk = std::min(out.size() - out_pos, kMaxChunk);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
    stream.avail_in = static_cast<uInt>(in_chunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    stream.avail_out = static_cast<uInt>(out_chunk);
    bool last = in_pos + in_chunk == bytes.size();
    code = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_chunk - stream.avail_in;
    out_pos += out_chunk - stream.avail_out;
    if (code == Z_STREAM_ERROR) {
      deflateEnd(&stream);
      return make_error("gzip: deflate failed: " + zlib_message(stream, code));
    }
  } while (code != Z_STREAM_END);
  deflateEnd(&stream);
  out.resize(out_pos);
  return out;
}

Result<std::string> gzip_decompress(std::string_view bytes, size_t max_output) {
  z_stream stream{};
  int code = inflateInit2(&stream, kGzipWindowBits);
  if (code != Z_OK) return make_error("gzip: cannot start inflate: " + zlib_message(stream, code));

  std::string out;
  out.resize(std::min<size_t>(std::max<size_t>(bytes.size() * 4, 4096), max_output));
  size_t in_pos = 0;
  size_t out_pos = 0;
  while (true) {
    if (out_pos == out.size()) {
      if (out.size() >= max_output) {
        inflateEnd(&stream);
        return make_error("gzip: decompressed data exceeds " + std::to_string(max_output) +
                          " bytes");
      }
      out.resize(std::min(out.size() * 2, max_output));
    }
    size_t in_chunk = std::min(bytes.size() - in_pos, kMaxChunk);
    size_t out_chunk = std::min(out.size() - out_pos, kMaxChunk);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_pos));
    stream.avail_in = static_cast<uInt>(in_chunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    stream.avail_out = static_cast<uInt>(out_chunk);
    code = inflate(&stream, Z_NO_FLUSH);
    in_pos += in_chunk - stream.avail_in;
    out_pos += out_chunk - stream.avail_out;
    if (code == Z_STREAM_END) break;
    bool stalled = code == Z_BUF_ERROR && in_pos == bytes.size();
    if ((code != Z_OK && code != Z_BUF_ERROR) || stalled) {
      std::string message = stalled ? "truncated gzip data" : zlib_message(stream, code);
      inflateEnd(&stream);
      return make_error("gzip: " + message);
    }
  }
  inflateEnd(&stream);
  out.resize(out_pos);
  return out;
}

}  // namespace spanprof::profile
