// Callchain -> frames on hand-written callchains: context markers, return addresses,
// skipped guest frames, the depth cap, and the fallbacks without a user callchain.
#include <gtest/gtest.h>

#include <vector>

#include "perfdata/perf_abi.h"
#include "stacks/callchain_frames.h"

namespace spanprof::stacks {
namespace {

namespace abi = perfdata::abi;

constexpr uint16_t kMiscKernel = 1;  // PERF_RECORD_MISC_KERNEL
constexpr uint16_t kMiscUser = 2;    // PERF_RECORD_MISC_USER

perfdata::Sample sample_of(const std::vector<uint64_t>& callchain, uint16_t misc,
                           uint64_t ip = 0) {
  perfdata::Sample sample;
  sample.misc = misc;
  sample.ip = ip;
  sample.callchain = callchain;
  return sample;
}

struct Expected {
  uint64_t ip;
  bool kernel;
  bool return_address;
};

void expect_frames(const std::vector<StackFrame>& frames, const std::vector<Expected>& want) {
  ASSERT_EQ(frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(frames[i].ip, want[i].ip) << "frame " << i;
    EXPECT_EQ(frames[i].kernel, want[i].kernel) << "frame " << i;
    EXPECT_EQ(frames[i].return_address, want[i].return_address) << "frame " << i;
  }
}

TEST(CallchainFrames, KernelThenUserWithTheInterruptedIpOfEach) {
  std::vector<uint64_t> chain{abi::kContextKernel, 0xffff1000, 0xffff2000,
                              abi::kContextUser,   0x401000,   0x402000, 0x403000};
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscKernel), frames));
  expect_frames(frames, {{0xffff1000, true, false},
                         {0xffff2000, true, true},
                         {0x401000, false, false},  // where user space entered the kernel
                         {0x402000, false, true},
                         {0x403000, false, true}});
}

TEST(CallchainFrames, ReturnAddressesAreLookedUpOneByteBack) {
  EXPECT_EQ((StackFrame{0x402000, false, true}).lookup_address(), 0x401fffu);
  EXPECT_EQ((StackFrame{0x402000, false, false}).lookup_address(), 0x402000u);
  EXPECT_EQ((StackFrame{0, false, true}).lookup_address(), 0u);
}

TEST(CallchainFrames, WithoutMarkersTheSampleModeSetsTheContext) {
  std::vector<uint64_t> chain{0x401000, 0x402000};
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscUser), frames));
  expect_frames(frames, {{0x401000, false, false}, {0x402000, false, true}});
}

TEST(CallchainFrames, GuestAndHypervisorFramesAreSkippedAndCounted) {
  std::vector<uint64_t> chain{abi::kContextHypervisor, 0xaaaa,
                              abi::kContextGuestKernel, 0xffff9000, 0xffff9100,
                              abi::kContextGuestUser, 0x7000,
                              abi::kContextGuest, 0x7100,
                              abi::kContextUser, 0x401000, 0x402000};
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscKernel), frames));
  expect_frames(frames, {{0x401000, false, false}, {0x402000, false, true}});
  EXPECT_EQ(walker.stats().guest_frames_skipped, 5u);
}

TEST(CallchainFrames, KernelFramesLeftOutOnRequest) {
  std::vector<uint64_t> chain{abi::kContextKernel, 0xffff1000, abi::kContextUser, 0x401000,
                              0x402000};
  CallchainFrames walker(false);
  std::vector<StackFrame> frames;
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscKernel), frames));
  expect_frames(frames, {{0x401000, false, false}, {0x402000, false, true}});
}

TEST(CallchainFrames, DepthCapCutsTheStackAndCountsIt) {
  std::vector<uint64_t> chain{abi::kContextUser};
  for (uint64_t i = 0; i < CallchainFrames::kMaxFrames + 10; ++i) chain.push_back(0x400000 + i);
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  // Cut: the user part is not missing, so nothing is added after the walk.
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscUser), frames));
  EXPECT_EQ(frames.size(), CallchainFrames::kMaxFrames);
  EXPECT_EQ(frames.back().ip, 0x400000 + CallchainFrames::kMaxFrames - 1);
  EXPECT_EQ(walker.stats().truncated_stacks, 1u);

  // A stack of exactly the cap is whole.
  chain.resize(1 + CallchainFrames::kMaxFrames);
  EXPECT_FALSE(walker.walk(sample_of(chain, kMiscUser), frames));
  EXPECT_EQ(frames.size(), CallchainFrames::kMaxFrames);
  EXPECT_EQ(walker.stats().truncated_stacks, 1u);
}

TEST(CallchainFrames, UnwoundUserFramesFollowTheKernelPartUnderTheCap) {
  std::vector<uint64_t> chain{abi::kContextKernel, 0xffff1000, 0xffff2000};
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  ASSERT_TRUE(walker.walk(sample_of(chain, kMiscKernel), frames));  // no user frames yet
  std::vector<uint64_t> pcs{0x401000, 0x402000};
  walker.add_unwound(pcs, frames);
  expect_frames(frames, {{0xffff1000, true, false},
                         {0xffff2000, true, true},
                         {0x401000, false, false},
                         {0x402000, false, true}});

  std::vector<uint64_t> deep(CallchainFrames::kMaxFrames, 0x401000);
  ASSERT_TRUE(walker.walk(sample_of(chain, kMiscKernel), frames));
  walker.add_unwound(deep, frames);
  EXPECT_EQ(frames.size(), CallchainFrames::kMaxFrames);
  EXPECT_EQ(walker.stats().truncated_stacks, 1u);
}

TEST(CallchainFrames, WithoutACallchainTheSampledIpStands) {
  CallchainFrames walker(true);
  std::vector<StackFrame> frames;
  // Kernel mode: the sampled ip is the kernel part; user frames may still be unwound.
  ASSERT_TRUE(walker.walk(sample_of({}, kMiscKernel, 0xffff5000), frames));
  walker.add_sampled_ip(sample_of({}, kMiscKernel, 0xffff5000), frames);
  expect_frames(frames, {{0xffff5000, true, false}});

  // User mode, nothing unwound: the sampled ip, looked up as is.
  ASSERT_TRUE(walker.walk(sample_of({}, kMiscUser, 0x401234), frames));
  EXPECT_TRUE(frames.empty());
  walker.add_sampled_ip(sample_of({}, kMiscUser, 0x401234), frames);
  expect_frames(frames, {{0x401234, false, false}});

  // A user-mode callchain of kernel frames only keeps them and adds nothing.
  std::vector<uint64_t> kernel_only{abi::kContextKernel, 0xffff1000};
  ASSERT_TRUE(walker.walk(sample_of(kernel_only, kMiscUser, 0x401234), frames));
  walker.add_sampled_ip(sample_of(kernel_only, kMiscUser, 0x401234), frames);
  expect_frames(frames, {{0xffff1000, true, false}});
}

}  // namespace
}  // namespace spanprof::stacks
