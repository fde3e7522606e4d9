#include "spans/span_reader.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "spans/byte_source.h"
#include "spans/otlp_json_reader.h"
#include "spans/otlp_proto_reader.h"
#include "spans/span_builder.h"

namespace spanprof::spans {
namespace {

// Hands out the bytes peeked at for format detection, then the rest.
class PeekedSource final : public ByteSource {
 public:
  PeekedSource(ByteSource& inner, std::vector<char> peeked)
      : inner_(inner), peeked_(std::move(peeked)) {}

  Result<size_t> read(std::span<char> out) override {
    if (position_ < peeked_.size()) {
      size_t n = std::min(out.size(), peeked_.size() - position_);
      std::memcpy(out.data(), peeked_.data() + position_, n);
      position_ += n;
      return n;
    }
    return inner_.read(out);
  }

 private:
  ByteSource& inner_;
  std::vector<char> peeked_;
  size_t position_ = 0;
};

constexpr size_t kPeekBytes = 4096;

// JSON Lines start with '{' (after optional whitespace or a UTF-8 BOM). A
// length-prefixed message starts with the top byte of a big-endian length: a
// first byte of 0x10 or more would mean a message over 256 MiB. Other text is
// read as JSON, so it is reported line by line.
bool looks_like_json(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] == '{' || head[first] == '[') return true;
  return static_cast<unsigned char>(head[0]) >= 0x10;
}

}  // namespace

Result<void> read_span_file(const std::string& path, const SpanReaderOptions& options, SpanSet& out,
                            SpanReadStats& stats) {
  auto source = open_byte_source(path);
  if (!source) return std::unexpected(source.error());
  ++stats.files;

  // The spans read before a failure are kept: it is counted, not fatal.
  auto cut_short = [&stats](const Error& error) {
    ++stats.files_cut_short;
    add_problem(stats, error.to_string() + "; rest of file skipped");
  };
  std::vector<char> head(kPeekBytes);
  auto got = read_fully(**source, head);
  if (!got) {
    cut_short(got.error());
    return {};
  }
  head.resize(*got);
  bool json = looks_like_json(std::string_view(head.data(), head.size()));
  PeekedSource peeked(**source, std::move(head));

  SpanBuilder builder(path, options, out, stats);
  Result<void> read = json ? read_otlp_json_lines(peeked, builder, stats)
                           : read_otlp_proto_messages(peeked, builder, stats);
  if (!read) cut_short(read.error());
  return {};
}

}  // namespace spanprof::spans
