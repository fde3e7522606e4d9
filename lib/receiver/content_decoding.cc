#include "receiver/content_decoding.h"

#include <zlib.h>

#include <algorithm>

namespace spanprof::receiver {
namespace {

// zlib: windowBits 15 plus 16 accepts a gzip header and trailer only.
constexpr int kGzipWindowBits = 15 + 16;
constexpr size_t kOutputStep = 256 * 1024;
// zlib counts in uInt; hand it at most this much per call.
constexpr size_t kMaxInputStep = 1u << 30;

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&stream_, kGzipWindowBits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

std::expected<std::string, InflateError> gunzip(std::string_view compressed, uint64_t max_output) {
  if (!has_gzip_magic(compressed)) {
    return std::unexpected(
        InflateError{false, "Content-Encoding is gzip but the body is not gzip data"});
  }
  Inflater inflater;
  if (!inflater.ok()) return std::unexpected(InflateError{false, "cannot start zlib inflate"});
  z_stream& stream = inflater.stream();

  std::string out;
  size_t in_pos = 0;
  size_t out_pos = 0;
  for (;;) {
    if (out_pos == out.size()) {
      if (out.size() > max_output) {
        return std::unexpected(InflateError{
            true, "body inflates to more than " + std::to_string(max_output) + " bytes"});
      }
      // One byte past the limit is enough to tell "too large" from "exactly at it".
      uint64_t room = max_output + 1 - out.size();
      out.resize(out.size() + static_cast<size_t>(std::min<uint64_t>(kOutputStep, room)));
    }
    size_t in_step = std::min(compressed.size() - in_pos, kMaxInputStep);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + in_pos));
    stream.avail_in = static_cast<uInt>(in_step);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    stream.avail_out = static_cast<uInt>(out.size() - out_pos);
    int code = inflate(&stream, Z_NO_FLUSH);
    in_pos += in_step - stream.avail_in;
    out_pos = out.size() - stream.avail_out;
    if (code == Z_STREAM_END) {
      std::string_view rest = compressed.substr(in_pos);
      if (rest.empty()) break;
      if (!has_gzip_magic(rest)) {
        return std::unexpected(InflateError{false, "bytes after the end of the gzip data"});
      }
      inflateReset(&stream);
      continue;
    }
    if (code == Z_BUF_ERROR && in_pos == compressed.size() && stream.avail_out != 0) {
      return std::unexpected(InflateError{false, "gzip data is truncated"});
    }
    if (code != Z_OK && code != Z_BUF_ERROR) {
      std::string detail =
          stream.msg != nullptr ? stream.msg : "zlib error " + std::to_string(code);
      return std::unexpected(InflateError{false, "corrupt gzip data: " + detail});
    }
  }
  if (out_pos > max_output) {
    return std::unexpected(
        InflateError{true, "body inflates to more than " + std::to_string(max_output) + " bytes"});
  }
  out.resize(out_pos);
  return out;
}

}  // namespace spanprof::receiver
