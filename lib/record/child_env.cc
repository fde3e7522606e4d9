#include "record/child_env.h"

extern char** environ;

namespace spanprof::record {

ChildEnv ChildEnv::inherited() {
  ChildEnv env;
  for (char** entry = environ; entry && *entry; ++entry) env.entries_.emplace_back(*entry);
  return env;
}

std::optional<std::string> ChildEnv::get(std::string_view name) const {
  for (const std::string& entry : entries_) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

void ChildEnv::set(std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + "=" + std::string(value);
  for (std::string& existing : entries_) {
    if (existing.size() > name.size() && existing[name.size()] == '=' &&
        existing.starts_with(name)) {
      existing = std::move(entry);
      return;
    }
  }
  entries_.push_back(std::move(entry));
}

}  // namespace spanprof::record
