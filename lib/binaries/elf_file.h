// One binary (executable or shared library) opened with libdwfl: its load segments and its
// call frame information. Symbolization reads the same libdwfl module (symbolize/binary_symbols.h).
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

namespace spanprof::binaries {

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

// Whether libdwfl may ask the debuginfod servers of DEBUGINFOD_URLS for separate debug
// info the machine lacks. Off, its lookups stay on local disk.
enum class Debuginfod : bool { kOff, kOn };

class ElfFile {
 public:
  static Result<std::unique_ptr<ElfFile>> open(const std::string& path, Debuginfod debuginfod);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  std::optional<uint64_t> vaddr_of_file_offset(uint64_t offset) const {
    return file_offset_to_vaddr(segments_, offset);
  }

  const std::string& path() const { return path_; }

  // The libdwfl module, reported at base 0 (bias 0): its addresses are ELF virtual
  // addresses. Its DWARF (separate debug info included) is found on first use.
  Dwfl_Module* module() const { return module_; }

  // The call frame information for an ELF virtual address: .eh_frame first, then
  // .debug_frame (separate debug info included). Null when neither covers it. The
  // caller owns the result and releases it with free(); it stays valid while this
  // file lives.
  Dwarf_Frame* call_frame(uint64_t vaddr);

 private:
  ElfFile(std::string path, Dwfl* dwfl, Dwfl_Module* module)
      : path_(std::move(path)), dwfl_(dwfl), module_(module) {}

  std::string path_;
  Dwfl* dwfl_ = nullptr;
  Dwfl_Module* module_ = nullptr;
  std::vector<LoadSegment> segments_;
  struct CfiSource {
    Dwarf_CFI* cfi = nullptr;
    Dwarf_Addr bias = 0;
    bool looked_up = false;
  };
  CfiSource eh_cfi_;     // fetched on the first unwind through this binary
  CfiSource debug_cfi_;  // fetched only when .eh_frame misses an address
};

}  // namespace spanprof::binaries
