// Chrome's Trace Event Format (the "Trace Event Format" document, JSON Object
// Format): what `spanprof export --format chrome` writes, for Perfetto and
// chrome://tracing.
//
// Takes: a checked ViewModel (see write_export). Gives: the trace JSON and
// notes on what it could not show.
//
// Layout: "M" events name the processes and threads; each span placed on a
// thread is an "X" (complete) event, ts/dur in microseconds from the export's
// zero (otherData.zero_unix_ns), args span_id, trace_id, service. X events
// must nest per thread (Perfetto drops overlapping ones): a child ending after
// its parent is clamped to the parent's end, said in its args and counted in
// the notes. Samples of the main event are thread-scoped instant events ("i",
// s "t") named by their leaf function, their stack in "sf" (an id into the
// top-level stackFrames, which chrome://tracing shows; Perfetto's JSON
// importer reads slices, instants and metadata, not stackFrames: use the
// firefox export for stacks there). Off-CPU pieces are async slices ("b"/"e",
// cat "off_cpu", id = the thread id) named by the thread state, so they do not
// have to nest with the spans.
#pragma once

#include <string>
#include <vector>

#include "view/export_text.h"
#include "view/exports.h"

namespace spanprof::view {

struct ChromeTrace {
  std::string json;
  std::vector<std::string> notes;
  uint64_t clamped_spans = 0;  // children cut at their parent's end
};

ChromeTrace chrome_trace(const ViewModel& model, const ExportContext& context);

}  // namespace spanprof::view
