#include "push/profile_cutter.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_set>

namespace spanprof::push {

ProfileCutter::ProfileCutter(const pprof::Profile& full,
                             const std::vector<std::string>& label_strings,
                             std::optional<PeriodType> period_type)
    : full_(full), label_strings_(label_strings), period_type_(std::move(period_type)) {
  // The join's profiles put their count column first (samples/count,
  // switches/count) before a weight (cpu/nanoseconds, events/count,
  // off_cpu/nanoseconds); a single column (wall/nanoseconds) is a weight.
  // So the unit alone does not tell: events/count is a weight.
  const int types = full.sample_type_size();
  for (int i = 0; i < types; ++i) {
    int64_t unit = full.sample_type(i).unit();
    value_is_count_.push_back(i == 0 && types > 1 && unit > 0 &&
                              unit < full.string_table_size() &&
                              full.string_table(static_cast<int>(unit)) == "count");
  }
  for (int i = 0; i < full.location_size(); ++i) location_index_[full.location(i).id()] = i;
  for (int i = 0; i < full.function_size(); ++i) function_index_[full.function(i).id()] = i;
  for (int i = 0; i < full.mapping_size(); ++i) mapping_index_[full.mapping(i).id()] = i;
}

pprof::Profile ProfileCutter::cut(std::span<const Entry> entries, int64_t start_ns,
                                  int64_t duration_ns) {
  strings_.clear();
  string_ids_.clear();
  add_string("");
  pprof::Profile out;
  for (const auto& type : full_.sample_type()) {
    auto* vt = out.add_sample_type();
    vt->set_type(full_string(type.type()));
    vt->set_unit(full_string(type.unit()));
  }
  if (!period_type_) {
    out.mutable_period_type()->set_type(full_string(full_.period_type().type()));
    out.mutable_period_type()->set_unit(full_string(full_.period_type().unit()));
    out.set_period(full_.period());
  } else if (!period_type_->type.empty() || !period_type_->unit.empty()) {
    out.mutable_period_type()->set_type(add_string(period_type_->type));
    out.mutable_period_type()->set_unit(add_string(period_type_->unit));
    out.set_period(full_.period());
  }
  out.set_time_nanos(start_ns);
  out.set_duration_nanos(duration_ns);
  for (int64_t comment : full_.comment()) out.add_comment(full_string(comment));

  std::unordered_set<uint64_t> locations, functions;
  // Label keys enter the string table when first used: a profile without
  // thread_state labels has no such string.
  int64_t label_keys[kLabelWords] = {};
  for (const Entry& entry : entries) {
    const std::vector<uint64_t>& key = *entry.key;
    auto* sample = out.add_sample();
    size_t n = key[0];
    for (size_t i = 1; i <= n; ++i) {
      sample->add_location_id(key[i]);
      locations.insert(key[i]);
    }
    for (size_t i = 0; i < kLabelWords; ++i) {
      uint64_t value = key[1 + n + i];
      if (value == 0) continue;
      if (label_keys[i] == 0) label_keys[i] = add_string(kLabelKeys[i]);
      auto* label = sample->add_label();
      label->set_key(label_keys[i]);
      label->set_str(add_string(label_strings_[value]));
    }
    for (bool is_count : value_is_count_) sample->add_value(is_count ? entry.count : entry.weight);
  }
  // Locations in id order, so the output does not depend on hashing.
  std::map<uint64_t, bool> mappings;  // id -> every location there has a line
  std::vector<uint64_t> sorted(locations.begin(), locations.end());
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t id : sorted) {
    auto it = location_index_.find(id);
    if (it == location_index_.end()) continue;
    auto* location = out.add_location();
    *location = full_.location(it->second);
    if (location->mapping_id() != 0) {
      auto [m, inserted] = mappings.try_emplace(location->mapping_id(), true);
      if (location->line_size() == 0) m->second = false;
    }
    for (const auto& line : location->line()) functions.insert(line.function_id());
  }
  sorted.assign(functions.begin(), functions.end());
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t id : sorted) {
    auto it = function_index_.find(id);
    if (it == function_index_.end()) continue;
    const auto& from = full_.function(it->second);
    auto* function = out.add_function();
    function->set_id(from.id());
    function->set_name(full_string(from.name()));
    function->set_system_name(full_string(from.system_name()));
    function->set_filename(full_string(from.filename()));
    function->set_start_line(from.start_line());
  }
  for (const auto& [id, all_have_lines] : mappings) {
    auto it = mapping_index_.find(id);
    if (it == mapping_index_.end()) continue;
    auto* mapping = out.add_mapping();
    *mapping = full_.mapping(it->second);
    mapping->set_filename(full_string(mapping->filename()));
    mapping->set_build_id(full_string(mapping->build_id()));
    // The server clears the addresses of a has_functions mapping: its
    // unsymbolized frames would show empty.
    if (!all_have_lines) mapping->set_has_functions(false);
  }
  for (const std::string& s : strings_) out.add_string_table(s);
  return out;
}

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF), or 0.
size_t utf8_sequence(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  unsigned char second = byte(i + 1);
  if ((c == 0xe0 && second < 0xa0) || (c == 0xed && second > 0x9f) ||
      (c == 0xf0 && second < 0x90) || (c == 0xf4 && second > 0x8f)) {
    return 0;
  }
  return n;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD for each byte that starts no valid sequence
      ++i;
      continue;
    }
    out.append(text, i, n);
    i += n;
  }
  return out;
}

int64_t ProfileCutter::add_string(const std::string& s) {
  auto [it, inserted] = string_ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
  // Pyroscope refuses a profile whose string table holds invalid UTF-8 (a 400
  // that would stop the destination): such bytes become U+FFFD.
  if (inserted) strings_.push_back(valid_utf8(s));
  return it->second;
}

int64_t ProfileCutter::full_string(int64_t index) {
  if (index <= 0 || index >= full_.string_table_size()) return add_string("");
  return add_string(full_.string_table(static_cast<int>(index)));
}

}  // namespace spanprof::push
