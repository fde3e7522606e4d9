#include "fixture.h"

#include <pthread.h>

#include <cstring>

extern "C" {

// The stack from sp up to the end of this thread's stack, at most kStackBytes. It reads
// other frames' bytes as perf does (AddressSanitizer's redzones included): not
// instrumented, and word by word through volatile so no memcpy interceptor sees it.
__attribute__((noinline, no_sanitize("address"))) static void copy_stack(UnwindCapture* out) {
  pthread_attr_t attr;
  void* base = nullptr;
  size_t size = 0;
  uint64_t sp = out->perf_regs[7];
  uint64_t top = sp + UnwindCapture::kStackBytes;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
      uint64_t end = reinterpret_cast<uint64_t>(base) + size;
      if (end < top) top = end;
    }
    pthread_attr_destroy(&attr);
  }
  out->stack_size = (top - sp) / 8 * 8;
  const volatile uint64_t* from = reinterpret_cast<const volatile uint64_t*>(sp);
  for (size_t i = 0; i < out->stack_size / 8; ++i) {
    uint64_t word = from[i];
    std::memcpy(out->stack + i * 8, &word, 8);
  }
}

__attribute__((noinline)) void unwind_fixture_leaf(UnwindCapture* out) {
  // perf indices: 0 ax, 1 bx, 2 cx, 3 dx, 4 si, 5 di, 6 bp, 7 sp, 8 ip, 16-23 r8-r15.
  // Stored to memory so that no output register clobbers one still to be read.
  asm volatile(
      "lea 0(%%rip), %%rax\n\t"
      "mov %%rax, %0\n\t"
      "mov %%rsp, %1\n\t"
      "mov %%rbp, %2\n\t"
      "mov %%rbx, %3\n\t"
      "mov %%r12, %4\n\t"
      "mov %%r13, %5\n\t"
      "mov %%r14, %6\n\t"
      "mov %%r15, %7\n\t"
      : "=m"(out->perf_regs[8]), "=m"(out->perf_regs[7]), "=m"(out->perf_regs[6]),
        "=m"(out->perf_regs[1]), "=m"(out->perf_regs[20]), "=m"(out->perf_regs[21]),
        "=m"(out->perf_regs[22]), "=m"(out->perf_regs[23])
      :
      : "rax", "memory");
  copy_stack(out);
}

// Keeps values in callee-saved registers across the call, so its CFI saves some.
__attribute__((noinline)) uint64_t unwind_fixture_middle(UnwindCapture* out, uint64_t a) {
  uint64_t x = a * 3, y = a ^ 7, z = a + 11, w = a * a;
  unwind_fixture_leaf(out);
  return x + y * z + w + out->stack_size;
}

// alloca gives it a frame pointer: its CFA is rbp-based.
__attribute__((noinline)) uint64_t unwind_fixture_outer(UnwindCapture* out, uint64_t depth) {
  auto* scratch = static_cast<volatile unsigned char*>(__builtin_alloca(depth + 16));
  scratch[depth] = 1;
  return unwind_fixture_middle(out, depth + scratch[depth]) + 1;
}

}  // extern "C"
