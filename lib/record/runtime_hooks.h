// The runtime hooks `spanprof run` loads into the processes it starts, so that
// they write activation records (docs/activations.md) with no change to the app.
//
// Takes: the command's environment and the capture directory. Gives: the same
// environment with SPANPROF_ACTIVATIONS_DIR (always) and, when hooks are on and
// spanprof's Node hook is found at a safe path, NODE_OPTIONS with
// `--require <hook>` appended to the user's own.
#pragma once

#include <functional>
#include <string>

#include "common/result.h"
#include "record/child_env.h"

namespace spanprof::record {

// The installed Node hook: <exe>/../share/spanprof/node/, or <exe>/../runtime/node/
// when spanprof runs from its build tree. Fails when neither exists or the one
// found could be changed by another user (a world-writable folder on its path,
// an owner other than root or this user).
Result<std::string> find_node_hook();

// The checks find_node_hook applies, for any path: the file and every folder
// above it are owned by root or this user and not writable by others (group
// write only for root's group or this user's; a folder with the sticky bit,
// like /tmp, is allowed above a safe one).
Result<void> check_hook_path(const std::string& path);

// NODE_OPTIONS with --require hook appended (quoted as Node parses NODE_OPTIONS).
// Fails when the path cannot be quoted there (a '"' or '\' in it).
Result<std::string> node_options_with_hook(const std::string& user_options,
                                           const std::string& hook);

struct RuntimeHooksReport {
  std::string node_hook;  // "" when not loaded
};

// warn: why a hook is not loaded, one line.
RuntimeHooksReport apply_runtime_hooks(ChildEnv& env, const std::string& capture_dir,
                                       bool hooks_enabled,
                                       const std::function<void(const std::string&)>& warn);

}  // namespace spanprof::record
