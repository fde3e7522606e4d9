// The Firefox Profiler's processed profile format (firefox-devtools/profiler
// src/types/profile.ts, preprocessedProfileVersion 70): what
// `spanprof export --format firefox` writes.
//
// Takes: a ViewModel whose indices are in range and whose stack nodes come
// after their parents (write_export checks both). Gives: the profile JSON and
// the notes on what it could not show.
//
// Layout: one thread per sampled thread with the main event's samples and the
// thread's spans as interval markers ("span" marker schema: service, span_id,
// trace_id, parent); when the capture has off-CPU pieces, a second thread
// "NAME (off-CPU)" with them, each stack under a root frame naming the thread
// state ("[off-CPU: sleeping]"), coloured by a category per state. Weights:
// time events (cpu-clock, task-clock) and off-CPU pieces are "tracing-ms"
// (the sample's duration in ms); other events are "samples" weighted by the
// event count (the UI says "samples", the numbers are the event's count).
// Time events also fill threadCPUDelta (ns), which the UI's CPU graph reads.
//
// Checked by loading real exports with the profiler's own loader (its
// profiler-cli 0.8.0): threads, call trees, span markers and off-CPU threads
// come out as written. Perfetto's "Firefox" importer
// reads the Gecko format (per-thread schema/data tables), not this one.
#pragma once

#include <string>
#include <vector>

#include "view/export_text.h"
#include "view/exports.h"

namespace spanprof::view {

inline constexpr int kFirefoxProcessedProfileVersion = 70;
inline constexpr int kFirefoxGeckoProfileVersion = 36;  // meta.version

struct FirefoxProfile {
  std::string json;
  std::vector<std::string> notes;
};

FirefoxProfile firefox_profile(const ViewModel& model, const ExportContext& context);

}  // namespace spanprof::view
