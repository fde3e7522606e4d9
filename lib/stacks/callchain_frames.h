// Callchain -> frames: which entries of a sample's callchain are addresses, in which
// context (kernel, user, guest), and which are return addresses.
//
// Takes: a decoded sample, and for `--call-graph dwarf` the user pcs the unwinder found.
// Gives: the sample's frames, leaf first, each with the address to symbolize. Guest and
// hypervisor frames are skipped; stacks deeper than kMaxFrames are cut. Both are counted.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "perfdata/records.h"

namespace spanprof::stacks {

struct StackFrame {
  uint64_t ip = 0;
  bool kernel = false;
  bool return_address = false;  // a caller's frame: ip is the address after the call

  // A return address points after the call; ip-1 lies inside the call instruction, so
  // its line and inline frames are the caller's. The interrupted ip is looked up as is.
  uint64_t lookup_address() const { return return_address && ip > 0 ? ip - 1 : ip; }
};

struct CallchainStats {
  uint64_t guest_frames_skipped = 0;
  uint64_t truncated_stacks = 0;  // the stack hit the depth cap
};

class CallchainFrames {
 public:
  // Beyond this depth a callchain is corrupt or recursive beyond use; perf's own cap
  // (kernel.perf_event_max_stack) defaults to 127.
  static constexpr size_t kMaxFrames = 1024;

  explicit CallchainFrames(bool include_kernel) : include_kernel_(include_kernel) {}

  // The frames of sample's callchain into out (cleared first). True when the stack still
  // lacks its user part (no user frame in the callchain, not cut at the cap): the caller
  // then adds the unwound frames or, failing those, the sampled ip.
  bool walk(const perfdata::Sample& sample, std::vector<StackFrame>& out);

  // User frames unwound from the stack copy: the interrupted pc, then return addresses.
  void add_unwound(std::span<const uint64_t> pcs, std::vector<StackFrame>& out);

  // A user-mode sample with no user frames at all keeps its sampled instruction.
  void add_sampled_ip(const perfdata::Sample& sample, std::vector<StackFrame>& out) const;

  const CallchainStats& stats() const { return stats_; }

 private:
  bool include_kernel_;
  CallchainStats stats_;
};

}  // namespace spanprof::stacks
