#include "stacks/stack_resolver.h"

#include <string_view>

#include "symbolize/perf_map.h"

namespace spanprof::stacks {

namespace {

// perf_event.h: callchain context markers; any value >= kContextMax is a marker.
constexpr uint64_t kContextHypervisor = static_cast<uint64_t>(-32);
constexpr uint64_t kContextKernel = static_cast<uint64_t>(-128);
constexpr uint64_t kContextUser = static_cast<uint64_t>(-512);
constexpr uint64_t kContextGuest = static_cast<uint64_t>(-2048);
constexpr uint64_t kContextGuestKernel = static_cast<uint64_t>(-2176);
constexpr uint64_t kContextGuestUser = static_cast<uint64_t>(-2560);
constexpr uint64_t kContextMax = static_cast<uint64_t>(-4095);

// Beyond this depth a callchain is corrupt or recursive beyond use; perf's own
// cap (kernel.perf_event_max_stack) defaults to 127.
constexpr size_t kMaxFrames = 1024;

enum class Context { kUser, kKernel, kSkip };

}  // namespace

size_t StackResolver::FrameKeyHash::operator()(const FrameKey& key) const {
  uint64_t h = reinterpret_cast<uintptr_t>(key.mapping) * 0x9E3779B97F4A7C15ull;
  h ^= key.address + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  h ^= static_cast<uint64_t>(key.pid) * 0xC2B2AE3D27D4EB4Full;
  return static_cast<size_t>(h);
}

StackResolver::StackResolver(const process::ProcessTable& processes,
                             symbolize::Symbolizer& symbolizer, profile::ProfileBuilder& builder,
                             bool include_kernel)
    : processes_(processes),
      symbolizer_(symbolizer),
      builder_(builder),
      include_kernel_(include_kernel),
      unwinder_(processes, symbolizer) {}

void StackResolver::resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out) {
  out.clear();
  bool sample_in_kernel = perfdata::cpu_mode_of(sample.misc) == perfdata::CpuMode::kKernel;
  Context context = sample_in_kernel ? Context::kKernel : Context::kUser;
  bool user_frames = false;
  // perf_event.h: the first frame after a context marker is where that context
  // was interrupted; the frames after it are return addresses.
  bool next_is_exact = true;
  for (uint64_t ip : sample.callchain) {
    if (ip >= kContextMax) {
      next_is_exact = true;
      if (ip == kContextKernel) {
        context = Context::kKernel;
      } else if (ip == kContextUser) {
        context = Context::kUser;
      } else if (ip == kContextHypervisor || ip == kContextGuest ||
                 ip == kContextGuestKernel || ip == kContextGuestUser) {
        context = Context::kSkip;
      }
      continue;
    }
    if (context == Context::kSkip) {
      ++stats_.guest_frames_skipped;
      continue;
    }
    bool kernel = context == Context::kKernel;
    bool return_address = !next_is_exact;
    next_is_exact = false;
    if (kernel && !include_kernel_) continue;
    if (out.size() == kMaxFrames) {
      ++stats_.truncated_stacks;
      return;
    }
    user_frames = user_frames || !kernel;
    out.push_back(location_for(sample.pid, ip, kernel, return_address));
  }
  if (user_frames) return;
  // Recorded without a callchain: the sampled kernel address stands for the kernel part.
  if (sample.callchain.empty() && sample_in_kernel && include_kernel_ && sample.ip != 0) {
    out.push_back(location_for(sample.pid, sample.ip, true, false));
  }

  // `--call-graph dwarf` records no user frames in the callchain: they are
  // unwound from the registers and stack copy.
  bool dwarf = sample.attr != nullptr && unwind::DwarfUnwinder::applies_to(*sample.attr);
  bool unwound = dwarf && unwinder_.unwind(sample, unwound_pcs_);
  if (dwarf) stats_.unwind = unwinder_.stats();
  if (unwound) {
    for (size_t i = 0; i < unwound_pcs_.size(); ++i) {
      if (out.size() == kMaxFrames) {
        ++stats_.truncated_stacks;
        return;
      }
      out.push_back(location_for(sample.pid, unwound_pcs_[i], false, i > 0));
    }
    return;
  }
  // Without a user callchain, keep at least the sampled instruction.
  if (out.empty() && !sample_in_kernel && sample.ip != 0) {
    out.push_back(location_for(sample.pid, sample.ip, false, false));
  }
}

uint64_t StackResolver::location_for(uint32_t pid, uint64_t ip, bool kernel,
                                     bool return_address) {
  ++stats_.frames;
  // A return address points after the call; ip-1 lies inside the call
  // instruction, so its line and inline frames are the caller's.
  uint64_t lookup = return_address && ip > 0 ? ip - 1 : ip;

  const process::Mapping* mapping =
      kernel ? processes_.find_kernel_mapping(ip) : processes_.find_user_mapping(pid, ip);
  bool jit = !kernel && (mapping == nullptr || symbolize::is_jit_mapping(*mapping));
  FrameKey key{mapping, lookup, jit ? pid : 0};
  if (auto it = locations_.find(key); it != locations_.end()) return it->second;

  const symbolize::Frames* frames = nullptr;
  if (kernel) {
    ++stats_.kernel_frames;
    frames = &symbolizer_.symbolize_kernel(lookup);
  } else if (jit) {
    frames = &symbolizer_.symbolize_jit(pid, lookup);
  } else {
    frames = &symbolizer_.symbolize(*mapping, lookup);
  }
  if (mapping == nullptr && frames->empty()) ++stats_.frames_without_mapping;

  uint64_t mapping_id = mapping ? mapping_id_for(mapping, *frames) : 0;
  uint64_t location_id = builder_.add_location(mapping_id, lookup, *frames);
  locations_.emplace(key, location_id);
  hot_functions_.add_location(location_id, *frames, lookup);
  ++stats_.unique_locations;
  return location_id;
}

uint64_t StackResolver::mapping_id_for(const process::Mapping* mapping,
                                       const symbolize::Frames& frames) {
  if (auto it = mapping_ids_.find(mapping); it != mapping_ids_.end()) return it->second;
  profile::MappingInfo info;
  info.memory_start = mapping->start;
  info.memory_limit = mapping->end;
  info.file_offset = mapping->pgoff;
  info.filename = mapping->filename;
  info.build_id = mapping->build_id;
  // pprof tools re-symbolize mappings without functions; decided from the
  // first address looked up in the mapping.
  info.has_functions = !frames.empty();
  info.has_filenames = !frames.empty() && !frames.front().file.empty();
  info.has_line_numbers = !frames.empty() && frames.front().line != 0;
  info.has_inline_frames = info.has_line_numbers;
  uint64_t id = builder_.add_mapping(info);
  mapping_ids_.emplace(mapping, id);
  return id;
}

}  // namespace spanprof::stacks
