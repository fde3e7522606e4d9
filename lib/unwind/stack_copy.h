// The user stack perf copied with a sample (STACK_USER): bytes from the sampled stack
// pointer upwards. Memory reads of the unwinder are served from it, and only from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>

namespace spanprof::unwind {

class StackCopy {
 public:
  StackCopy() = default;
  // bytes: the copy; dyn_size: how much of it the kernel filled (perf_event.h: the
  // dump is size bytes, of which dyn_size are valid); start: the sampled rsp.
  StackCopy(std::span<const std::byte> bytes, uint64_t dyn_size, uint64_t start)
      : bytes_(bytes.first(dyn_size < bytes.size() ? static_cast<size_t>(dyn_size)
                                                   : bytes.size())),
        start_(start) {}

  uint64_t start() const { return start_; }
  uint64_t size() const { return bytes_.size(); }
  // One past the last copied byte (saturates instead of wrapping).
  uint64_t end() const { return start_ > UINT64_MAX - size() ? UINT64_MAX : start_ + size(); }

  // The 8 bytes at addr, when all of them were copied.
  std::optional<uint64_t> read_u64(uint64_t addr) const {
    if (addr < start_ || addr - start_ > size() || size() - (addr - start_) < 8) {
      return std::nullopt;
    }
    uint64_t value = 0;
    std::memcpy(&value, bytes_.data() + (addr - start_), sizeof value);
    return value;
  }

 private:
  std::span<const std::byte> bytes_;
  uint64_t start_ = 0;
};

}  // namespace spanprof::unwind
