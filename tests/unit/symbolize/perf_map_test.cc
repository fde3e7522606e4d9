#include "symbolize/perf_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "symbolize/symbolizer.h"
#include "symbolizer_setup.h"

namespace spanprof::symbolize {
namespace {

TEST(PerfMap, ParsesRangesWithSpacesInNames) {
  std::istringstream in(
      "7f0000001000 40 LazyCompile:~handler /app/server.js:10\n"
      "7f0000002000 100 Interpreter\n"
      "not a line\n"
      "7f0000003000 zz bad size\n"
      "7f0000004000 10\n"
      "\n"
      "7f0000005000 0 empty range\n");
  PerfMap map = PerfMap::parse(in);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.bad_lines(), 4u);
  ASSERT_NE(map.find(0x7f0000001000u), nullptr);
  EXPECT_EQ(*map.find(0x7f000000103fu), "LazyCompile:~handler /app/server.js:10");
  EXPECT_EQ(map.find(0x7f0000001040u), nullptr);  // end is exclusive
  EXPECT_EQ(*map.find(0x7f00000020ffu), "Interpreter");
  EXPECT_EQ(map.find(0x7f0000000fffu), nullptr);
}

TEST(PerfMap, LaterLinesWinWhereRangesOverlap) {
  std::istringstream in(
      "1000 100 old\n"
      "1040 20 new\n");
  PerfMap map = PerfMap::parse(in);
  EXPECT_EQ(*map.find(0x1000), "old");
  EXPECT_EQ(*map.find(0x1040), "new");
  EXPECT_EQ(*map.find(0x105f), "new");
  EXPECT_EQ(*map.find(0x1060), "old");
  EXPECT_EQ(*map.find(0x10ff), "old");
}

TEST(PerfMap, SymbolizerReadsPerfPidMapFromDirectory) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("spanprof-jit-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "perf-4242.map") << "ab000 100 jitted_fn(int)\nbroken\n";

  SymbolizerOptions options;
  options.perf_map_dir = dir.string();
  SymbolizerSetup symbolizer(options);
  const Frames& frames = symbolizer.symbolize_jit(4242, 0xab010);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "jitted_fn(int)");
  EXPECT_TRUE(symbolizer.symbolize_jit(4242, 0xac000).empty());
  EXPECT_TRUE(symbolizer.symbolize_jit(4343, 0xab010).empty());  // no map for that pid
  std::filesystem::remove_all(dir);

  EXPECT_EQ(symbolizer.stats().jit_addresses, 3u);
  EXPECT_EQ(symbolizer.stats().perf_map_bad_lines, 1u);
  EXPECT_EQ(symbolizer.stats().perf_maps_missing, 1u);
  EXPECT_EQ(symbolizer.warnings().size(), 1u);  // the bad line; a missing map is only counted
}

}  // namespace
}  // namespace spanprof::symbolize
