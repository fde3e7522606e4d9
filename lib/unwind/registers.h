// x86_64 user registers as perf records them (REGS_USER) and as DWARF numbers them.
//
// perf: arch/x86/include/uapi/asm/perf_regs.h (index = bit in sample_regs_user; values
// come in ascending bit order). DWARF: the System V x86-64 psABI, figure 3.36
// (0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15, 16 return address).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <span>

namespace spanprof::unwind {

inline constexpr int kDwarfRegisterCount = 17;
inline constexpr int kDwarfRbp = 6;
inline constexpr int kDwarfRsp = 7;
inline constexpr int kDwarfReturnAddress = 16;

// perf_regs.h: PERF_SAMPLE_REGS_ABI_64.
inline constexpr uint64_t kRegsAbi64 = 2;

// perf_regs.h x86 indices.
inline constexpr int kPerfRegIp = 8;
inline constexpr int kPerfRegSp = 7;
// PERF_REG_X86_64_MAX: x86_64 user register masks use no higher bit (arm64's reach bit 32).
inline constexpr int kPerfX86_64RegCount = 24;

// The DWARF number of each perf x86 register index, -1 for the ones DWARF unwinding
// never needs (flags, segment registers).
inline constexpr std::array<int, kPerfX86_64RegCount> kDwarfOfPerf = {
    0,  3,  2,  1,  4,  5,  6, 7,   // ax bx cx dx si di bp sp
    16, -1, -1, -1, -1, -1, -1, -1,  // ip flags cs ss ds es fs gs
    8,  9,  10, 11, 12, 13, 14, 15,  // r8 .. r15
};

// The registers of one frame. A register is known when its bit is set in `known`.
struct RegisterSet {
  std::array<uint64_t, kDwarfRegisterCount> value{};
  uint32_t known = 0;

  bool has(int regno) const {
    return regno >= 0 && regno < kDwarfRegisterCount && ((known >> regno) & 1) != 0;
  }
  void set(int regno, uint64_t v) {
    value[static_cast<size_t>(regno)] = v;
    known |= 1u << regno;
  }
  void forget(int regno) { known &= ~(1u << regno); }
};

// Whether a REGS_USER mask is an x86_64 one (other architectures are not unwound).
inline bool is_x86_64_mask(uint64_t mask) {
  return (mask >> kPerfX86_64RegCount) == 0 && ((mask >> kPerfRegIp) & 1) != 0;
}

// The registers a sample recorded: values[i] belongs to the i-th set bit of mask.
// Values beyond the mask's bits are ignored; missing values leave registers unknown.
inline RegisterSet registers_from_perf(uint64_t mask, std::span<const uint64_t> values) {
  RegisterSet regs;
  size_t next = 0;
  for (int index = 0; index < kPerfX86_64RegCount && next < values.size(); ++index) {
    if (((mask >> index) & 1) == 0) continue;
    int dwarf = kDwarfOfPerf[static_cast<size_t>(index)];
    if (dwarf >= 0) regs.set(dwarf, values[next]);
    ++next;
  }
  return regs;
}

}  // namespace spanprof::unwind
