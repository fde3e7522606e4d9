// Replays fuzz inputs as an ordinary test: runs LLVMFuzzerTestOneInput on every
// file of the directories (or files) named on the command line. A directory that
// does not exist is skipped, so an empty crashes/ dir need not be committed.
// A crash, hang or sanitizer report fails the test, and the input that caused
// it is named on stderr. So does a single allocation over kMaxAllocation: a
// parser that sizes a buffer from a length field before the bytes are there
// turns a few bytes into hundreds of MiB (libFuzzer: -malloc_limit_mb, ASan:
// max_allocation_size_mb, both set to the same bound by scripts/fuzz and
// tests/fuzz/meson.build).
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present when built with a sanitizer: called before it ends the process.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

char current_input[4096];

// Async-signal-safe: only write(2) on a buffer filled before the input ran.
void name_current_input() {
  static const char kPrefix[] = "\nfuzz replay: the input that failed: ";
  ssize_t ignored = ::write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  ignored = ::write(STDERR_FILENO, current_input, std::strlen(current_input));
  ignored = ::write(STDERR_FILENO, "\n", 1);
  (void)ignored;
}

void on_fatal_signal(int signal) {
  name_current_input();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

std::vector<std::filesystem::path> inputs_under(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (std::filesystem::is_regular_file(root, error)) return {root};
  if (!std::filesystem::is_directory(root, error)) return {};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, error)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with('.')) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
#define SPANPROF_REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPANPROF_REPLAY_ASAN 1
#endif
#endif

// Without ASan (whose allocator enforces the bound itself), the global
// operator new does: every container allocation goes through it.
#ifndef SPANPROF_REPLAY_ASAN
namespace {
constexpr size_t kMaxAllocation = size_t{128} << 20;
}  // namespace

void* operator new(size_t size) {
  if (size > kMaxAllocation) {
    std::fprintf(stderr, "fuzz replay: allocation of %zu bytes, over the %zu MiB bound\n", size,
                 kMaxAllocation >> 20);
    std::abort();  // on_fatal_signal names the input
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#endif

int main(int argc, char** argv) {
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(name_current_input);
  for (int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(signal, on_fatal_signal);

  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& file : inputs_under(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (!in.eof() && in.fail()) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      std::snprintf(current_input, sizeof current_input, "%s (%zu bytes)", file.c_str(),
                    bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
