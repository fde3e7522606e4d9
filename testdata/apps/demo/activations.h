// --activation-bench N: N calls of spanprof_activate/spanprof_deactivate alternating (every
// call a switch, recorded), then N calls activating the current span (no change, nothing
// recorded); prints the time per call of each (scripts/bench.py's activation-header case).
#pragma once

#include <cstdint>

namespace demo {

void activation_bench(uint64_t calls);

}  // namespace demo
