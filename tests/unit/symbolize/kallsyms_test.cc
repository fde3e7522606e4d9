#include "symbolize/kallsyms.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "symbolize/symbolizer.h"
#include "symbolizer_setup.h"

namespace spanprof::symbolize {
namespace {

constexpr const char* kKallsyms =
    "0000000000000000 A fixed_percpu_data\n"
    "ffffffff81000000 T _text\n"
    "ffffffff81001000 T do_syscall_64\n"
    "ffffffff81002000 t __schedule\n"
    "ffffffff81800000 D some_data\n"
    "ffffffff81003000 W weak_function\n"
    "0000000000000000 T hidden_without_permission\n"
    "malformed line\n"
    "ffffffffc0a01000 t xfs_file_read_iter\t[xfs]\n";

TEST(Kallsyms, ParsesTextSymbolsSortedAndSkipsZeroAddresses) {
  std::istringstream in(kKallsyms);
  KallsymsTable table = KallsymsTable::parse(in);
  EXPECT_EQ(table.size(), 5u);
  ASSERT_NE(table.find(0xffffffff81001234u), nullptr);
  EXPECT_EQ(table.find(0xffffffff81001234u)->name, "do_syscall_64");
  EXPECT_EQ(table.find(0xffffffff81002000u)->name, "__schedule");
  EXPECT_EQ(table.find(0xffffffff81003010u)->name, "weak_function");
  EXPECT_EQ(table.find(0xffffffffc0a01010u)->name, "xfs_file_read_iter");  // "[xfs]" dropped
  EXPECT_EQ(table.find(0xffffffff80ffffffu), nullptr);
  EXPECT_EQ(table.find(0x400000u), nullptr);
  EXPECT_EQ(table.find(0xffffffffffff0000u), nullptr);  // far past the last symbol
}

TEST(Kallsyms, SymbolizerLoadsKallsymsLazilyFromOptionPath) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("spanprof-kallsyms-" + std::to_string(getpid()));
  std::ofstream(path) << kKallsyms;
  SymbolizerOptions options;
  options.kallsyms_path = path.string();
  SymbolizerSetup symbolizer(options);
  const Frames& frames = symbolizer.symbolize_kernel(0xffffffff81001010u);
  std::filesystem::remove(path);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "do_syscall_64");
  EXPECT_EQ(frames[0].line, 0);

  EXPECT_EQ(symbolizer.symbolize_kernel(0xffffffff81002004u)[0].function, "__schedule");
  EXPECT_TRUE(symbolizer.symbolize_kernel(0x1000).empty());
  EXPECT_EQ(symbolizer.stats().kernel_addresses, 3u);
  EXPECT_EQ(symbolizer.stats().addresses_symbolized, 2u);
  EXPECT_TRUE(symbolizer.warnings().empty());
}

TEST(Kallsyms, DisabledOrUnreadableKallsymsGiveEmptyFrames) {
  SymbolizerOptions options;
  options.kallsyms_path = "/nonexistent/kallsyms";
  options.use_kallsyms = false;
  SymbolizerSetup disabled(options);
  EXPECT_TRUE(disabled.symbolize_kernel(0xffffffff81001010u).empty());
  EXPECT_TRUE(disabled.warnings().empty());

  options.use_kallsyms = true;
  SymbolizerSetup unreadable(options);
  EXPECT_TRUE(unreadable.symbolize_kernel(0xffffffff81001010u).empty());
  EXPECT_TRUE(unreadable.symbolize_kernel(0xffffffff81001020u).empty());
  EXPECT_EQ(unreadable.warnings().size(), 1u);
}

}  // namespace
}  // namespace spanprof::symbolize
