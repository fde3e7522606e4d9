// Which functions the samples spent their time in: self (leaf) and total
// (anywhere on the stack, inlined frames included), for the terminal summary. Fed by the
// join: each new location once (StackResolver::new_locations), then every sample's stack.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbolize/frame.h"

namespace spanprof::stacks {

struct HotFunction {
  std::string name;
  int64_t self = 0;   // weight where it is the innermost frame
  int64_t total = 0;  // weight where it is anywhere on the stack
};

class HotFunctions {
 public:
  // Registers location_id (dense ids from 1) with its frames, innermost first.
  void add_location(uint64_t location_id, const symbolize::Frames& frames, uint64_t address);

  // Adds weight to a stack of location ids, leaf first.
  void add_stack(std::span<const uint64_t> location_ids, int64_t weight);

  // The n functions with the most self weight, then by total.
  std::vector<HotFunction> top(size_t n) const;

 private:
  uint32_t function_index(const std::string& name);

  std::unordered_map<std::string, uint32_t> index_by_name_;
  std::vector<HotFunction> functions_;
  std::vector<std::vector<uint32_t>> functions_of_location_;  // by location id
  std::vector<uint64_t> last_stack_seen_;  // per function: stack counter, to count total once
  uint64_t stack_counter_ = 0;
};

}  // namespace spanprof::stacks
