#include "symbolize/source_paths.h"

#include <dwarf.h>

#include <filesystem>

namespace spanprof::symbolize {

const std::string& SourcePaths::resolve(const char* file, Dwarf_Die* cudie) {
  auto [it, inserted] = by_address_.try_emplace(file);
  if (!inserted) return it->second;
  std::filesystem::path path(file);
  if (path.is_relative() && cudie != nullptr) {
    Dwarf_Attribute attr;
    if (const char* comp_dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr))) {
      path = std::filesystem::path(comp_dir) / path;
    }
  }
  it->second = path.lexically_normal().string();
  return it->second;
}

}  // namespace spanprof::symbolize
