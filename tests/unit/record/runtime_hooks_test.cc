// The runtime hooks `spanprof run` loads (docs/activations.md, "Runtime hooks"):
// the checks that keep a hook another user could change out of the app, the
// NODE_OPTIONS it gets, and that SPANPROF_ACTIVATIONS_DIR is set in any case.
#include "record/runtime_hooks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace spanprof::record {
namespace {

namespace fs = std::filesystem;

class HookPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Under the system's temporary folder: sticky, so allowed above a safe folder.
    dir_ = fs::temp_directory_path() /
           ("spanprof-hooks-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string hook(const fs::path& folder, mode_t mode = 0644) {
    fs::create_directories(folder);
    fs::path path = folder / "spanprof-activations.cjs";
    std::ofstream(path) << "// hook\n";
    ::chmod(path.c_str(), mode);
    return path.string();
  }

  fs::path dir_;
};

TEST_F(HookPathTest, AFileOnlyItsOwnerCanChangeIsSafe) {
  auto checked = check_hook_path(hook(dir_ / "share"));
  EXPECT_TRUE(checked.has_value()) << checked.error().to_string();
}

TEST_F(HookPathTest, AFileOthersCanWriteIsRefused) {
  for (mode_t mode : {mode_t{0666}, mode_t{0646}, mode_t{0602}}) {
    auto checked = check_hook_path(hook(dir_, mode));
    ASSERT_FALSE(checked.has_value()) << std::oct << mode;
    EXPECT_NE(checked.error().message.find("writable by other users"), std::string::npos);
    EXPECT_NE(checked.error().hint.find("--no-runtime-hooks"), std::string::npos);
  }
}

// Group write is refused only for a group that is neither root's nor the user's own.
TEST_F(HookPathTest, GroupWriteIsSafeForRootsOrTheUsersGroup) {
  std::string path = hook(dir_, 0664);
  ASSERT_EQ(::chown(path.c_str(), static_cast<uid_t>(-1), ::getegid()), 0);
  EXPECT_TRUE(check_hook_path(path).has_value());
  if (::geteuid() != 0) GTEST_SKIP() << "giving the file to another group needs root";
  ASSERT_EQ(::chown(path.c_str(), static_cast<uid_t>(-1), 12345), 0);
  auto checked = check_hook_path(path);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find("writable by other users"), std::string::npos);
}

TEST_F(HookPathTest, AFolderOthersCanWriteIsRefusedUnlessSticky) {
  std::string path = hook(dir_ / "open" / "node");
  ::chmod((dir_ / "open").c_str(), 0777);
  auto checked = check_hook_path(path);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find((dir_ / "open").string() + " is writable by other users"),
            std::string::npos)
      << checked.error().message;

  // Sticky, like /tmp: no one renames what another user owns in it.
  ::chmod((dir_ / "open").c_str(), 01777);
  EXPECT_TRUE(check_hook_path(path).has_value());
  // The sticky bit does not make the file itself safe.
  ::chmod(path.c_str(), 0666);
  EXPECT_FALSE(check_hook_path(path).has_value());
}

TEST_F(HookPathTest, ASymlinkIsCheckedWhereItLeads) {
  std::string target = hook(dir_ / "real", 0666);
  fs::create_directories(dir_ / "link");
  fs::create_symlink(target, dir_ / "link" / "spanprof-activations.cjs");
  EXPECT_FALSE(check_hook_path((dir_ / "link" / "spanprof-activations.cjs").string()).has_value());
}

TEST_F(HookPathTest, MissingAndNonRegularHooksAreRefused) {
  auto missing = check_hook_path((dir_ / "none.cjs").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("cannot resolve"), std::string::npos);
  fs::create_directories(dir_ / "folder.cjs");
  auto folder = check_hook_path((dir_ / "folder.cjs").string());
  ASSERT_FALSE(folder.has_value());
  EXPECT_NE(folder.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(HookPathTest, AnotherUsersFileIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  std::string path = hook(dir_ / "theirs");
  ASSERT_EQ(::chown(path.c_str(), 12345, 12345), 0);
  auto checked = check_hook_path(path);
  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message.find("another user (uid 12345)"), std::string::npos)
      << checked.error().message;
}

TEST(NodeOptions, TheHookIsRequiredAfterTheUsersOwnOptions) {
  EXPECT_EQ(node_options_with_hook("", "/opt/sp/hook.cjs"), "--require \"/opt/sp/hook.cjs\"");
  EXPECT_EQ(node_options_with_hook("--max-old-space-size=512", "/opt/sp/hook.cjs"),
            "--max-old-space-size=512 --require \"/opt/sp/hook.cjs\"");
  // A path with spaces stays one argument (Node splits NODE_OPTIONS on spaces
  // outside double quotes).
  EXPECT_EQ(node_options_with_hook("", "/opt/my sp/hook.cjs"), "--require \"/opt/my sp/hook.cjs\"");
}

TEST(NodeOptions, SpanprofUnderSpanprofRequiresTheHookOnce) {
  std::string once = *node_options_with_hook("--inspect", "/opt/sp/hook.cjs");
  EXPECT_EQ(node_options_with_hook(once, "/opt/sp/hook.cjs"), once);
}

TEST(NodeOptions, APathNodeOptionsCannotCarryIsRefused) {
  for (const char* path : {"/opt/a\"b/hook.cjs", "/opt/a\\b/hook.cjs"}) {
    auto options = node_options_with_hook("", path);
    ASSERT_FALSE(options.has_value()) << path;
    EXPECT_EQ(options.error().where, path);
  }
}

TEST(ApplyRuntimeHooks, TheActivationsDirIsSetEvenWithHooksOff) {
  ChildEnv env = ChildEnv::inherited();
  env.set("NODE_OPTIONS", "--inspect");
  int warnings = 0;
  RuntimeHooksReport report =
      apply_runtime_hooks(env, "/captures/run-1", false, [&](const std::string&) { ++warnings; });
  EXPECT_EQ(env.get("SPANPROF_ACTIVATIONS_DIR"), "/captures/run-1");
  EXPECT_EQ(env.get("NODE_OPTIONS"), "--inspect");
  EXPECT_TRUE(report.node_hook.empty());
  EXPECT_EQ(warnings, 0);
}

// This test runs from build/tests/unit/record/, where no Node hook is installed
// (neither ../share/spanprof/node/ nor ../runtime/node/ next to it).
TEST(ApplyRuntimeHooks, AHookNotFoundIsOneWarningAndTheCommandRunsWithoutIt) {
  ASSERT_FALSE(find_node_hook().has_value());
  EXPECT_NE(find_node_hook().error().message.find("spanprof-activations.cjs"), std::string::npos);
  ChildEnv env = ChildEnv::inherited();
  env.set("SPANPROF_ACTIVATIONS_DIR", "/stale");
  env.set("NODE_OPTIONS", "--inspect");
  std::vector<std::string> warnings;
  RuntimeHooksReport report = apply_runtime_hooks(
      env, "/captures/run-2", true, [&](const std::string& why) { warnings.push_back(why); });
  EXPECT_EQ(env.get("SPANPROF_ACTIVATIONS_DIR"), "/captures/run-2");
  EXPECT_EQ(env.get("NODE_OPTIONS"), "--inspect");
  EXPECT_TRUE(report.node_hook.empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Node processes will not record activations"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::record
