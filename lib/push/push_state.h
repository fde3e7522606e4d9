// What a push shaped, kept next to the capture so a later `spanprof push DIR`
// sends each destination what it lacks instead of shaping again: DIR/push.json,
// schema spanprof.push/2 (the shift is also recorded under capture.json's
// "push" key, by lib/capture). Neither ever holds a URL or a credential:
// shaping never sees them. read_push_state (declared in push_plan.h) refuses
// another version's file with a hint naming --reshape.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "push/push_plan.h"

namespace spanprof::push {

Result<void> write_push_state(const std::string& dir, const PushState& state);

}  // namespace spanprof::push
