#include "symbolize/elf_binary.h"

#include <gelf.h>


namespace spanprof::symbolize {
namespace {

// Separate debug info is looked up the standard way: build id under /usr/lib/debug/.build-id,
// then .gnu_debuglink next to the file and in /usr/lib/debug.
const Dwfl_Callbacks kCallbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
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

Result<std::unique_ptr<ElfBinary>> ElfBinary::open(const std::string& path) {
  Dwfl* dwfl = dwfl_begin(&kCallbacks);
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
  std::unique_ptr<ElfBinary> binary(new ElfBinary(path, dwfl, module));
  GElf_Addr bias = 0;
  binary->segments_ = load_segments(dwfl_module_getelf(module, &bias));
  if (binary->segments_.empty()) return make_error("binary has no loadable segments", path);
  return binary;
}

ElfBinary::~ElfBinary() { dwfl_end(dwfl_); }

Dwarf_Die* ElfBinary::cu_of(uint64_t vaddr, Dwarf_Die& storage, Dwarf_Addr& bias) {
  if (Dwarf_Die* cudie = dwfl_module_addrdie(module_, vaddr, &bias)) return cudie;
  // No .debug_aranges entry (clang output): look the address up in the units' own ranges.
  if (!cu_ranges_) {
    Dwarf* dwarf = dwfl_module_getdwarf(module_, &dwarf_bias_);
    cu_ranges_ = CuRanges::of(dwarf);
  }
  if (vaddr < dwarf_bias_) return nullptr;
  auto cu = cu_ranges_->find(vaddr - dwarf_bias_);
  if (!cu) return nullptr;
  storage = *cu;
  bias = dwarf_bias_;
  return &storage;
}

Frames ElfBinary::symbolize(uint64_t vaddr) {
  Dwarf_Die cu_storage;
  Dwarf_Addr bias = 0;
  Dwarf_Die* cudie = cu_of(vaddr, cu_storage, bias);

  std::string file;
  int64_t line = 0;
  if (cudie != nullptr) {
    if (Dwarf_Line* source = dwarf_getsrc_die(cudie, vaddr - bias)) {
      int lineno = 0;
      const char* name = dwarf_linesrc(source, nullptr, nullptr);
      if (name != nullptr && dwarf_lineno(source, &lineno) == 0) {
        file = paths_.resolve(name, cudie);
        line = lineno;
      }
    }
  }

  Frames frames;
  if (cudie != nullptr) {
    frames = frames_of_chain(scopes_.chain(cudie, vaddr - bias), file, line, names_, paths_);
  }

  // The outermost frame is the function the ELF symbol names. Its symbol is
  // preferred when DWARF gave no linkage name: DW_AT_name alone lacks the
  // namespace and parameters (e.g. "serve_requests" for a function in an
  // anonymous namespace, whose local symbol demangles fully).
  bool dwarf_named = !frames.empty() && !frames.back().function.empty();
  bool has_linkage_name = dwarf_named && frames.back().system_name != frames.back().function;
  if (!has_linkage_name) {
    if (!symbols_) symbols_ = SymbolTable::of_module(module_);
    const char* name = symbols_->find(vaddr);
    if (name == nullptr) return frames;
    const std::string& demangled = names_.get(name);
    if (dwarf_named && demangled.find(frames.back().function) == std::string::npos) return frames;
    if (frames.empty()) {
      Frame frame;
      frame.file = file;
      frame.line = line;
      frames.push_back(std::move(frame));
    }
    frames.back().system_name = name;
    frames.back().function = demangled;
  }
  return frames;
}

Dwarf_Frame* ElfBinary::call_frame(uint64_t vaddr) {
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

}  // namespace spanprof::symbolize
