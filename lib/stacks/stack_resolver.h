// A sample's stack as pprof location ids: the stages of the sample path, in order.
//
// callchain -> frames (callchain_frames.h); for `--call-graph dwarf`, the user frames
// unwound from the registers and stack copy with the binaries' CFI (lib/unwind); each
// frame -> its mapping (lib/process) -> its binary (lib/binaries) -> its symbols
// (lib/symbolize) -> a location id (location_table.h). Each distinct (mapping, address) is
// symbolized once.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binaries/binary_table.h"
#include "perfdata/records.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "stacks/callchain_frames.h"
#include "stacks/location_table.h"
#include "symbolize/symbolizer.h"
#include "unwind/dwarf_unwinder.h"

namespace spanprof::stacks {

struct StackStats {
  uint64_t frames = 0;
  uint64_t kernel_frames = 0;           // distinct kernel locations
  uint64_t guest_frames_skipped = 0;
  uint64_t frames_without_mapping = 0;  // no mapping and no perf map: raw address
  uint64_t unique_locations = 0;
  uint64_t truncated_stacks = 0;        // the stack hit the depth cap
  unwind::UnwindStats unwind;           // dwarf captures only
};

class StackResolver {
 public:
  StackResolver(const process::ProcessTable& processes, binaries::BinaryTable& binaries,
                symbolize::Symbolizer& symbolizer, profile::ProfileBuilder& builder,
                bool include_kernel = true);

  // Location ids of sample's stack, leaf first, into out (cleared first).
  void resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out);

  // The locations the last resolve() met for the first time.
  std::span<const NewLocation> new_locations() const { return locations_.new_locations(); }

  StackStats stats() const;

 private:
  uint64_t location_of(uint32_t pid, const StackFrame& frame);

  const process::ProcessTable& processes_;
  binaries::BinaryTable& binaries_;
  symbolize::Symbolizer& symbolizer_;
  CallchainFrames callchain_;
  unwind::DwarfUnwinder unwinder_;
  LocationTable locations_;
  std::vector<StackFrame> frames_;
  std::vector<uint64_t> unwound_pcs_;
  uint64_t frame_count_ = 0;
  uint64_t kernel_locations_ = 0;
  uint64_t unmapped_raw_locations_ = 0;
};

}  // namespace spanprof::stacks
