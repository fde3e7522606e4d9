// Source file names as the line table gives them, made absolute and tidy.
#pragma once

#include <elfutils/libdw.h>

#include <string>
#include <unordered_map>

namespace spanprof::symbolize {

// A relative name ("../src/a.cc", relative to the build directory) is joined to its CU's
// DW_AT_comp_dir, and "." / ".." parts are folded, so one file has one name across CUs.
// Memoized by the name's address, which stays put while the binary's Dwfl lives.
class SourcePaths {
 public:
  const std::string& resolve(const char* file, Dwarf_Die* cudie);

 private:
  std::unordered_map<const char*, std::string> by_address_;
};

}  // namespace spanprof::symbolize
