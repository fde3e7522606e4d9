#include "push/trace_forwarding.h"

#include <algorithm>

#include <fmt/format.h>

#include "otlp_trace.pb.h"
#include "push/otlp_json_transcode.h"
#include "spans/byte_source.h"
#include "spans/line_splitter.h"

namespace spanprof::push {

namespace {

constexpr size_t kMaxMessageBytes = size_t{256} << 20;
constexpr size_t kMaxWarnings = 10;

std::string hex(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

uint64_t shifted(uint64_t time, int64_t shift) {
  if (time == 0) return 0;  // unset stays unset
  return static_cast<uint64_t>(static_cast<int64_t>(time) + shift);
}

// Collects spans into requests, keeping each span under its resource and
// scope, and starts a new request before one would exceed the byte limit.
class RequestCutter {
 public:
  RequestCutter(const ForwardOptions& options, ForwardResult& result)
      : options_(options), result_(result) {}

  void add(otlp::TracesData& data) {
    for (auto& resource_spans : *data.mutable_resource_spans()) {
      resource_open_ = false;
      for (auto& scope_spans : *resource_spans.mutable_scope_spans()) {
        scope_open_ = false;
        for (auto& span : *scope_spans.mutable_spans()) {
          prepare(span);
          size_t span_bytes = span.ByteSizeLong() + 8;
          size_t needed = span_bytes;
          if (!resource_open_) needed += resource_spans.resource().ByteSizeLong() + 16;
          if (!scope_open_) needed += scope_spans.scope().ByteSizeLong() + 16;
          if (current_spans_ > 0 && current_bytes_ + needed > options_.max_request_bytes) flush();
          if (!resource_open_) {
            auto* to = current_.add_resource_spans();
            *to->mutable_resource() = resource_spans.resource();
            to->set_schema_url(resource_spans.schema_url());
            current_bytes_ += resource_spans.resource().ByteSizeLong() + 16;
            resource_open_ = true;
            scope_open_ = false;
          }
          if (!scope_open_) {
            auto& resource_to = *current_.mutable_resource_spans()->rbegin();
            auto* to = resource_to.add_scope_spans();
            *to->mutable_scope() = scope_spans.scope();
            to->set_schema_url(scope_spans.schema_url());
            current_bytes_ += scope_spans.scope().ByteSizeLong() + 16;
            scope_open_ = true;
          }
          auto& resource_to = *current_.mutable_resource_spans()->rbegin();
          auto& scope_to = *resource_to.mutable_scope_spans()->rbegin();
          scope_to.add_spans()->Swap(&span);
          current_bytes_ += span_bytes;
          ++current_spans_;
        }
      }
    }
  }

  void flush() {
    if (current_spans_ == 0) return;
    ForwardedRequest request;
    current_.SerializeToString(&request.body);
    request.spans = current_spans_;
    result_.requests.push_back(std::move(request));
    current_.Clear();
    current_bytes_ = 0;
    current_spans_ = 0;
    resource_open_ = scope_open_ = false;
  }

 private:
  void prepare(otlp::Span& span) {
    ++result_.spans;
    if (options_.shift_ns != 0) {
      span.set_start_time_unix_nano(shifted(span.start_time_unix_nano(), options_.shift_ns));
      span.set_end_time_unix_nano(shifted(span.end_time_unix_nano(), options_.shift_ns));
      for (auto& event : *span.mutable_events()) {
        event.set_time_unix_nano(shifted(event.time_unix_nano(), options_.shift_ns));
      }
    }
    if (options_.marked == nullptr || span.span_id().size() != 8) return;
    std::string id = hex(span.span_id());
    if (!options_.marked->contains(id)) return;
    ++result_.marked;
    otlp::KeyValue* attribute = nullptr;
    for (auto& existing : *span.mutable_attributes()) {
      if (existing.key() == kProfileIdAttribute) attribute = &existing;
    }
    if (attribute == nullptr) {
      attribute = span.add_attributes();
      attribute->set_key(kProfileIdAttribute);
    }
    attribute->mutable_value()->set_string_value(id);
  }

  const ForwardOptions& options_;
  ForwardResult& result_;
  otlp::TracesData current_;
  size_t current_bytes_ = 0;
  uint64_t current_spans_ = 0;
  bool resource_open_ = false;
  bool scope_open_ = false;
};

void warn(ForwardResult& result, uint64_t& problems, std::string message) {
  if (++problems <= kMaxWarnings) result.warnings.push_back(std::move(message));
}

Result<void> forward_json(const std::string& path, spans::ByteSource& source,
                          RequestCutter& cutter, ForwardResult& result, uint64_t& problems) {
  spans::LineSplitter lines(source);
  while (true) {
    auto line = lines.next();
    if (!line) return std::unexpected(line.error());
    if (!*line) return {};
    const spans::Line& l = **line;
    std::string where = fmt::format("{}:{}", path, l.number);
    if (l.too_long) {
      warn(result, problems, where + ": line too long, its spans are not forwarded");
      continue;
    }
    if (l.text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    otlp::TracesData data;
    if (auto ok = transcode_otlp_json(l.text, data); !ok) {
      warn(result, problems, where + ": " + ok.error().message + "; its spans are not forwarded");
      continue;
    }
    cutter.add(data);
  }
}

// The Collector file exporter's proto form: {4-byte big-endian length, TracesData}.
Result<void> forward_proto(const std::string& path, spans::ByteSource& source,
                           RequestCutter& cutter, ForwardResult& result, uint64_t& problems) {
  std::string message;
  for (uint64_t index = 1;; ++index) {
    char prefix[4];
    auto got = spans::read_fully(source, prefix);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return {};
    if (*got < 4) {
      warn(result, problems, fmt::format("{}: message {}: truncated length", path, index));
      return {};
    }
    uint32_t length = (uint32_t{static_cast<uint8_t>(prefix[0])} << 24) |
                      (uint32_t{static_cast<uint8_t>(prefix[1])} << 16) |
                      (uint32_t{static_cast<uint8_t>(prefix[2])} << 8) |
                      uint32_t{static_cast<uint8_t>(prefix[3])};
    if (length > kMaxMessageBytes) {
      warn(result, problems, fmt::format("{}: message {}: length {} is too large; rest skipped",
                                         path, index, length));
      return {};
    }
    message.resize(length);
    auto body = spans::read_fully(source, std::span<char>(message.data(), message.size()));
    if (!body) return std::unexpected(body.error());
    if (*body < length) {
      warn(result, problems, fmt::format("{}: message {}: truncated", path, index));
      return {};
    }
    otlp::TracesData data;
    if (!data.ParseFromString(message)) {
      warn(result, problems, fmt::format("{}: message {}: not a TracesData message; its spans "
                                         "are not forwarded", path, index));
      continue;
    }
    cutter.add(data);
  }
}

// As the span reader tells them apart: JSON starts with '{' or '[' (after
// blanks or a BOM); a big-endian length prefix starts with a small byte.
bool looks_like_json(std::string_view head) {
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || head[first] == '{' || head[first] == '[') return true;
  return static_cast<unsigned char>(head[0]) >= 0x10;
}

// Hands out a peeked head, then the rest of the source.
class HeadThenRest final : public spans::ByteSource {
 public:
  HeadThenRest(std::string head, spans::ByteSource& rest) : head_(std::move(head)), rest_(rest) {}
  Result<size_t> read(std::span<char> out) override {
    if (position_ < head_.size()) {
      size_t n = std::min(out.size(), head_.size() - position_);
      std::copy_n(head_.data() + position_, n, out.data());
      position_ += n;
      return n;
    }
    return rest_.read(out);
  }

 private:
  std::string head_;
  spans::ByteSource& rest_;
  size_t position_ = 0;
};

}  // namespace

Result<ForwardResult> forward_spans(const std::vector<std::string>& span_files,
                                    const ForwardOptions& options) {
  ForwardResult result;
  RequestCutter cutter(options, result);
  uint64_t problems = 0;
  for (const std::string& path : span_files) {
    auto source = spans::open_byte_source(path);
    if (!source) return std::unexpected(source.error());
    std::string head(4096, '\0');
    auto got = spans::read_fully(**source, std::span<char>(head.data(), head.size()));
    if (!got) return std::unexpected(got.error());
    head.resize(*got);
    bool json = looks_like_json(head);
    HeadThenRest stream(std::move(head), **source);
    Result<void> read = json ? forward_json(path, stream, cutter, result, problems)
                             : forward_proto(path, stream, cutter, result, problems);
    if (!read) {
      Error error = read.error();
      if (error.where.empty()) error.where = path;
      return std::unexpected(error);
    }
  }
  cutter.flush();
  if (problems > kMaxWarnings) {
    result.warnings.push_back(fmt::format("{} more span lines or messages were not forwarded",
                                          problems - kMaxWarnings));
  }
  return result;
}

}  // namespace spanprof::push
