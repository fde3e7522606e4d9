#include "stacks/callchain_frames.h"

#include "perfdata/perf_abi.h"

namespace spanprof::stacks {
namespace {

enum class Context { kUser, kKernel, kSkip };

bool is_sampled_in_kernel(const perfdata::Sample& sample) {
  return perfdata::cpu_mode_of(sample.misc) == perfdata::CpuMode::kKernel;
}

}  // namespace

bool CallchainFrames::walk(const perfdata::Sample& sample, std::vector<StackFrame>& out) {
  namespace abi = perfdata::abi;
  out.clear();
  const bool sample_in_kernel = is_sampled_in_kernel(sample);
  Context context = sample_in_kernel ? Context::kKernel : Context::kUser;
  bool user_frames = false;
  // perf_event.h: the first frame after a context marker is where that context
  // was interrupted; the frames after it are return addresses.
  bool next_is_exact = true;
  for (uint64_t ip : sample.callchain) {
    if (ip >= abi::kContextMax) {
      next_is_exact = true;
      if (ip == abi::kContextKernel) {
        context = Context::kKernel;
      } else if (ip == abi::kContextUser) {
        context = Context::kUser;
      } else if (ip == abi::kContextHypervisor || ip == abi::kContextGuest ||
                 ip == abi::kContextGuestKernel || ip == abi::kContextGuestUser) {
        context = Context::kSkip;
      }
      continue;
    }
    if (context == Context::kSkip) {
      ++stats_.guest_frames_skipped;
      continue;
    }
    const bool kernel = context == Context::kKernel;
    const bool return_address = !next_is_exact;
    next_is_exact = false;
    if (kernel && !include_kernel_) continue;
    if (out.size() == kMaxFrames) {
      ++stats_.truncated_stacks;
      return false;
    }
    user_frames = user_frames || !kernel;
    out.push_back({ip, kernel, return_address});
  }
  if (user_frames) return false;
  // Recorded without a callchain: the sampled kernel address stands for the kernel part.
  if (sample.callchain.empty() && sample_in_kernel && include_kernel_ && sample.ip != 0) {
    out.push_back({sample.ip, true, false});
  }
  return true;
}

void CallchainFrames::add_unwound(std::span<const uint64_t> pcs, std::vector<StackFrame>& out) {
  for (size_t i = 0; i < pcs.size(); ++i) {
    if (out.size() == kMaxFrames) {
      ++stats_.truncated_stacks;
      return;
    }
    out.push_back({pcs[i], false, i > 0});
  }
}

void CallchainFrames::add_sampled_ip(const perfdata::Sample& sample,
                                     std::vector<StackFrame>& out) const {
  if (out.empty() && !is_sampled_in_kernel(sample) && sample.ip != 0) {
    out.push_back({sample.ip, false, false});
  }
}

}  // namespace spanprof::stacks
