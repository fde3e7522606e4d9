// Register numbering and bounds of the stack copy: the parts of the unwinder that
// read untrusted sample bytes.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <vector>

#include "unwind/registers.h"
#include "unwind/stack_copy.h"

namespace spanprof::unwind {
namespace {

TEST(Registers, ValuesFollowTheMaskInBitOrder) {
  // bx (1), bp (6), sp (7), ip (8), r12 (20): DWARF 3, 6, 7, 16, 12.
  uint64_t mask = (1u << 1) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 20);
  std::vector<uint64_t> values = {11, 66, 77, 88, 1212};
  RegisterSet regs = registers_from_perf(mask, values);
  EXPECT_EQ(regs.value[3], 11u);
  EXPECT_EQ(regs.value[kDwarfRbp], 66u);
  EXPECT_EQ(regs.value[kDwarfRsp], 77u);
  EXPECT_EQ(regs.value[kDwarfReturnAddress], 88u);
  EXPECT_EQ(regs.value[12], 1212u);
  EXPECT_FALSE(regs.has(0));  // rax not recorded
}

TEST(Registers, FewerValuesThanMaskBitsLeaveTheRestUnknown) {
  uint64_t mask = (1u << 6) | (1u << 7) | (1u << 8);
  std::vector<uint64_t> values = {66};
  RegisterSet regs = registers_from_perf(mask, values);
  EXPECT_TRUE(regs.has(kDwarfRbp));
  EXPECT_FALSE(regs.has(kDwarfRsp));
  EXPECT_FALSE(regs.has(kDwarfReturnAddress));
}

TEST(Registers, OnlyX86_64MasksAreAccepted) {
  EXPECT_TRUE(is_x86_64_mask(0xff0fffull));       // perf's x86_64 user mask
  EXPECT_FALSE(is_x86_64_mask(0x1ffffffffull));   // arm64: bits 0..32
  EXPECT_FALSE(is_x86_64_mask(1u << 7));          // no ip
}

TEST(StackCopy, ReadsOnlyWithinTheValidBytes) {
  std::array<std::byte, 32> bytes{};
  uint64_t word = 0x1122334455667788ull;
  std::memcpy(bytes.data() + 16, &word, 8);
  // 32 bytes copied, the kernel filled 24 of them.
  StackCopy stack(bytes, 24, 0x1000);
  EXPECT_EQ(stack.size(), 24u);
  EXPECT_EQ(stack.read_u64(0x1010), word);
  EXPECT_FALSE(stack.read_u64(0x1011));  // would need byte 24
  EXPECT_FALSE(stack.read_u64(0xff8));   // below the copy
  EXPECT_FALSE(stack.read_u64(UINT64_MAX - 3));
}

TEST(StackCopy, EmptyCopyReadsNothing) {
  StackCopy stack({}, 0, 0x7ffff000);
  EXPECT_FALSE(stack.read_u64(0x7ffff000));
  StackCopy wrapped({}, 0, UINT64_MAX);
  EXPECT_EQ(wrapped.end(), UINT64_MAX);
}

}  // namespace
}  // namespace spanprof::unwind
