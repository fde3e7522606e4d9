#include "symbolize/binary_symbols.h"

#include <string>

namespace spanprof::symbolize {

Dwarf_Die* BinarySymbols::cu_of(uint64_t vaddr, Dwarf_Die& storage, Dwarf_Addr& bias) {
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

Frames BinarySymbols::symbolize(uint64_t vaddr) {
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

}  // namespace spanprof::symbolize
