#include "unwind/dwarf_unwinder.h"

#include <cstdlib>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::unwind {

DwarfUnwinder::DwarfUnwinder(const process::ProcessTable& processes,
                             binaries::BinaryTable& binaries)
    : processes_(processes), binaries_(binaries) {}

bool DwarfUnwinder::applies_to(const perfdata::EventAttr& attr) {
  return (attr.sample_type & perfdata::abi::kSampleRegsUser) != 0 &&
         (attr.sample_type & perfdata::abi::kSampleStackUser) != 0;
}

uint32_t DwarfUnwinder::rule_for(binaries::ElfFile& binary, uint64_t vaddr) {
  auto [it, inserted] = by_binary_.try_emplace({&binary, vaddr}, kNoCfi);
  if (!inserted) return it->second;
  Dwarf_Frame* frame = binary.call_frame(vaddr);
  if (frame == nullptr) return it->second;
  auto index = rules_.add(frame);
  std::free(frame);  // libdw.h: dwarf_cfi_addrframe's result is the caller's to free
  if (!index) {
    it->second = kBadCfi;
  } else {
    it->second = *index;
    ++stats_.rules;
  }
  return it->second;
}

uint32_t DwarfUnwinder::code_for(const process::Mapping& mapping, uint64_t address) {
  auto [it, inserted] = by_mapping_.try_emplace({&mapping, address}, kNoBinary);
  if (!inserted) return it->second;
  if (binaries::is_jit_mapping(mapping)) {
    it->second = kJit;
    return it->second;
  }
  // Kernel maps are never in a process's address space; checked all the same.
  binaries::ElfFile* binary = mapping.kernel ? nullptr : binaries_.binary_of(mapping).elf.get();
  auto offset = address >= mapping.start ? checked_add(address - mapping.start, mapping.pgoff)
                                         : std::nullopt;
  if (binary == nullptr || !offset) return it->second;
  auto vaddr = binary->vaddr_of_file_offset(*offset);
  it->second = vaddr ? rule_for(*binary, *vaddr) : kNoCfi;
  return it->second;
}

void DwarfUnwinder::count_stop(uint32_t code) {
  switch (code) {
    case kJit: ++stats_.stop_jit; break;
    case kNoBinary: ++stats_.stop_no_binary; break;
    case kNoCfi: ++stats_.stop_no_cfi; break;
    default: ++stats_.stop_bad_cfi; break;
  }
}

void DwarfUnwinder::count_stop(StepError error) {
  switch (error) {
    case StepError::kNone: break;
    case StepError::kMissingRegister: ++stats_.stop_missing_register; break;
    case StepError::kStackCopyExhausted: ++stats_.stop_stack_exhausted; break;
    case StepError::kUnsupported: ++stats_.stop_bad_cfi; break;
    case StepError::kReturnAddressUndefined: ++stats_.end_of_stack; break;
  }
}

bool DwarfUnwinder::unwind(const perfdata::Sample& sample, std::vector<uint64_t>& pcs) {
  pcs.clear();
  // perf_regs.h: PERF_SAMPLE_REGS_ABI_NONE (0) when the task has no user state.
  if (sample.regs_abi == 0 || sample.attr == nullptr || sample.regs_user.empty()) {
    ++stats_.samples_without_registers;
    return false;
  }
  uint64_t mask = sample.attr->sample_regs_user;
  if (sample.regs_abi != kRegsAbi64 || !is_x86_64_mask(mask)) {
    ++stats_.samples_other_arch;
    return false;
  }
  ++stats_.samples;
  RegisterSet regs = registers_from_perf(mask, sample.regs_user);
  uint64_t pc = regs.has(kDwarfReturnAddress) ? regs.value[kDwarfReturnAddress] : sample.ip;
  pcs.push_back(pc);
  if (!regs.has(kDwarfRsp)) {
    ++stats_.stop_missing_register;
    return true;
  }
  StackCopy stack(sample.stack_user, sample.stack_user_dyn_size, regs.value[kDwarfRsp]);

  RegisterSet caller;
  while (true) {
    if (pcs.size() >= kMaxDepth) {
      ++stats_.stop_depth_cap;
      break;
    }
    // A return address follows the call: its CFI row is the call's, at address - 1.
    uint64_t lookup = pcs.size() == 1 || pc == 0 ? pc : pc - 1;
    const process::Mapping* mapping = processes_.find_user_mapping(sample.pid, lookup);
    if (mapping == nullptr) {
      ++stats_.stop_no_mapping;
      break;
    }
    uint32_t code = code_for(*mapping, lookup);
    if (code >= kFirstCode) {
      count_stop(code);
      break;
    }
    StepError error = rules_.step(rules_.rule(code), regs, stack, caller);
    if (error != StepError::kNone) {
      count_stop(error);
      break;
    }
    uint64_t return_address = caller.value[kDwarfReturnAddress];
    if (return_address == 0) {
      ++stats_.end_of_stack;
      break;
    }
    if (caller.value[kDwarfRsp] <= regs.value[kDwarfRsp]) {
      ++stats_.stop_sp_not_increasing;
      break;
    }
    pcs.push_back(return_address);
    ++stats_.frames;
    pc = return_address;
    regs = caller;
  }
  return true;
}

}  // namespace spanprof::unwind
