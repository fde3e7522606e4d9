#include "perfdata/tracing_data.h"

#include <charconv>
#include <cstring>
#include <optional>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::perfdata {
namespace {

constexpr std::string_view kMagic = "\x17\x08\x44tracing";
constexpr const char* kHint = "tracepoint fields are not decoded (off-CPU thread states unknown)";
constexpr size_t kMaxVersionLength = 16;

std::string where_at(uint64_t offset) { return "perf.data byte offset " + std::to_string(offset); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\0')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view as_text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

template <class T>
std::optional<T> number(std::string_view s) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

bool identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

// "char prev_comm[16]" -> "prev_comm"; "__data_loc char[] name" -> "name".
std::optional<std::string> field_name(std::string_view declaration) {
  std::string_view d = trim(declaration);
  while (!d.empty() && d.back() == ']') {
    size_t open = d.rfind('[');
    if (open == std::string_view::npos) return std::nullopt;
    d = trim(d.substr(0, open));
  }
  size_t cut = d.find_last_of(" \t*");
  std::string_view name = cut == std::string_view::npos ? d : d.substr(cut + 1);
  if (!identifier(name)) return std::nullopt;
  return std::string(name);
}

// "field:long prev_state;\toffset:32;\tsize:8;\tsigned:1;" (signed: since Linux 2.6.32).
std::optional<TracepointField> parse_field_line(std::string_view line) {
  TracepointField field;
  bool has_name = false, has_offset = false, has_size = false;
  while (!line.empty()) {
    size_t end = line.find(';');
    if (end == std::string_view::npos) end = line.size();
    std::string_view part = trim(line.substr(0, end));
    line.remove_prefix(end == line.size() ? end : end + 1);
    if (part.empty()) continue;
    size_t colon = part.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view key = part.substr(0, colon);
    std::string_view value = trim(part.substr(colon + 1));
    if (key == "field") {
      auto name = field_name(value);
      if (!name) return std::nullopt;
      field.name = std::move(*name);
      has_name = true;
    } else if (key == "offset" || key == "size") {
      auto n = number<uint32_t>(value);
      if (!n) return std::nullopt;
      (key == "offset" ? field.offset : field.size) = *n;
      (key == "offset" ? has_offset : has_size) = true;
    } else if (key == "signed") {
      auto n = number<uint32_t>(value);
      if (!n || *n > 1) return std::nullopt;
      field.is_signed = *n == 1;
    }
  }
  if (!has_name || !has_offset || !has_size) return std::nullopt;
  return field;
}

// A string that ends at a NUL within `max` bytes; fails the reader otherwise.
std::string_view nul_terminated(ByteReader& in, size_t max) {
  ByteReader peek = in;
  const size_t limit = std::min(max, in.remaining());
  auto window = peek.bytes(limit);
  const void* nul = std::memchr(window.data(), 0, window.size());
  if (nul == nullptr) {
    in.fail();
    return {};
  }
  const size_t len = static_cast<size_t>(static_cast<const std::byte*>(nul) - window.data());
  std::string_view text = as_text(in.bytes(len + 1)).substr(0, len);
  return text;
}

// u64 size, then that many bytes, bounds-checked.
std::span<const std::byte> sized_block(ByteReader& in) {
  const uint64_t size = in.u64();
  if (!in.ok() || size > in.remaining()) {
    in.fail();
    return {};
  }
  return in.bytes(static_cast<size_t>(size));
}

class TracingDataParser {
 public:
  TracingDataParser(std::span<const std::byte> data, uint64_t file_offset) : in_(data, file_offset) {}

  Result<std::vector<TracepointFormat>> run() {
    if (as_text(in_.bytes(kMagic.size())) != kMagic) {
      return fail("TRACING_DATA does not start with perf's tracing magic", in_.file_offset());
    }
    std::string_view version = nul_terminated(in_, kMaxVersionLength);
    const uint8_t big_endian = in_.u8();
    in_.u8();  // sizeof(long) of the recording machine
    in_.u32();  // page size
    if (!in_.ok()) return cut_short();
    if (big_endian != 0) {
      return fail("TRACING_DATA (version " + std::string(version) + ") was written big-endian",
                  in_.file_offset());
    }
    for (std::string_view name : {std::string_view("header_page"), std::string_view("header_event")}) {
      const uint64_t at = in_.file_offset();
      auto tag = in_.bytes(name.size() + 1);
      if (!in_.ok()) return cut_short();
      if (as_text(tag) != std::string(name) + '\0') {
        return fail("TRACING_DATA has no " + std::string(name) + " section where expected", at);
      }
      sized_block(in_);
      if (!in_.ok()) return cut_short();
    }
    // ftrace's own formats (function, ...): not events perf samples.
    const uint64_t ftrace_at = in_.file_offset();
    const uint32_t ftrace_count = in_.u32();
    if (!count_fits(ftrace_count, 8)) return bad_count("ftrace format", ftrace_count, ftrace_at);
    for (uint32_t i = 0; i < ftrace_count && in_.ok(); ++i) sized_block(in_);
    if (!in_.ok()) return cut_short();

    const uint64_t systems_at = in_.file_offset();
    const uint32_t systems = in_.u32();
    if (!count_fits(systems, 5)) return bad_count("event system", systems, systems_at);
    std::vector<TracepointFormat> formats;
    for (uint32_t s = 0; s < systems; ++s) {
      std::string system(nul_terminated(in_, in_.remaining()));
      const uint64_t events_at = in_.file_offset();
      const uint32_t events = in_.u32();
      if (!in_.ok()) return cut_short();
      if (!count_fits(events, 8)) return bad_count("event", events, events_at);
      for (uint32_t e = 0; e < events; ++e) {
        const uint64_t at = in_.file_offset() + 8;
        auto text = sized_block(in_);
        if (!in_.ok()) return cut_short();
        auto format = parse_event_format(as_text(text), system);
        if (!format) {
          format.error().where = where_at(at);
          format.error().hint = kHint;
          return std::unexpected(format.error());
        }
        formats.push_back(std::move(*format));
      }
    }
    return formats;
  }

 private:
  // Each entry takes at least `min_entry` bytes: a count beyond that is damage,
  // caught before any entry is read.
  bool count_fits(uint32_t count, size_t min_entry) const {
    return in_.ok() && uint64_t{count} * min_entry <= in_.remaining();
  }
  std::unexpected<Error> fail(std::string message, uint64_t at) const {
    return std::unexpected(Error{std::move(message), where_at(at), kHint});
  }
  std::unexpected<Error> cut_short() const {
    return fail("TRACING_DATA is cut short", in_.file_offset());
  }
  std::unexpected<Error> bad_count(const char* what, uint32_t count, uint64_t at) const {
    if (!in_.ok()) return cut_short();
    return fail("TRACING_DATA claims " + std::to_string(count) + " " + what + "s but has only " +
                    std::to_string(in_.remaining()) + " bytes left",
                at);
  }

  ByteReader in_;
};

}  // namespace

Result<TracepointFormat> parse_event_format(std::string_view text, std::string system) {
  TracepointFormat format;
  format.system = std::move(system);
  bool has_id = false;
  size_t line_number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    std::string_view body = trim(line);
    auto bad_line = [&](std::string what) {
      return make_error("tracepoint format " + format.system + ":" + format.name + " line " +
                        std::to_string(line_number) + ": " + what);
    };
    if (body.starts_with("name:")) {
      format.name = std::string(trim(body.substr(5)));
      if (!identifier(format.name)) return bad_line("bad event name");
    } else if (body.starts_with("ID:")) {
      auto id = number<uint64_t>(trim(body.substr(3)));
      if (!id) return bad_line("bad ID");
      format.id = *id;
      has_id = true;
    } else if (body.starts_with("field:")) {
      auto field = parse_field_line(body);
      if (!field) return bad_line("field line does not parse: " + std::string(body.substr(0, 80)));
      format.fields.push_back(std::move(*field));
    } else if (body.starts_with("print fmt:")) {
      break;  // the rest is the printk format, which may hold anything
    }
  }
  if (format.name.empty() || !has_id) {
    return make_error("tracepoint format in system " + format.system + " has no name or no ID");
  }
  return format;
}

Result<std::vector<TracepointFormat>> parse_tracing_data(std::span<const std::byte> data,
                                                         uint64_t file_offset) {
  return TracingDataParser(data, file_offset).run();
}

void name_tracepoint_attr(EventAttr& attr, const std::vector<TracepointFormat>& formats) {
  if (attr.type != abi::kTypeTracepoint || !attr.name.empty()) return;
  for (const TracepointFormat& format : formats) {
    if (format.id == attr.config) {
      attr.name = format.system + ":" + format.name;
      return;
    }
  }
}

void name_tracepoint_attrs(CaptureInfo& info) {
  for (EventAttr& attr : info.attrs) name_tracepoint_attr(attr, info.tracepoints);
}

}  // namespace spanprof::perfdata
