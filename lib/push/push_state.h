// What a push shaped, kept next to the capture so a later `spanprof push DIR`
// sends only what is left: DIR/push.json, and the shift under capture.json's
// "push" key when DIR holds a capture.json (the rest of it kept as it was).
// Neither ever holds a URL or a credential: shaping never sees them.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "push/push_plan.h"

namespace spanprof::push {

Result<void> write_push_state(const std::string& dir, const PushState& state);

// Sets capture.json's "push" key to {"shift_ns", "shaped_at_unix_ns"}; does
// nothing when DIR has no capture.json. Fails when capture.json is not a JSON
// object (it is then left untouched).
Result<void> record_push_in_capture_json(const std::string& dir, const PushState& state);

}  // namespace spanprof::push
