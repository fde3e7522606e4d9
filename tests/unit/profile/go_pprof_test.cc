// An independent reader: Go's pprof must accept what the builder writes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "profile/profile_builder.h"
#include "profile_test_util.h"

namespace spanprof::profile {
namespace {

using testing::frame;
using testing::num_label;
using testing::str_label;

bool go_on_path() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view dirs = path;
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    auto dir = dirs.substr(0, colon);
    if (!dir.empty() && ::access((std::string(dir) + "/go").c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return false;
}

// Runs a shell command, returning its exit status and combined output.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(GoPprof, ReadsWrittenProfile) {
  if (!go_on_path()) GTEST_SKIP() << "go is not on PATH";

  ProfileBuilder builder({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"},
                         1'000'000);
  MappingInfo info = testing::mapping(0x400000, 0x500000, 0, "/usr/bin/demo", "0123abcd");
  info.has_functions = info.has_filenames = info.has_line_numbers = info.has_inline_frames = true;
  uint64_t m = builder.add_mapping(info);
  uint64_t inner = builder.add_location(m, 0x401100,
                                        {frame("demo::decode_varint", "workloads.cc", 21, 15),
                                         frame("demo::parse_records", "workloads.cc", 48, 40)});
  uint64_t outer = builder.add_location(m, 0x401200, {frame("main", "main.cc", 70, 60)});
  uint64_t raw = builder.add_location(m, 0x401300, {});
  uint64_t stack[] = {inner, outer};
  uint64_t raw_stack[] = {raw, outer};
  Label labels[] = {str_label("thread_name", "worker-1"), num_label("tid", 77)};
  int64_t values[] = {3, 3'000'000};
  builder.add_sample(stack, labels, values);
  builder.add_sample(raw_stack, labels, values);

  testing::ScratchDir dir;
  auto profile_path = (dir.path() / "cpu.pb.gz").string();
  ASSERT_TRUE(builder.write_gzipped(profile_path));

  // Go wants writable HOME and caches, and must not reach for a toolchain download.
  const std::string home = dir.path().string();
  auto [status, output] =
      run("env HOME=" + home + " GOCACHE=" + home + "/cache GOPATH=" + home +
          "/gopath GOTOOLCHAIN=local GOPROXY=off go tool pprof -raw " + profile_path);
  ASSERT_EQ(status, 0) << output;
  EXPECT_NE(output.find("demo::decode_varint"), std::string::npos) << output;
  EXPECT_NE(output.find("demo::parse_records"), std::string::npos) << output;
  EXPECT_NE(output.find("main"), std::string::npos) << output;
  EXPECT_NE(output.find("worker-1"), std::string::npos) << output;
  EXPECT_NE(output.find("samples/count"), std::string::npos) << output;
}

}  // namespace
}  // namespace spanprof::profile
