// What a push shaped, kept next to the capture so a later `spanprof push DIR`
// sends each destination what it lacks instead of shaping again: DIR/push.json,
// schema spanprof.push/2 (the shift is also recorded under capture.json's
// "push" key, by lib/capture). Neither ever holds a URL or a credential:
// shaping never sees them. read_push_state refuses another version's file
// with a hint naming --reshape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace spanprof::push {

struct PushState {
  std::string fingerprint;  // options_fingerprint() of the shaping options
  int64_t shaped_at_unix_ns = 0;
  uint64_t batches = 0;
  int64_t shift_ns = 0;
};

// DIR/push.json, when a previous push shaped DIR.
Result<std::optional<PushState>> read_push_state(const std::string& dir);

// Removes DIR/push.json (and syncs DIR) before the outbox is cleared for a new
// shaping: a shaping that then fails leaves no state that would make the next
// push resume an emptied or partial outbox.
Result<void> remove_push_state(const std::string& dir);

Result<void> write_push_state(const std::string& dir, const PushState& state);

}  // namespace spanprof::push
