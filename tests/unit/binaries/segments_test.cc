#include <gtest/gtest.h>

#include "binaries/elf_file.h"

namespace spanprof::binaries {
namespace {

TEST(Segments, FileOffsetToVaddrWhenVaddrEqualsOffset) {
  // GNU ld -z separate-code: text at offset 0x1000, vaddr 0x1000.
  std::vector<LoadSegment> segments{{0, 0x600, 0}, {0x1000, 0x2000, 0x1000}};
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x1234), 0x1234u);
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x10), 0x10u);
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x800), std::nullopt);  // gap between segments
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x3000), std::nullopt);
}

TEST(Segments, FileOffsetToVaddrWhenVaddrDiffersFromOffset) {
  // lld: text follows the read-only segment in the file but one page higher in memory.
  std::vector<LoadSegment> segments{{0, 0x5c0, 0}, {0x5c0, 0x200, 0x15c0}, {0x7c0, 0x100, 0x27c0}};
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x5c0), 0x15c0u);
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x6ff), 0x16ffu);
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x7c8), 0x27c8u);
}

TEST(Segments, ExecutableAtFixedAddress) {
  // ET_EXEC: vaddr 0x400000 at offset 0.
  std::vector<LoadSegment> segments{{0, 0x1000, 0x400000}, {0x1000, 0x5000, 0x401000}};
  EXPECT_EQ(file_offset_to_vaddr(segments, 0x1500), 0x401500u);
}

#ifdef FIXTURE_LLD
TEST(Segments, LldFixtureReallyHasVaddrDifferentFromOffset) {
  auto binary = ElfFile::open(FIXTURE_LLD, Debuginfod::kOff);
  ASSERT_TRUE(binary.has_value()) << binary.error().to_string();
  // Some file offset must map to a different address, or the lld tests prove nothing.
  bool differs = false;
  for (uint64_t offset = 0; offset < 0x4000; offset += 0x10) {
    auto vaddr = (*binary)->vaddr_of_file_offset(offset);
    if (vaddr && *vaddr != offset) differs = true;
  }
  EXPECT_TRUE(differs);
}
#endif

}  // namespace
}  // namespace spanprof::binaries
