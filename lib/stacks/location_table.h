// Frames -> pprof locations: one location per distinct (mapping, address), one pprof
// mapping per process mapping.
//
// Takes: a frame's mapping and lookup address, and on first sight its symbolized frames.
// Gives: the location id, from the profile builder. Later samples with the same frame hit
// a hash map and are not symbolized again.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "symbolize/frame.h"

namespace spanprof::stacks {

struct FrameKey {
  const process::Mapping* mapping;  // nullptr for addresses outside every mapping
  uint64_t address;                 // the lookup address (ip-1 for return addresses)
  uint32_t pid;  // for JIT and unmapped addresses (perf maps are per process), else 0
  bool operator==(const FrameKey&) const = default;
};

// A location met for the first time, for consumers that index locations (hot functions).
struct NewLocation {
  uint64_t id;
  const symbolize::Frames* frames;  // the symbolizer's, valid while it lives
  uint64_t address;
};

class LocationTable {
 public:
  explicit LocationTable(profile::ProfileBuilder& builder) : builder_(builder) {}

  // The location id of key. The first time, symbolize() (returning a const Frames& that
  // outlives the table's use of it) gives the frames and the location is added.
  template <class Symbolize>
  uint64_t intern(const FrameKey& key, Symbolize&& symbolize) {
    auto [it, inserted] = ids_.try_emplace(key, 0);
    if (inserted) it->second = add(key, symbolize());
    return it->second;
  }

  size_t size() const { return ids_.size(); }

  // Locations added since forget_new().
  std::span<const NewLocation> new_locations() const { return new_; }
  void forget_new() { new_.clear(); }

 private:
  struct FrameKeyHash {
    size_t operator()(const FrameKey& key) const;
  };

  uint64_t add(const FrameKey& key, const symbolize::Frames& frames);
  uint64_t mapping_id_for(const process::Mapping& mapping, const symbolize::Frames& frames);

  profile::ProfileBuilder& builder_;
  std::unordered_map<FrameKey, uint64_t, FrameKeyHash> ids_;
  std::unordered_map<const process::Mapping*, uint64_t> mapping_ids_;
  std::vector<NewLocation> new_;
};

}  // namespace spanprof::stacks
