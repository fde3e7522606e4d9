#include "record/runtime_hooks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "capture/layout.h"

namespace spanprof::record {

namespace {

constexpr const char* kNodeHookName = "spanprof-activations.cjs";
constexpr const char* kNoHooksHint = "--no-runtime-hooks starts the command without them";

}  // namespace

Result<void> check_hook_path(const std::string& path) {
  std::error_code error;
  std::filesystem::path real = std::filesystem::canonical(path, error);
  if (error) return make_error("cannot resolve the hook: " + error.message(), path);
  const uid_t me = ::geteuid();
  bool is_file = true;
  for (std::filesystem::path at = real;; at = at.parent_path()) {
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) {
      return make_error(std::string("cannot check the hook's path: ") + std::strerror(errno),
                        at.string());
    }
    if (is_file && !S_ISREG(st.st_mode)) return make_error("the hook is not a regular file", path);
    if (st.st_uid != 0 && st.st_uid != me) {
      return make_error(fmt::format("{} belongs to another user (uid {}), who could change the hook",
                                    at.string(), st.st_uid),
                        path, kNoHooksHint);
    }
    // A sticky folder (/tmp) lets no one rename what another user owns in it.
    // Group write is harmless when the group is root's or this user's own.
    bool group_is_trusted = st.st_gid == 0 || st.st_gid == ::getegid();
    bool others_can_write =
        (st.st_mode & S_IWOTH) != 0 || ((st.st_mode & S_IWGRP) != 0 && !group_is_trusted);
    if (others_can_write && (is_file || (st.st_mode & S_ISVTX) == 0)) {
      return make_error(fmt::format("{} is writable by other users, who could change the hook",
                                    at.string()),
                        path, kNoHooksHint);
    }
    is_file = false;
    if (at == at.root_path() || at.parent_path() == at) break;
  }
  return {};
}

Result<std::string> find_node_hook() {
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return make_error("cannot find spanprof's own path: " + error.message(), "/proc/self/exe");
  std::filesystem::path prefix = exe.parent_path().parent_path();
  for (const std::filesystem::path& candidate :
       {prefix / "share" / "spanprof" / "node" / kNodeHookName,
        prefix / "runtime" / "node" / kNodeHookName}) {
    if (!std::filesystem::exists(candidate, error)) continue;
    if (auto safe = check_hook_path(candidate.string()); !safe) return std::unexpected(safe.error());
    // The path checked is the resolved one: hand Node that, so no link on the
    // way can be swapped after the check.
    std::filesystem::path real = std::filesystem::canonical(candidate, error);
    if (error) return make_error("cannot resolve the hook: " + error.message(), candidate.string());
    return real.string();
  }
  return make_error(fmt::format("spanprof's Node hook ({}) is not installed next to {}",
                                kNodeHookName, exe.string()),
                    "", "reinstall spanprof (meson install puts it in PREFIX/share/spanprof/node)");
}

Result<std::string> node_options_with_hook(const std::string& user_options,
                                           const std::string& hook) {
  if (hook.find_first_of("\"\\") != std::string::npos) {
    return make_error("the hook's path holds a '\"' or '\\', which NODE_OPTIONS cannot carry", hook,
                      "install spanprof under a plainer path");
  }
  std::string require = "--require \"" + hook + "\"";
  if (user_options.find(require) != std::string::npos) return user_options;  // spanprof in spanprof
  return user_options.empty() ? require : user_options + " " + require;
}

RuntimeHooksReport apply_runtime_hooks(ChildEnv& env, const std::string& capture_dir,
                                       bool hooks_enabled,
                                       const std::function<void(const std::string&)>& warn) {
  RuntimeHooksReport report;
  env.set(capture::kActivationsDirEnv, capture_dir);
  if (!hooks_enabled) return report;
  auto hook = find_node_hook();
  if (!hook) {
    warn("Node processes will not record activations: " + hook.error().to_string());
    return report;
  }
  auto options = node_options_with_hook(env.get("NODE_OPTIONS").value_or(""), *hook);
  if (!options) {
    warn("Node processes will not record activations: " + options.error().to_string());
    return report;
  }
  env.set("NODE_OPTIONS", *options);
  report.node_hook = *hook;
  return report;
}

}  // namespace spanprof::record
