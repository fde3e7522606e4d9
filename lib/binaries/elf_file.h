// One binary (executable or shared library) opened with libdwfl, and address lookup in it.
//
// Each binary gets its own Dwfl, reported at base 0, so module addresses are the ELF's own
// virtual addresses; every process that maps the binary shares it. Process addresses are
// turned into ELF addresses through the file offset and the PT_LOAD segment holding it.
#pragma once

#include <elfutils/libdwfl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "symbolize/cu_ranges.h"
#include "symbolize/frame.h"
#include "symbolize/inline_frames.h"
#include "symbolize/symbol_table.h"

namespace spanprof::symbolize {

struct LoadSegment {
  uint64_t offset = 0;  // p_offset
  uint64_t filesz = 0;  // p_filesz
  uint64_t vaddr = 0;   // p_vaddr
};

// The ELF virtual address of a file offset: the PT_LOAD segment with
// p_offset <= offset < p_offset + p_filesz maps it to offset - p_offset + p_vaddr.
// Right for ET_EXEC, PIE and shared libraries, also when p_vaddr != p_offset (lld).
std::optional<uint64_t> file_offset_to_vaddr(std::span<const LoadSegment> segments,
                                             uint64_t offset);

class ElfBinary {
 public:
  static Result<std::unique_ptr<ElfBinary>> open(const std::string& path);
  ~ElfBinary();
  ElfBinary(const ElfBinary&) = delete;
  ElfBinary& operator=(const ElfBinary&) = delete;

  std::optional<uint64_t> vaddr_of_file_offset(uint64_t offset) const {
    return file_offset_to_vaddr(segments_, offset);
  }

  // Frames at an ELF virtual address, innermost first; empty when nothing names it.
  // Uses DWARF (separate debug info found by libdwfl included) and falls back to the
  // symbol table for the function name.
  Frames symbolize(uint64_t vaddr);

  const std::string& path() const { return path_; }

  // The call frame information for an ELF virtual address: .eh_frame first, then
  // .debug_frame (separate debug info included). Null when neither covers it. The
  // caller owns the result and releases it with free(); it stays valid while this
  // binary lives.
  Dwarf_Frame* call_frame(uint64_t vaddr);

 private:
  ElfBinary(std::string path, Dwfl* dwfl, Dwfl_Module* module)
      : path_(std::move(path)), dwfl_(dwfl), module_(module) {}

  // The CU DIE holding vaddr (in storage when found by the fallback index), with its bias.
  Dwarf_Die* cu_of(uint64_t vaddr, Dwarf_Die& storage, Dwarf_Addr& bias);

  std::string path_;
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  std::vector<LoadSegment> segments_;
  InlineScopes scopes_;
  DemangleCache names_;
  SourcePaths paths_;
  std::optional<CuRanges> cu_ranges_;  // built on the first address .debug_aranges misses
  Dwarf_Addr dwarf_bias_ = 0;
  std::optional<SymbolTable> symbols_;  // built on the first address DWARF cannot name
  struct CfiSource {
    Dwarf_CFI* cfi = nullptr;
    Dwarf_Addr bias = 0;
    bool looked_up = false;
  };
  CfiSource eh_cfi_;     // fetched on the first unwind through this binary
  CfiSource debug_cfi_;  // fetched only when .eh_frame misses an address
};

}  // namespace spanprof::symbolize
