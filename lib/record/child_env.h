// The environment the profiled command gets: the user's, plus where to send spans.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spanprof::record {

class ChildEnv {
 public:
  // A copy of this process's environment.
  static ChildEnv inherited();

  std::optional<std::string> get(std::string_view name) const;
  void set(std::string_view name, std::string_view value);

  // "NAME=value" entries, for execve.
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
};

}  // namespace spanprof::record
