#include "stacks/hot_functions.h"

#include <algorithm>

#include <fmt/format.h>

namespace spanprof::stacks {

uint32_t HotFunctions::function_index(const std::string& name) {
  auto [it, inserted] = index_by_name_.emplace(name, static_cast<uint32_t>(functions_.size()));
  if (inserted) {
    functions_.push_back(HotFunction{name, 0, 0});
    last_stack_seen_.push_back(0);
  }
  return it->second;
}

void HotFunctions::add_location(uint64_t location_id, const symbolize::Frames& frames,
                                uint64_t address) {
  if (functions_of_location_.size() <= location_id) functions_of_location_.resize(location_id + 1);
  std::vector<uint32_t>& indices = functions_of_location_[location_id];
  if (!indices.empty()) return;
  if (frames.empty()) {
    indices.push_back(function_index(fmt::format("0x{:x}", address)));
    return;
  }
  for (const symbolize::Frame& frame : frames) indices.push_back(function_index(frame.function));
}

void HotFunctions::add_stack(std::span<const uint64_t> location_ids, int64_t weight) {
  ++stack_counter_;
  bool leaf = true;
  for (uint64_t id : location_ids) {
    if (id >= functions_of_location_.size()) continue;
    for (uint32_t index : functions_of_location_[id]) {
      if (leaf) {
        functions_[index].self += weight;
        leaf = false;
      }
      if (last_stack_seen_[index] != stack_counter_) {
        last_stack_seen_[index] = stack_counter_;
        functions_[index].total += weight;
      }
    }
  }
}

std::vector<HotFunction> HotFunctions::top(size_t n) const {
  std::vector<HotFunction> sorted = functions_;
  std::sort(sorted.begin(), sorted.end(), [](const HotFunction& a, const HotFunction& b) {
    if (a.self != b.self) return a.self > b.self;
    if (a.total != b.total) return a.total > b.total;
    return a.name < b.name;
  });
  if (sorted.size() > n) sorted.resize(n);
  return sorted;
}

}  // namespace spanprof::stacks
