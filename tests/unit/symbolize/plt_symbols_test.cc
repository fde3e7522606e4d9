// PLT stubs are named "NAME@plt" as perf and objdump name them: checked against
// objdump's own labels of this test binary's .plt (an independent reader).
#include <elfutils/libdwfl.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "symbolize/symbol_table.h"

namespace spanprof::symbolize {
namespace {

// "0000000000002030 <printf@plt>:" lines of `objdump -d -j SECTION`.
std::map<uint64_t, std::string> objdump_plt_labels(const std::string& path,
                                                   const std::string& section) {
  std::map<uint64_t, std::string> labels;
  std::string command = "objdump -d -j " + section + " '" + path + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return labels;
  char line[512];
  while (std::fgets(line, sizeof line, pipe.get()) != nullptr) {
    unsigned long long addr = 0;
    char name[400];
    if (std::sscanf(line, "%llx <%399[^>]>:", &addr, name) == 2) {
      std::string label = name;
      if (label.ends_with("@plt")) labels[addr] = label;
    }
  }
  return labels;
}

TEST(PltSymbols, EveryStubObjdumpNamesHasThatName) {
  std::string self = "/proc/self/exe";
  char resolved[4096];
  ssize_t n = readlink(self.c_str(), resolved, sizeof resolved - 1);
  ASSERT_GT(n, 0);
  std::string path(resolved, static_cast<size_t>(n));
  auto labels = objdump_plt_labels(path, ".plt.sec");
  if (labels.empty()) labels = objdump_plt_labels(path, ".plt");
  if (labels.empty()) GTEST_SKIP() << "objdump is missing or shows no PLT stubs";

  static const Dwfl_Callbacks callbacks = {dwfl_build_id_find_elf, dwfl_standard_find_debuginfo,
                                           dwfl_offline_section_address, nullptr};
  std::unique_ptr<Dwfl, void (*)(Dwfl*)> dwfl(dwfl_begin(&callbacks), dwfl_end);
  ASSERT_NE(dwfl, nullptr);
  Dwfl_Module* module = dwfl_report_offline(dwfl.get(), "self", path.c_str(), -1);
  ASSERT_NE(module, nullptr);
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  GElf_Addr bias = 0;
  ASSERT_NE(dwfl_module_getelf(module, &bias), nullptr);
  SymbolTable table = SymbolTable::of_module(module);
  size_t checked = 0;
  for (const auto& [addr, label] : labels) {
    const char* name = table.find(addr + bias);
    ASSERT_NE(name, nullptr) << label;
    EXPECT_EQ(name, label);
    const char* inside = table.find(addr + bias + 15);  // the stub's last byte
    EXPECT_STREQ(inside, name);
    ++checked;
  }
  EXPECT_GT(checked, 10u);  // a gtest binary calls libstdc++ through many stubs
}

}  // namespace
}  // namespace spanprof::symbolize
