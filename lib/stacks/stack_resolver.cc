#include "stacks/stack_resolver.h"

namespace spanprof::stacks {

StackResolver::StackResolver(const process::ProcessTable& processes,
                             binaries::BinaryTable& binaries, symbolize::Symbolizer& symbolizer,
                             profile::ProfileBuilder& builder, bool include_kernel)
    : processes_(processes),
      binaries_(binaries),
      symbolizer_(symbolizer),
      callchain_(include_kernel),
      unwinder_(processes, binaries),
      locations_(builder) {}

void StackResolver::resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out) {
  out.clear();
  locations_.forget_new();
  if (callchain_.walk(sample, frames_)) {
    // `--call-graph dwarf` records no user frames in the callchain: they are
    // unwound from the registers and stack copy.
    bool dwarf = sample.attr != nullptr && unwind::DwarfUnwinder::applies_to(*sample.attr);
    if (dwarf && unwinder_.unwind(sample, unwound_pcs_)) {
      callchain_.add_unwound(unwound_pcs_, frames_);
    } else {
      callchain_.add_sampled_ip(sample, frames_);
    }
  }
  for (const StackFrame& frame : frames_) out.push_back(location_of(sample.pid, frame));
}

uint64_t StackResolver::location_of(uint32_t pid, const StackFrame& frame) {
  ++frame_count_;
  const uint64_t lookup = frame.lookup_address();
  const process::Mapping* mapping = frame.kernel ? processes_.find_kernel_mapping(frame.ip)
                                                 : processes_.find_user_mapping(pid, frame.ip);
  const bool jit = !frame.kernel && (mapping == nullptr || binaries::is_jit_mapping(*mapping));
  FrameKey key{mapping, lookup, jit ? pid : 0};
  return locations_.intern(key, [&]() -> const symbolize::Frames& {
    const symbolize::Frames* frames = nullptr;
    if (frame.kernel) {
      ++kernel_locations_;
      frames = &symbolizer_.symbolize_kernel(lookup);
    } else if (jit) {
      frames = &symbolizer_.symbolize_jit(pid, lookup);
    } else {
      frames = &symbolizer_.symbolize(*mapping, binaries_.binary_of(*mapping), lookup);
    }
    if (mapping == nullptr && frames->empty()) ++unmapped_raw_locations_;
    return *frames;
  });
}

StackStats StackResolver::stats() const {
  StackStats stats;
  stats.frames = frame_count_;
  stats.kernel_frames = kernel_locations_;
  stats.guest_frames_skipped = callchain_.stats().guest_frames_skipped;
  stats.frames_without_mapping = unmapped_raw_locations_;
  stats.unique_locations = locations_.size();
  stats.truncated_stacks = callchain_.stats().truncated_stacks;
  stats.unwind = unwinder_.stats();
  return stats;
}

}  // namespace spanprof::stacks
