// A real call stack to unwind: unwind_fixture_outer -> unwind_fixture_middle ->
// unwind_fixture_leaf, compiled without frame pointers (outer keeps one for its
// alloca). The leaf records its registers and a copy of the stack above them, the
// way perf's REGS_USER and STACK_USER do.
#pragma once

#include <cstddef>
#include <cstdint>

struct UnwindCapture {
  static constexpr size_t kStackBytes = 16384;
  uint64_t perf_regs[24];  // by perf x86 register index (perf_regs.h)
  alignas(8) unsigned char stack[kStackBytes];
  uint64_t stack_size;  // bytes copied from perf_regs[7] (rsp) upwards
};

extern "C" uint64_t unwind_fixture_outer(UnwindCapture* out, uint64_t depth);
