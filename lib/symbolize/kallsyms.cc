#include "symbolize/kallsyms.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>

namespace spanprof::symbolize {
namespace {

// kallsyms gives no sizes; a kernel function is far smaller than this, so an address
// further from its nearest symbol is not in any (e.g. past the last module symbol).
constexpr uint64_t kMaxDistanceFromSymbol = 1u << 20;

bool is_text_type(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

}  // namespace

Result<KallsymsTable> KallsymsTable::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error("cannot read kernel symbols", path, "kernel frames keep raw addresses");
  }
  return parse(in);
}

KallsymsTable KallsymsTable::parse(std::istream& in) {
  KallsymsTable table;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view rest(line);
    auto space = rest.find(' ');
    if (space == std::string_view::npos) continue;
    uint64_t addr = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + space, addr, 16);
    if (ec != std::errc() || end != rest.data() + space || addr == 0) continue;
    rest.remove_prefix(space + 1);
    if (rest.size() < 3 || rest[1] != ' ' || !is_text_type(rest[0])) continue;
    rest.remove_prefix(2);
    // Module symbols end in "\t[module]": the name is what precedes the tab.
    std::string_view name = rest.substr(0, rest.find('\t'));
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.empty()) continue;
    table.symbols_.push_back({addr, std::string(name)});
  }
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const KernelSymbol& a, const KernelSymbol& b) { return a.addr < b.addr; });
  return table;
}

const KernelSymbol* KallsymsTable::find(uint64_t addr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                             [](uint64_t a, const KernelSymbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return nullptr;
  --it;
  if (addr - it->addr > kMaxDistanceFromSymbol) return nullptr;
  return &*it;
}

}  // namespace spanprof::symbolize
