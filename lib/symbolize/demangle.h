// C++ symbol demangling.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace spanprof::symbolize {

// The demangled form of an Itanium-ABI name ("_Z..."), or the name itself when it is not
// mangled or does not demangle.
std::string demangle(std::string_view name);

// demangle() memoized by the name's address: for names inside one binary's symbol and DWARF
// string tables, which stay put while its Dwfl lives. __cxa_demangle was a sixth of the
// time per unique address; many addresses share a function.
class DemangleCache {
 public:
  const std::string& get(const char* name) {
    auto [it, inserted] = by_address_.try_emplace(name);
    if (inserted) it->second = demangle(name);
    return it->second;
  }

 private:
  std::unordered_map<const char*, std::string> by_address_;
};

}  // namespace spanprof::symbolize
