// What the exports share: exact decimal times, frame labels, the zero of an
// export's clock, JSON columns and the file type they hand back.
//
// Takes: nanosecond counts, a ViewModel's frames and samples. Gives: strings
// and the Unix ns that an export's relative times count from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "view/view_model.h"

namespace spanprof::view {

// One file of an export: its name (relative to the export's directory, or
// "" for the single-file formats) and its bytes.
struct ExportedFile {
  std::string name;
  std::string text;
};

// A JSON array built one raw element at a time (numbers, null, quoted text).
class JsonColumn {
 public:
  void add(std::string_view raw) {
    if (size_++ > 0) text_ += ',';
    text_ += raw;
  }
  void add(int64_t number) { add(std::string_view(std::to_string(number))); }
  size_t size() const { return size_; }
  std::string json() const { return "[" + text_ + "]"; }

 private:
  std::string text_;
  size_t size_ = 0;
};

// ns / 10^digits as an exact JSON number ("1.5", "-0.000123", "42"):
// milliseconds with digits = 6, microseconds with digits = 3. Written from
// the integer, so no binary rounding creeps in (0.1 + 0.2 style).
inline std::string ns_as_decimal(int64_t ns, int digits) {
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  bool negative = ns < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  uint64_t whole = magnitude / static_cast<uint64_t>(scale);
  uint64_t fraction = magnitude % static_cast<uint64_t>(scale);
  std::string out = negative ? "-" : "";
  out += std::to_string(whole);
  if (fraction != 0) {
    std::string digits_text = std::to_string(fraction);
    digits_text.insert(0, static_cast<size_t>(digits) - digits_text.size(), '0');
    while (digits_text.back() == '0') digits_text.pop_back();
    out += '.';
    out += digits_text;
  }
  return out;
}

// text with every byte sequence that is not UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF) replaced by U+FFFD. Symbol
// names and paths are bytes; JSON readers (the Firefox Profiler decodes with
// fatal errors, Python's json) refuse a whole file over one bad byte. Only
// strings hold bytes >= 0x80 in our JSON, so a whole document can be passed.
inline std::string valid_utf8(std::string text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  // The length of the UTF-8 sequence at `at`, 0 when it is not one.
  auto sequence_length = [&](size_t at) -> size_t {
    unsigned char lead = byte(at);
    if (lead < 0x80) return 1;
    size_t length = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
    }
    if (length == 0 || at + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
      if ((byte(at + k) & 0xC0) != 0x80) return 0;
    }
    unsigned char second = byte(at + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
    if (lead == 0xED && second > 0x9F) return 0;  // surrogates
    if (lead == 0xF0 && second < 0x90) return 0;  // overlong
    if (lead == 0xF4 && second > 0x8F) return 0;  // past U+10FFFF
    return length;
  };
  // Most text is valid: copy only from the first bad byte on.
  size_t i = 0;
  while (i < text.size()) {
    size_t length = sequence_length(i);
    if (length == 0) break;
    i += length;
  }
  if (i == text.size()) return text;
  std::string out = text.substr(0, i);
  while (i < text.size()) {
    size_t length = sequence_length(i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

// The last path component ("/usr/lib/libc.so.6" -> "libc.so.6").
inline std::string_view base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// What a frame is called in a flame graph: its function, or for an
// unsymbolized address the address with its module ("0x1234 [libfoo.so]").
inline std::string frame_label(const Frame& frame) {
  if (frame.function.empty()) {
    return frame.module.empty() ? std::string("[unknown]")
                                : "[unknown] [" + std::string(base_name(frame.module)) + "]";
  }
  if (frame.function.starts_with("0x") && !frame.module.empty()) {
    return frame.function + " [" + std::string(base_name(frame.module)) + "]";
  }
  return frame.function;
}

// The earliest time an export shows: the first sample or the first span
// placed on a thread, whichever comes first. Relative times count from it, so
// none is negative. Absent when nothing has a time.
inline std::optional<int64_t> export_zero_ns(const ViewModel& model) {
  std::optional<int64_t> zero = model.start_ns;
  for (const Sample& sample : model.samples) {
    if (sample.time_ns && (!zero || *sample.time_ns < *zero)) zero = sample.time_ns;
  }
  for (const Span& span : model.spans) {
    if (span.thread != kNone && (!zero || span.start_ns < *zero)) zero = span.start_ns;
  }
  return zero;
}

}  // namespace spanprof::view
