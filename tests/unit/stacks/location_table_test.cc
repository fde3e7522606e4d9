// Frames -> locations: one location per (mapping, address), symbolized once; JIT
// addresses symbolized per process.
#include <gtest/gtest.h>

#include "stacks/location_table.h"

namespace spanprof::stacks {
namespace {

class LocationTableTest : public ::testing::Test {
 protected:
  // Counts the calls and names every address "f".
  uint64_t intern(const FrameKey& key) {
    return table_.intern(key, [this]() -> const symbolize::Frames& {
      ++symbolized_;
      return frames_;
    });
  }

  profile::ProfileBuilder builder_{{{"samples", "count"}}, {"samples", "count"}, 1};
  LocationTable table_{builder_};
  symbolize::Frames frames_{symbolize::Frame{.function = "f", .system_name = "f", .file = "",
                                             .line = 0, .start_line = 0}};
  int symbolized_ = 0;
  process::Mapping libc_{.start = 0x1000, .end = 0x9000, .pgoff = 0, .filename = "/lib/libc.so",
                         .build_id = "", .kernel = false, .executable = true};
  process::Mapping app_{.start = 0x10000, .end = 0x19000, .pgoff = 0, .filename = "/bin/app",
                        .build_id = "", .kernel = false, .executable = true};
};

TEST_F(LocationTableTest, SameMappingAndAddressSameLocation) {
  uint64_t first = intern({&libc_, 0x1234, 0});
  EXPECT_EQ(intern({&libc_, 0x1234, 0}), first);
  EXPECT_EQ(symbolized_, 1);
  EXPECT_NE(intern({&libc_, 0x1235, 0}), first);
  EXPECT_NE(intern({&app_, 0x1234, 0}), first);
  EXPECT_EQ(symbolized_, 3);
  EXPECT_EQ(table_.size(), 3u);
  EXPECT_EQ(builder_.location_count(), 3u);
}

TEST_F(LocationTableTest, UnmappedAddressesAreSymbolizedPerProcess) {
  // Each process has its own perf map: the same address is looked up for each.
  uint64_t in_one = intern({nullptr, 0x7000, 41});
  intern({nullptr, 0x7000, 42});
  EXPECT_EQ(intern({nullptr, 0x7000, 41}), in_one);
  EXPECT_EQ(symbolized_, 2);
  EXPECT_EQ(table_.size(), 2u);
}

TEST_F(LocationTableTest, NewLocationsAreListedUntilForgotten) {
  uint64_t a = intern({&libc_, 0x1234, 0});
  uint64_t b = intern({&app_, 0x10010, 0});
  intern({&libc_, 0x1234, 0});
  auto added = table_.new_locations();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].id, a);
  EXPECT_EQ(added[0].address, 0x1234u);
  EXPECT_EQ(added[0].frames, &frames_);
  EXPECT_EQ(added[1].id, b);
  table_.forget_new();
  intern({&libc_, 0x1234, 0});
  EXPECT_TRUE(table_.new_locations().empty());
}

}  // namespace
}  // namespace spanprof::stacks
