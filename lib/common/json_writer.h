// The one JSON writer for the files spanprof writes (summary.json, capture.json,
// push.json, the push summary, outbox entries): commas, escaping and number
// forms in one place. Keys are written in the order they are given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/json_quote.h"

namespace spanprof {

class JsonWriter {
 public:
  // kPretty puts each member of an object or array on a line of its own,
  // indented by two spaces a level (for files people read: capture.json).
  enum class Style { kCompact, kPretty };
  explicit JsonWriter(Style style = Style::kCompact) : pretty_(style == Style::kPretty) {}

  void begin_object(std::string_view key = {}) { open(key, '{'); }
  void end_object() { close('}'); }
  void begin_array(std::string_view key = {}) { open(key, '['); }
  void end_array() { close(']'); }

  void field(std::string_view key, std::string_view value) {
    prefix(key);
    append_json_quoted(out_, value);
  }
  void field(std::string_view key, const char* value) { field(key, std::string_view(value)); }
  void field(std::string_view key, const std::string& value) { field(key, std::string_view(value)); }
  void field(std::string_view key, int64_t value) {
    prefix(key);
    out_ += std::to_string(value);
  }
  void field(std::string_view key, uint64_t value) {
    prefix(key);
    out_ += std::to_string(value);
  }
  void field(std::string_view key, int value) { field(key, static_cast<int64_t>(value)); }
  void field(std::string_view key, unsigned value) { field(key, static_cast<uint64_t>(value)); }
  // Ratios and rates: four decimals.
  void field(std::string_view key, double value) {
    prefix(key);
    out_ += fmt::format("{:.4f}", value);
  }
  void field(std::string_view key, bool value) {
    prefix(key);
    out_ += value ? "true" : "false";
  }
  void null_field(std::string_view key) {
    prefix(key);
    out_ += "null";
  }
  // Already-serialized JSON (a value copied from another document).
  void raw_field(std::string_view key, std::string_view json) {
    prefix(key);
    out_ += json;
  }
  // Array elements.
  void value(std::string_view text) {
    prefix({});
    append_json_quoted(out_, text);
  }
  void value(int64_t number) {
    prefix({});
    out_ += std::to_string(number);
  }

  // The document, with a final newline.
  std::string take() { return std::move(out_) + "\n"; }

 private:
  void open(std::string_view key, char bracket) {
    prefix(key);
    out_ += bracket;
    members_.push_back(0);
  }
  void close(char bracket) {
    bool had_members = !members_.empty() && members_.back() > 0;
    if (!members_.empty()) members_.pop_back();
    if (pretty_ && had_members) newline();
    out_ += bracket;
  }
  void prefix(std::string_view key) {
    if (!members_.empty()) {
      if (members_.back()++ > 0) out_ += ',';
      if (pretty_) newline();
    }
    if (!key.empty()) {
      append_json_quoted(out_, key);
      out_ += pretty_ ? ": " : ":";
    }
  }
  void newline() {
    out_ += '\n';
    out_.append(2 * members_.size(), ' ');
  }

  std::string out_;
  std::vector<uint32_t> members_;  // per open object/array: members written so far
  bool pretty_;
};

}  // namespace spanprof
