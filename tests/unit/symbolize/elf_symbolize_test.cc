// Symbolizing a real shared library (fixture.cc) loaded into this test process.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "binaries/build_id.h"
#include "symbolize/symbolizer.h"
#include "symbolizer_setup.h"

namespace spanprof::symbolize {
namespace {

namespace fs = std::filesystem;

// Marker name ("LINE_PLAIN") -> line number in fixture.cc.
std::map<std::string, int64_t> marker_lines() {
  std::map<std::string, int64_t> lines;
  std::ifstream in(FIXTURE_SOURCE);
  std::string text;
  for (int64_t number = 1; std::getline(in, text); ++number) {
    auto at = text.find("// LINE_");
    if (at != std::string::npos) lines[text.substr(at + 3)] = number;
  }
  return lines;
}

int64_t line_containing(const std::string& needle) {
  std::ifstream in(FIXTURE_SOURCE);
  std::string text;
  for (int64_t number = 1; std::getline(in, text); ++number) {
    if (text.find(needle) != std::string::npos) return number;
  }
  return -1;
}

// The mapping of this process that holds addr, from /proc/self/maps.
process::Mapping mapping_of(uint64_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode, path;
    fields >> range >> perms >> offset >> dev >> inode >> path;
    uint64_t start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    if (addr < start || addr >= end) continue;
    process::Mapping mapping;
    mapping.start = start;
    mapping.end = end;
    mapping.pgoff = std::stoull(offset, nullptr, 16);
    mapping.filename = path;
    mapping.executable = perms.find('x') != std::string::npos;
    return mapping;
  }
  ADD_FAILURE() << "no mapping holds " << std::hex << addr;
  return {};
}

struct FixtureLibrary {
  explicit FixtureLibrary(const char* path) : path(path) {
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return;
    auto plain = reinterpret_cast<int (*)(int)>(dlsym(handle, "fixture_plain"));
    auto hash = reinterpret_cast<int (*)(unsigned long)>(dlsym(handle, "_ZN4demo10hash_blockEm"));
    auto caller = reinterpret_cast<int (*)(int)>(dlsym(handle, "fixture_caller"));
    auto ret = reinterpret_cast<void* (*)(int)>(dlsym(handle, "fixture_return_address"));
    if (!plain || !hash || !caller || !ret) return;
    plain_entry = reinterpret_cast<uint64_t>(plain);
    plain(1);
    hash(2);
    caller(3);
    for (int slot = 0; slot < 3; ++slot) {
      return_address[slot] = reinterpret_cast<uint64_t>(ret(slot));
    }
    ok = true;
  }
  ~FixtureLibrary() {
    if (handle) dlclose(handle);
  }

  const char* path;
  void* handle = nullptr;
  bool ok = false;
  uint64_t plain_entry = 0;
  uint64_t return_address[3] = {};  // plain, hash_block, inlined_helper in fixture_caller
};

std::string basename_of(const std::string& path) { return fs::path(path).filename().string(); }

class FixtureTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    library_ = std::make_unique<FixtureLibrary>(GetParam());
    ASSERT_TRUE(library_->ok) << "cannot load " << GetParam() << ": " << dlerror();
    mapping_ = mapping_of(library_->return_address[0]);
    ASSERT_EQ(fs::canonical(mapping_.filename), fs::canonical(GetParam()));
  }

  // A return address is looked up at ip - 1, inside the call instruction.
  const Frames& symbolize_return(SymbolizerSetup& symbolizer, int slot) {
    uint64_t addr = library_->return_address[slot] - 1;
    process::Mapping mapping = mapping_of(addr);
    return symbolizer.symbolize(mapping, addr);
  }

  std::unique_ptr<FixtureLibrary> library_;
  process::Mapping mapping_;
  std::map<std::string, int64_t> lines_ = marker_lines();
};

TEST_P(FixtureTest, PlainFunctionNameFileAndLine) {
  SymbolizerSetup symbolizer;
  const Frames& frames = symbolize_return(symbolizer, 0);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "fixture_plain");
  EXPECT_EQ(frames[0].system_name, "fixture_plain");
  // Relative line-table names are joined to the CU's comp_dir and normalized.
  EXPECT_EQ(frames[0].file, fs::path(FIXTURE_SOURCE).lexically_normal().string());
  EXPECT_EQ(frames[0].line, lines_["LINE_PLAIN"]);
  EXPECT_EQ(frames[0].start_line, line_containing("int fixture_plain(int x)"));
  EXPECT_TRUE(symbolizer.warnings().empty());
}

TEST_P(FixtureTest, FunctionEntryFromDlsym) {
  SymbolizerSetup symbolizer;
  process::Mapping mapping = mapping_of(library_->plain_entry);
  const Frames& frames = symbolizer.symbolize(mapping, library_->plain_entry);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "fixture_plain");
}

TEST_P(FixtureTest, NamespacedFunctionIsDemangled) {
  SymbolizerSetup symbolizer;
  const Frames& frames = symbolize_return(symbolizer, 1);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "demo::hash_block(unsigned long)");
  EXPECT_EQ(frames[0].system_name, "_ZN4demo10hash_blockEm");
  EXPECT_EQ(frames[0].line, lines_["LINE_HASH"]);
}

TEST_P(FixtureTest, InlinedHelperGivesTwoFramesInnermostFirst) {
  SymbolizerSetup symbolizer;
  const Frames& frames = symbolize_return(symbolizer, 2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_NE(frames[0].function.find("inlined_helper"), std::string::npos) << frames[0].function;
  EXPECT_EQ(basename_of(frames[0].file), "fixture.cc");
  EXPECT_EQ(frames[0].line, lines_["LINE_HELPER"]);
  EXPECT_EQ(frames[0].start_line, lines_["LINE_HELPER_DECL"]);
  EXPECT_EQ(frames[1].function, "fixture_caller");
  EXPECT_EQ(basename_of(frames[1].file), "fixture.cc");
  EXPECT_EQ(frames[1].line, lines_["LINE_CALL"]);
  EXPECT_EQ(symbolizer.stats().inlined_frames, 1u);
}

TEST_P(FixtureTest, RepeatedLookupsHitTheCache) {
  SymbolizerSetup symbolizer;
  const Frames& first = symbolize_return(symbolizer, 0);
  const Frames& second = symbolize_return(symbolizer, 0);
  EXPECT_EQ(&first, &second);
  symbolize_return(symbolizer, 1);
  EXPECT_EQ(symbolizer.stats().addresses_symbolized, 2u);
  EXPECT_EQ(symbolizer.stats().binaries_opened, 1u);
}

TEST_P(FixtureTest, MatchingBuildIdIsAccepted) {
  SymbolizerSetup symbolizer;
  std::string build_id = binaries::read_build_id(GetParam());
  ASSERT_FALSE(build_id.empty());
  process::Mapping mapping = mapping_;
  mapping.build_id = build_id;
  uint64_t addr = library_->return_address[0] - 1;
  EXPECT_EQ(symbolizer.symbolize(mapping, addr).size(), 1u);
}

TEST_P(FixtureTest, ChangedBinaryKeepsRawAddressesAndWarnsOnce) {
  SymbolizerSetup symbolizer({.build_id_cache_dir = "/nonexistent-cache"});
  process::Mapping mapping = mapping_;
  mapping.build_id = "00112233445566778899aabbccddeeff00112233";
  uint64_t addr = library_->return_address[0] - 1;
  EXPECT_TRUE(symbolizer.symbolize(mapping, addr).empty());
  EXPECT_TRUE(symbolizer.symbolize(mapping, library_->return_address[1] - 1).empty());
  ASSERT_EQ(symbolizer.warnings().size(), 1u);
  EXPECT_NE(symbolizer.warnings()[0].find("changed since recording"), std::string::npos)
      << symbolizer.warnings()[0];
  EXPECT_NE(symbolizer.warnings()[0].find(mapping.build_id), std::string::npos);
  EXPECT_NE(symbolizer.warnings()[0].find(binaries::read_build_id(GetParam())), std::string::npos);
  EXPECT_EQ(symbolizer.stats().binaries_mismatched, 1u);
  EXPECT_EQ(symbolizer.stats().addresses_unsymbolized, 2u);
}

TEST_P(FixtureTest, BinaryFoundInBuildIdCache) {
  fs::path cache = fs::temp_directory_path() / ("spanprof-cache-" + std::to_string(getpid()));
  std::string build_id = binaries::read_build_id(GetParam());
  ASSERT_FALSE(build_id.empty());
  fs::path entry = binaries::build_id_cache_path(cache.string(), build_id);
  fs::create_directories(entry.parent_path());
  fs::create_symlink(fs::canonical(GetParam()), entry);

  SymbolizerSetup symbolizer({.build_id_cache_dir = cache.string()});
  process::Mapping mapping = mapping_;
  mapping.filename = "/nonexistent/dir/libsymfixture.so";
  mapping.build_id = build_id;
  const Frames& frames = symbolizer.symbolize(mapping, library_->return_address[1] - 1);
  fs::remove_all(cache);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "demo::hash_block(unsigned long)");
  EXPECT_EQ(symbolizer.stats().binaries_from_build_id_cache, 1u);
  EXPECT_TRUE(symbolizer.warnings().empty());
}

TEST_P(FixtureTest, SymbolTableOnlyBinaryGivesNamesWithoutLines) {
  fs::path stripped = fs::temp_directory_path() / ("spanprof-stripped-" + std::to_string(getpid()));
  std::string command = "objcopy --strip-debug '" + std::string(GetParam()) + "' '" +
                        stripped.string() + "'";
  if (std::system(command.c_str()) != 0) GTEST_SKIP() << "objcopy not available";
  SymbolizerSetup symbolizer;
  process::Mapping mapping = mapping_;
  mapping.filename = stripped.string();
  Frames plain = symbolizer.symbolize(mapping, library_->return_address[0] - 1);
  Frames hash = symbolizer.symbolize(mapping, library_->return_address[1] - 1);
  Frames inlined = symbolizer.symbolize(mapping, library_->return_address[2] - 1);
  fs::remove(stripped);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].function, "fixture_plain");
  EXPECT_EQ(plain[0].line, 0);
  EXPECT_EQ(plain[0].file, "");
  ASSERT_EQ(hash.size(), 1u);
  EXPECT_EQ(hash[0].function, "demo::hash_block(unsigned long)");
  ASSERT_EQ(inlined.size(), 1u);
  EXPECT_EQ(inlined[0].function, "fixture_caller");
}

TEST_P(FixtureTest, SeparateDebugInfoFoundThroughDebuglink) {
  fs::path dir = fs::temp_directory_path() / ("spanprof-debuglink-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::path debug = dir / "libfixture.debug";
  fs::path stripped = dir / "libfixture.so";
  std::string source = GetParam();
  std::string commands = "objcopy --only-keep-debug '" + source + "' '" + debug.string() +
                         "' && objcopy --strip-debug --add-gnu-debuglink='" + debug.string() +
                         "' '" + source + "' '" + stripped.string() + "'";
  if (std::system(commands.c_str()) != 0) {
    fs::remove_all(dir);
    GTEST_SKIP() << "objcopy not available";
  }
  SymbolizerSetup symbolizer;
  process::Mapping mapping = mapping_;
  mapping.filename = stripped.string();
  Frames frames = symbolizer.symbolize(mapping, library_->return_address[2] - 1);
  fs::remove_all(dir);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].line, lines_["LINE_HELPER"]);
  EXPECT_EQ(frames[1].function, "fixture_caller");
  EXPECT_EQ(frames[1].line, lines_["LINE_CALL"]);
}

std::vector<const char*> fixture_paths() {
  std::vector<const char*> paths{FIXTURE_GNU_LD};
#ifdef FIXTURE_LLD
  paths.push_back(FIXTURE_LLD);
#endif
#ifdef FIXTURE_CLANG
  paths.push_back(FIXTURE_CLANG);
#endif
  return paths;
}

INSTANTIATE_TEST_SUITE_P(Linkers, FixtureTest, ::testing::ValuesIn(fixture_paths()),
                         [](const auto& info) {
                           std::string path = info.param;
                           if (path.find("_lld") != std::string::npos) return std::string("lld");
                           if (path.find("_clang") != std::string::npos) return std::string("clang");
                           return std::string("gnu_ld");
                         });

TEST(Symbolizer, MissingBinaryWarnsOnce) {
  SymbolizerSetup symbolizer({.build_id_cache_dir = "/nonexistent-cache"});
  process::Mapping mapping{.start = 0x1000, .end = 0x2000, .pgoff = 0,
                           .filename = "/nonexistent/libgone.so", .build_id = "abcdef0123",
                           .kernel = false, .executable = true};
  EXPECT_TRUE(symbolizer.symbolize(mapping, 0x1100).empty());
  EXPECT_TRUE(symbolizer.symbolize(mapping, 0x1200).empty());
  EXPECT_EQ(symbolizer.stats().binaries_missing, 1u);
  ASSERT_EQ(symbolizer.warnings().size(), 1u);
  EXPECT_NE(symbolizer.warnings()[0].find("/nonexistent/libgone.so not found"), std::string::npos)
      << symbolizer.warnings()[0];
}

TEST(Symbolizer, PseudoFilesAreNotReportedMissing) {
  SymbolizerSetup symbolizer({.build_id_cache_dir = "/nonexistent-cache"});
  for (const char* name : {"[vdso]", "//anon", "[heap]", ""}) {
    process::Mapping mapping{.start = 0x1000, .end = 0x2000, .pgoff = 0, .filename = name,
                             .build_id = "", .kernel = false, .executable = true};
    EXPECT_TRUE(symbolizer.symbolize(mapping, 0x1100).empty());
  }
  EXPECT_TRUE(symbolizer.warnings().empty());
  EXPECT_EQ(symbolizer.stats().binaries_missing, 0u);
}

// Cost per unique address on a larger binary: this test executable, built with -g.
TEST(Symbolizer, CostPerUniqueAddress) {
  uint64_t here = reinterpret_cast<uint64_t>(&marker_lines);
  process::Mapping mapping = mapping_of(here);
  ASSERT_TRUE(mapping.executable);
  SymbolizerSetup symbolizer;
  constexpr int kAddresses = 20000;
  uint64_t span = mapping.end - mapping.start;
  uint64_t step = std::max<uint64_t>(1, span / kAddresses);
  auto begin = std::chrono::steady_clock::now();
  for (uint64_t addr = mapping.start; addr < mapping.end; addr += step) {
    symbolizer.symbolize(mapping, addr);
  }
  auto elapsed = std::chrono::steady_clock::now() - begin;
  const SymbolizerStats stats = symbolizer.stats();
  uint64_t unique = stats.addresses_symbolized + stats.addresses_unsymbolized;
  double us = std::chrono::duration<double, std::micro>(elapsed).count() / double(unique);
  std::printf("[ cost     ] %llu unique addresses (%llu named, %llu inlined frames), %.2f us each\n",
              static_cast<unsigned long long>(unique),
              static_cast<unsigned long long>(stats.addresses_symbolized),
              static_cast<unsigned long long>(stats.inlined_frames), us);
  EXPECT_GT(stats.addresses_symbolized, unique / 2);
  // Cached: a second pass costs a hash lookup per address.
  begin = std::chrono::steady_clock::now();
  for (uint64_t addr = mapping.start; addr < mapping.end; addr += step) {
    symbolizer.symbolize(mapping, addr);
  }
  elapsed = std::chrono::steady_clock::now() - begin;
  std::printf("[ cost     ] cached pass: %.3f us each\n",
              std::chrono::duration<double, std::micro>(elapsed).count() / double(unique));
  EXPECT_EQ(stats.addresses_symbolized + stats.addresses_unsymbolized, unique);
}

}  // namespace
}  // namespace spanprof::symbolize
