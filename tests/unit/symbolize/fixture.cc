// A shared library the symbolizer tests look up in: plain, namespaced and inlined code.
// Each function records a return address inside itself at a line marked LINE_*; the test
// finds the marker lines by scanning this file. Built with -g -O2.

// Not inlined, cloned or turned into a tail call, so the return address stored lies in the
// caller, on the marked line (clang has no noipa; the fixture is built with
// -fno-optimize-sibling-calls).
#if defined(__clang__)
#define FIXTURE_NOIPA __attribute__((noinline))
#else
#define FIXTURE_NOIPA __attribute__((noipa))
#endif

namespace {

void* g_return_addresses[3];

FIXTURE_NOIPA void record_return_address(int slot) {
  g_return_addresses[slot] = __builtin_return_address(0);
}

}  // namespace

extern "C" void* fixture_return_address(int slot) { return g_return_addresses[slot]; }

extern "C" FIXTURE_NOIPA int fixture_plain(int x) {
  record_return_address(0);  // LINE_PLAIN
  return x + 1;
}

namespace demo {

FIXTURE_NOIPA int hash_block(unsigned long n) {
  record_return_address(1);  // LINE_HASH
  return static_cast<int>(n * 3);
}

}  // namespace demo

static inline __attribute__((always_inline)) int inlined_helper(int x) {  // LINE_HELPER_DECL
  record_return_address(2);  // LINE_HELPER
  return x * 2;
}

extern "C" FIXTURE_NOIPA int fixture_caller(int x) {
  int doubled = inlined_helper(x);  // LINE_CALL
  return doubled + 1;
}
