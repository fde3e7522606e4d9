// What a push shaped, kept next to the capture so a later `spanprof push DIR`
// sends only what is left: DIR/push.json (the shift is also recorded under
// capture.json's "push" key, by lib/capture). Neither ever holds a URL or a credential: shaping never sees them.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "push/push_plan.h"

namespace spanprof::push {

Result<void> write_push_state(const std::string& dir, const PushState& state);

}  // namespace spanprof::push
