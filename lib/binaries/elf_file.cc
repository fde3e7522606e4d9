#include "binaries/elf_file.h"

#include <gelf.h>

#include "binaries/local_debuginfo.h"

namespace spanprof::binaries {
namespace {

// Separate debug info is looked up the standard way: build id under /usr/lib/debug/.build-id,
// then .gnu_debuglink next to the file and in /usr/lib/debug. dwfl_standard_find_debuginfo
// then asks debuginfod (libdwfl/find-debuginfo.c); find_local_debuginfo stops before that.
// libdwfl keeps a pointer to the callbacks: they live as long as the program.
const Dwfl_Callbacks kWithDebuginfod = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};
const Dwfl_Callbacks kLocalOnly = {
    .find_elf = find_no_elf,
    .find_debuginfo = find_local_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

std::vector<LoadSegment> load_segments(Elf* elf) {
  std::vector<LoadSegment> segments;
  size_t count = 0;
  if (elf == nullptr || elf_getphdrnum(elf, &count) != 0) return segments;
  for (size_t i = 0; i < count; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) == nullptr || phdr.p_type != PT_LOAD) {
      continue;
    }
    segments.push_back({phdr.p_offset, phdr.p_filesz, phdr.p_vaddr});
  }
  return segments;
}

}  // namespace

std::optional<uint64_t> file_offset_to_vaddr(std::span<const LoadSegment> segments,
                                             uint64_t offset) {
  for (const LoadSegment& segment : segments) {
    if (offset >= segment.offset && offset - segment.offset < segment.filesz) {
      return offset - segment.offset + segment.vaddr;
    }
  }
  return std::nullopt;
}

Result<std::unique_ptr<ElfFile>> ElfFile::open(const std::string& path, Debuginfod debuginfod) {
  Dwfl* dwfl = dwfl_begin(debuginfod == Debuginfod::kOn ? &kWithDebuginfod : &kLocalOnly);
  if (dwfl == nullptr) return make_error(dwfl_errmsg(-1), path);
  dwfl_report_begin(dwfl);
  // Base 0 with add_p_vaddr: the module's addresses are the file's p_vaddr (bias 0).
  Dwfl_Module* module = dwfl_report_elf(dwfl, path.c_str(), path.c_str(), -1, 0, true);
  dwfl_report_end(dwfl, nullptr, nullptr);
  if (module == nullptr) {
    std::string message = dwfl_errmsg(-1);
    dwfl_end(dwfl);
    return make_error("cannot read binary: " + message, path);
  }
  std::unique_ptr<ElfFile> file(new ElfFile(path, dwfl, module));
  GElf_Addr bias = 0;
  file->segments_ = load_segments(dwfl_module_getelf(module, &bias));
  if (file->segments_.empty()) return make_error("binary has no loadable segments", path);
  return file;
}

ElfFile::~ElfFile() { dwfl_end(dwfl_); }

Dwarf_Frame* ElfFile::call_frame(uint64_t vaddr) {
  // Both tables belong to the Dwfl module (freed by dwfl_end); only the frames are ours.
  if (!eh_cfi_.looked_up) {
    eh_cfi_.cfi = dwfl_module_eh_cfi(module_, &eh_cfi_.bias);
    eh_cfi_.looked_up = true;
  }
  Dwarf_Frame* frame = nullptr;
  if (eh_cfi_.cfi != nullptr && vaddr >= eh_cfi_.bias &&
      dwarf_cfi_addrframe(eh_cfi_.cfi, vaddr - eh_cfi_.bias, &frame) == 0) {
    return frame;
  }
  if (!debug_cfi_.looked_up) {
    debug_cfi_.cfi = dwfl_module_dwarf_cfi(module_, &debug_cfi_.bias);
    debug_cfi_.looked_up = true;
  }
  if (debug_cfi_.cfi != nullptr && vaddr >= debug_cfi_.bias &&
      dwarf_cfi_addrframe(debug_cfi_.cfi, vaddr - debug_cfi_.bias, &frame) == 0) {
    return frame;
  }
  return nullptr;
}

}  // namespace spanprof::binaries
