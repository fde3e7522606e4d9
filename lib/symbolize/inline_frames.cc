#include "symbolize/inline_frames.h"

#include <dwarf.h>

#include <algorithm>

#include "symbolize/demangle.h"

namespace spanprof::symbolize {
namespace {

constexpr int kMaxBackSteps = 8;

// Tags whose children may hold function definitions: clang nests them in namespaces, and
// functions of local classes and lambdas sit inside the function that defines them.
bool may_contain_functions(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
         tag == DW_TAG_union_type || tag == DW_TAG_module || tag == DW_TAG_subprogram ||
         tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine;
}

const char* string_attr(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attr;
  // _integrate follows DW_AT_abstract_origin and DW_AT_specification.
  if (dwarf_attr_integrate(die, name, &attr) == nullptr) return nullptr;
  return dwarf_formstring(&attr);
}

// Finds the inlined_subroutine children (through lexical blocks) of parent that contain pc.
bool collect_inlined(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& chain) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return false;
  do {
    int tag = dwarf_tag(&child);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block) continue;
    if (dwarf_haspc(&child, pc) != 1) continue;
    if (tag == DW_TAG_inlined_subroutine) {
      chain.push_back(child);
      collect_inlined(&child, pc, chain);
      return true;
    }
    if (collect_inlined(&child, pc, chain)) return true;
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

void set_names(Dwarf_Die* die, Frame& frame, DemangleCache& names) {
  const char* linkage = string_attr(die, DW_AT_linkage_name);
  if (linkage == nullptr) linkage = string_attr(die, DW_AT_MIPS_linkage_name);
  if (linkage != nullptr) {
    frame.system_name = linkage;
    frame.function = names.get(linkage);
  } else if (const char* name = string_attr(die, DW_AT_name)) {
    frame.function = name;
    frame.system_name = name;
  }
  int decl_line = 0;
  if (dwarf_decl_line(die, &decl_line) == 0) frame.start_line = decl_line;
}

// DW_AT_call_file / DW_AT_call_line of an inlined_subroutine. call_file indexes the file
// table of the CU holding the DIE (libdw keeps DWARF 4's index 0 as a placeholder).
void set_call_site(Dwarf_Die* inlined, Frame& frame, SourcePaths& paths) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (dwarf_attr(inlined, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &value) == 0) {
    frame.line = static_cast<int64_t>(value);
  }
  if (dwarf_attr(inlined, DW_AT_call_file, &attr) == nullptr ||
      dwarf_formudata(&attr, &value) != 0) {
    return;
  }
  Dwarf_Die cu;
  Dwarf_Files* files = nullptr;
  size_t count = 0;
  if (dwarf_diecu(inlined, &cu, nullptr, nullptr) == nullptr ||
      dwarf_getsrcfiles(&cu, &files, &count) != 0 || value >= count) {
    return;
  }
  if (const char* file = dwarf_filesrc(files, value, nullptr, nullptr)) {
    frame.file = paths.resolve(file, &cu);
  }
}

}  // namespace

void InlineScopes::collect_functions(Dwarf_Die* parent, FunctionIndex& out) {
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (tag == DW_TAG_subprogram) {
      // dwarf_ranges covers low/high_pc and DW_AT_ranges (hot/cold split functions).
      Dwarf_Addr base = 0, start = 0, end = 0;
      ptrdiff_t offset = 0;
      while ((offset = dwarf_ranges(&child, offset, &base, &start, &end)) > 0) {
        if (start < end) out.push_back({start, end, child});
      }
    }
    if (may_contain_functions(tag) && dwarf_haschildren(&child) == 1) {
      collect_functions(&child, out);
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

const InlineScopes::FunctionIndex& InlineScopes::index_of(Dwarf_Die* cudie) {
  auto [it, inserted] = by_cu_.try_emplace(dwarf_dieoffset(cudie));
  if (inserted) {
    collect_functions(cudie, it->second);
    std::sort(it->second.begin(), it->second.end(),
              [](const FunctionRange& a, const FunctionRange& b) { return a.low < b.low; });
  }
  return it->second;
}

std::vector<Dwarf_Die> InlineScopes::chain(Dwarf_Die* cudie, Dwarf_Addr pc) {
  const FunctionIndex& index = index_of(cudie);
  auto it = std::upper_bound(index.begin(), index.end(), pc,
                             [](Dwarf_Addr a, const FunctionRange& r) { return a < r.low; });
  // Function ranges do not overlap in compiler output; a few steps back cover odd nesting.
  for (int steps = 0; it != index.begin() && steps < kMaxBackSteps; ++steps) {
    --it;
    if (pc < it->high) {
      std::vector<Dwarf_Die> chain{it->die};
      collect_inlined(&chain.front(), pc, chain);
      return chain;
    }
  }
  return {};
}

Frames frames_of_chain(const std::vector<Dwarf_Die>& chain, const std::string& file,
                       int64_t line, DemangleCache& names, SourcePaths& paths) {
  Frames frames;
  frames.reserve(chain.size());
  for (size_t k = chain.size(); k-- > 0;) {
    Frame frame;
    Dwarf_Die die = chain[k];
    set_names(&die, frame, names);
    if (k + 1 == chain.size()) {
      frame.file = file;
      frame.line = line;
    } else {
      Dwarf_Die callee = chain[k + 1];
      set_call_site(&callee, frame, paths);
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace spanprof::symbolize
