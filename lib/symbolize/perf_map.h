// JIT symbol maps, /tmp/perf-PID.map (tools/perf/Documentation/jit-interface.txt).
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace spanprof::symbolize {

class PerfMap {
 public:
  // Lines "START SIZE name": hex without 0x, the name runs to the end of the line and may
  // hold spaces. Malformed lines are skipped and counted. A later line wins where ranges
  // overlap: JITs reuse code memory and append the new symbol.
  static PerfMap parse(std::istream& in);
  // nullopt when the file cannot be opened.
  static std::optional<PerfMap> load(const std::string& path);

  // The symbol whose range contains addr, nullptr when none.
  const std::string* find(uint64_t addr) const;

  uint64_t bad_lines() const { return bad_lines_; }
  size_t size() const { return ranges_.size(); }

 private:
  struct Range {
    uint64_t end = 0;  // exclusive
    std::string name;
  };
  void insert(uint64_t start, uint64_t end, std::string_view name);

  std::map<uint64_t, Range> ranges_;  // by start, not overlapping
  uint64_t bad_lines_ = 0;
};

}  // namespace spanprof::symbolize
