// DWARF unwinding of samples recorded with `perf record --call-graph dwarf`.
//
// Takes: a sample with its user registers (REGS_USER) and stack copy (STACK_USER),
// the process table at the sample's time and the binaries behind its mappings. Gives: the
// user frames, the interrupted pc first, then return addresses (to be symbolized at
// address - 1). Each binary's .eh_frame/.debug_frame is read through libdw; the rule
// of each (binary, address) is evaluated once and kept, so time grows with unique
// return addresses, not with samples times depth. Memory is read from the stack copy
// only. Every reason an unwind stops is counted.
//
// x86_64 only: samples with other registers are counted and keep their sampled pc.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "perfdata/records.h"
#include "process/process_table.h"
#include "binaries/binary_table.h"
#include "unwind/unwind_rule.h"

namespace spanprof::unwind {

struct UnwindStats {
  uint64_t samples = 0;                    // samples unwound from their stack copy
  uint64_t samples_without_registers = 0;  // no user registers (kernel threads)
  uint64_t samples_other_arch = 0;         // not x86_64 registers (32-bit or another CPU)
  uint64_t frames = 0;                     // return addresses found
  uint64_t rules = 0;                      // distinct (binary, address) CFI rows read
  // Why unwinds stopped; end_of_stack is the clean end (outermost frame).
  uint64_t end_of_stack = 0;
  uint64_t stop_no_mapping = 0;       // address in no mapping of the process
  uint64_t stop_jit = 0;              // anonymous/JIT code: no CFI to go on
  uint64_t stop_no_binary = 0;        // binary missing, changed or not a file
  uint64_t stop_no_cfi = 0;           // no .eh_frame/.debug_frame row for the address
  uint64_t stop_stack_exhausted = 0;  // a read beyond the copied stack
  uint64_t stop_missing_register = 0; // a rule needs a register the sample lacks
  uint64_t stop_bad_cfi = 0;          // unreadable CFI or an unsupported expression
  uint64_t stop_depth_cap = 0;
  uint64_t stop_sp_not_increasing = 0;  // the caller's stack pointer was not above the callee's
};

class DwarfUnwinder {
 public:
  // Frames beyond this depth are dropped (perf's kernel.perf_event_max_stack is 127).
  static constexpr size_t kMaxDepth = 512;

  DwarfUnwinder(const process::ProcessTable& processes, binaries::BinaryTable& binaries);

  // Whether samples of attr carry what unwinding needs (REGS_USER and STACK_USER).
  static bool applies_to(const perfdata::EventAttr& attr);

  // The user frames of sample into pcs (cleared first). False, with pcs empty, when the
  // sample has no usable registers: the caller keeps the sampled ip instead.
  bool unwind(const perfdata::Sample& sample, std::vector<uint64_t>& pcs);

  const UnwindStats& stats() const { return stats_; }

 private:
  // What is known about an address of a mapping: a rule index, or why there is none.
  enum Code : uint32_t { kJit = UINT32_MAX, kNoBinary = UINT32_MAX - 1, kNoCfi = UINT32_MAX - 2,
                         kBadCfi = UINT32_MAX - 3, kFirstCode = kBadCfi };

  template <class Owner>
  struct AddressKey {
    const Owner* owner;
    uint64_t address;
    bool operator==(const AddressKey&) const = default;
  };
  struct AddressKeyHash {
    template <class Owner>
    size_t operator()(const AddressKey<Owner>& key) const {
      uint64_t h = reinterpret_cast<uintptr_t>(key.owner) * 0x9E3779B97F4A7C15ull;
      return static_cast<size_t>(h ^ (key.address * 0xC2B2AE3D27D4EB4Full) ^ (h >> 29));
    }
  };

  uint32_t code_for(const process::Mapping& mapping, uint64_t address);
  uint32_t rule_for(binaries::ElfFile& binary, uint64_t vaddr);
  void count_stop(uint32_t code);
  void count_stop(StepError error);

  const process::ProcessTable& processes_;
  binaries::BinaryTable& binaries_;
  RuleTable rules_;
  std::unordered_map<AddressKey<process::Mapping>, uint32_t, AddressKeyHash> by_mapping_;
  std::unordered_map<AddressKey<binaries::ElfFile>, uint32_t, AddressKeyHash> by_binary_;
  UnwindStats stats_;
};

}  // namespace spanprof::unwind
