// Callchain -> pprof location ids.
//
// Takes: a decoded sample, the process table at the sample's time, the
// symbolizer and the profile builder. Gives: the sample's stack as location ids,
// leaf first. Each distinct (mapping, address) is symbolized once; later
// samples hit a hash map. Samples recorded with `--call-graph dwarf` get their
// user frames from the DWARF unwinder; the kernel frames come from the callchain.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "perfdata/records.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "stacks/hot_functions.h"
#include "symbolize/symbolizer.h"
#include "unwind/dwarf_unwinder.h"

namespace spanprof::stacks {

struct StackStats {
  uint64_t frames = 0;
  uint64_t kernel_frames = 0;
  uint64_t guest_frames_skipped = 0;
  uint64_t frames_without_mapping = 0;  // no mapping and no perf map: raw address
  uint64_t unique_locations = 0;
  uint64_t truncated_stacks = 0;        // callchain hit the depth cap
  unwind::UnwindStats unwind;           // dwarf captures only
};

class StackResolver {
 public:
  StackResolver(const process::ProcessTable& processes, symbolize::Symbolizer& symbolizer,
                profile::ProfileBuilder& builder, bool include_kernel = true);

  // Location ids of sample's stack, leaf first, into out (cleared first).
  void resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out);

  const StackStats& stats() const { return stats_; }
  HotFunctions& hot_functions() { return hot_functions_; }

 private:
  struct FrameKey {
    const void* mapping;  // process::Mapping*, or nullptr for unmapped addresses
    uint64_t address;
    uint32_t pid;  // only for unmapped (JIT) addresses, else 0
    bool operator==(const FrameKey&) const = default;
  };
  struct FrameKeyHash {
    size_t operator()(const FrameKey& key) const;
  };

  uint64_t location_for(uint32_t pid, uint64_t ip, bool kernel, bool return_address);
  uint64_t mapping_id_for(const process::Mapping* mapping, const symbolize::Frames& frames);

  const process::ProcessTable& processes_;
  symbolize::Symbolizer& symbolizer_;
  profile::ProfileBuilder& builder_;
  bool include_kernel_;
  std::unordered_map<FrameKey, uint64_t, FrameKeyHash> locations_;
  std::unordered_map<const process::Mapping*, uint64_t> mapping_ids_;
  unwind::DwarfUnwinder unwinder_;
  std::vector<uint64_t> unwound_pcs_;
  StackStats stats_;
  HotFunctions hot_functions_;
};

}  // namespace spanprof::stacks
