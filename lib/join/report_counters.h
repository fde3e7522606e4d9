// The join's counters, listed once: summary.json writes every entry and the
// terminal summary prints them, so the two cannot drift apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "join/join.h"

namespace spanprof::join {

// The summary.json object a counter belongs to (docs/summary-json.md).
enum class CounterSection {
  kLosses,       // "losses"
  kUnwind,       // "unwind" (dwarf captures only: has_unwind)
  kUnwindStops,  // "unwind"."stops"
  kSpans,        // "spans" (when span files were given)
  kActivations,  // "spans"."activations" (when activation files were given)
  kOffCpu,       // "off_cpu" (off-CPU captures: spanprof run --off-cpu)
};

// When the terminal prints a counter's own line.
enum class CounterDisplay {
  kJsonOnly,     // not on a line of its own: no loss, or part of a sentence the printer writes
  kAlways,       // losses and repairs: printed whenever non-zero, with -q too
  kUnlessQuiet,  // printed when non-zero, not with -q
};

struct ReportCounter {
  std::string_view key;  // the key inside the section's summary.json object
  CounterSection section;
  CounterDisplay display;
  std::string_view tag;  // the terminal line's first word: "lost", "unwind", "spans" ...
  std::string wording;   // what follows the number on the terminal line
  uint64_t (*value)(const JoinReport&);
};

// The section's counters, in the order both outputs list them.
std::span<const ReportCounter> report_counters(CounterSection section);

// Whether summary.json has an "unwind" object and the terminal an unwind part:
// the capture was recorded with --call-graph dwarf.
bool has_unwind(const JoinReport& report);

}  // namespace spanprof::join
