// Mappings -> binaries on a real library (the symbolize tests' fixture): one binary per
// (path, build id), build ids checked, perf's build-id cache, losses counted once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "binaries/binary_table.h"
#include "binaries/build_id.h"

namespace spanprof::binaries {
namespace {

namespace fs = std::filesystem;

process::Mapping file_mapping(std::string filename, std::string build_id = "") {
  return process::Mapping{.start = 0x10000, .end = 0x20000, .pgoff = 0,
                          .filename = std::move(filename), .build_id = std::move(build_id),
                          .kernel = false, .executable = true};
}

TEST(BinaryTable, OneBinaryPerPathAndBuildId) {
  BinaryTable table({.build_id_cache_dir = "/nonexistent-cache"});
  std::string build_id = read_build_id(FIXTURE_GNU_LD);
  ASSERT_FALSE(build_id.empty());
  process::Mapping text = file_mapping(FIXTURE_GNU_LD, build_id);
  process::Mapping data = text;
  data.start = 0x30000;
  data.end = 0x31000;
  data.pgoff = 0x2000;
  Binary& first = table.binary_of(text);
  EXPECT_EQ(&table.binary_of(data), &first);
  ASSERT_NE(first.elf, nullptr);
  EXPECT_EQ(first.index, 0u);
  EXPECT_EQ(first.elf->path(), FIXTURE_GNU_LD);
  EXPECT_EQ(table.stats().opened, 1u);

  // Same path, another build id: another binary, and that one was not recorded.
  Binary& other = table.binary_of(file_mapping(FIXTURE_GNU_LD, "00112233445566778899"));
  EXPECT_NE(&other, &first);
  EXPECT_EQ(other.index, 1u);
  EXPECT_EQ(other.elf, nullptr);
  EXPECT_EQ(table.stats().mismatched, 1u);
  ASSERT_EQ(table.warnings().size(), 1u);
  EXPECT_NE(table.warnings()[0].find("changed since recording"), std::string::npos);
  EXPECT_EQ(table.size(), 2u);
}

TEST(BinaryTable, MissingFileComesFromTheBuildIdCache) {
  fs::path cache = fs::temp_directory_path() / ("spanprof-bincache-" + std::to_string(getpid()));
  std::string build_id = read_build_id(FIXTURE_GNU_LD);
  fs::path entry = build_id_cache_path(cache.string(), build_id);
  fs::create_directories(entry.parent_path());
  fs::create_symlink(fs::canonical(FIXTURE_GNU_LD), entry);

  BinaryTable table({.build_id_cache_dir = cache.string()});
  Binary& binary = table.binary_of(file_mapping("/gone/libfixture.so", build_id));
  fs::remove_all(cache);
  ASSERT_NE(binary.elf, nullptr);
  EXPECT_EQ(binary.elf->path(), entry.string());
  EXPECT_EQ(table.stats().from_build_id_cache, 1u);
  EXPECT_TRUE(table.warnings().empty());
}

TEST(BinaryTable, MissingFilesWarnOncePseudoFilesNever) {
  BinaryTable table({.build_id_cache_dir = "/nonexistent-cache"});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(table.binary_of(file_mapping("/gone/libgone.so", "abcdef01")).elf, nullptr);
  }
  for (const char* name : {"[vdso]", "[vsyscall]", "//anon", "/memfd:jit (deleted)"}) {
    EXPECT_EQ(table.binary_of(file_mapping(name)).elf, nullptr) << name;
  }
  EXPECT_EQ(table.stats().missing, 1u);
  ASSERT_EQ(table.warnings().size(), 1u);
  EXPECT_NE(table.warnings()[0].find("/gone/libgone.so not found (build id abcdef01"),
            std::string::npos)
      << table.warnings()[0];
}

TEST(BinaryTable, OwnVdsoOnlyForCapturesOfThisKernel) {
  BinaryTable other_kernel({});
  EXPECT_EQ(other_kernel.binary_of(file_mapping("[vdso]")).elf, nullptr);
  BinaryTable this_kernel({.build_id_cache_dir = "", .own_vdso = true});
  Binary& vdso = this_kernel.binary_of(file_mapping("[vdso]"));
  if (vdso.elf == nullptr) GTEST_SKIP() << "this process has no vDSO";
  EXPECT_EQ(this_kernel.stats().opened, 1u);
  // A capture naming another vDSO image does not get this one.
  EXPECT_EQ(this_kernel.binary_of(file_mapping("[vdso]", "0011223344")).elf, nullptr);
}

TEST(BinaryTable, JitMappingsHaveNoFile) {
  for (const char* name : {"", "//anon", "[anon:v8]", "/memfd:jit", "[heap]", "[stack]",
                           "/tmp/perf-42.map"}) {
    EXPECT_TRUE(is_jit_mapping(file_mapping(name))) << name;
  }
  for (const char* name : {"/usr/lib/libc.so.6", "[vdso]"}) {
    EXPECT_FALSE(is_jit_mapping(file_mapping(name))) << name;
  }
}

}  // namespace
}  // namespace spanprof::binaries
