// A symbolized source frame: one line of a pprof Location.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spanprof::symbolize {

struct Frame {
  std::string function;     // demangled, e.g. "demo::hash_block(unsigned long)"
  std::string system_name;  // linkage (mangled) name when known, else = function
  std::string file;         // source file, "" when unknown
  int64_t line = 0;         // 0 when unknown
  int64_t start_line = 0;   // DW_AT_decl_line of the function, 0 when unknown
};

// Frames of one address, innermost (deepest inlined) first. Empty: not symbolized.
using Frames = std::vector<Frame>;

}  // namespace spanprof::symbolize
