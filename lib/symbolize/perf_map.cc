#include "symbolize/perf_map.h"

#include <charconv>
#include <fstream>
#include <iterator>

namespace spanprof::symbolize {

namespace {

// One hex field followed by a space; advances text past both.
std::optional<uint64_t> take_hex_field(std::string_view& text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end == text.data() || end == text.data() + text.size() || *end != ' ') {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<size_t>(end - text.data()) + 1);
  return value;
}

}  // namespace

PerfMap PerfMap::parse(std::istream& in) {
  PerfMap map;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view text(line);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) continue;
    auto start = take_hex_field(text);
    auto size = start ? take_hex_field(text) : std::nullopt;
    if (!start || !size || *size == 0 || text.empty() || *start + *size < *start) {
      ++map.bad_lines_;
      continue;
    }
    map.insert(*start, *start + *size, text);
  }
  return map;
}

std::optional<PerfMap> PerfMap::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return parse(in);
}

void PerfMap::insert(uint64_t start, uint64_t end, std::string_view name) {
  auto it = ranges_.lower_bound(start);
  if (it != ranges_.begin() && std::prev(it)->second.end > start) --it;
  while (it != ranges_.end() && it->first < end) {
    uint64_t old_start = it->first;
    Range old = std::move(it->second);
    it = ranges_.erase(it);
    if (old_start < start) ranges_.emplace(old_start, Range{start, old.name});
    if (old.end > end) {
      ranges_.emplace(end, Range{old.end, std::move(old.name)});
      break;
    }
  }
  ranges_.insert_or_assign(start, Range{end, std::string(name)});
}

const std::string* PerfMap::find(uint64_t addr) const {
  auto it = ranges_.upper_bound(addr);
  if (it == ranges_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second.name : nullptr;
}

}  // namespace spanprof::symbolize
