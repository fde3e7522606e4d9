// `spanprof export` (issue #14): a joined capture in the formats other viewers
// read.
//
// Takes: a ViewModel. Gives:
//   firefox  the Firefox Profiler's processed format (threads with their
//            samples and stacks, spans as markers); opens in the Firefox
//            Profiler (Perfetto's Firefox importer reads the other, Gecko,
//            format: not this one)
//   chrome   Chrome trace JSON: spans as nested slices per thread, samples as
//            instants (Perfetto, chrome://tracing; the Firefox Profiler too)
//   folded   folded stacks ("a;b;c weight"), one file per span name, for
//            FlameGraph, inferno and speedscope
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "view/view_model.h"

namespace spanprof::view {

enum class ExportFormat { kFirefox, kChrome, kFolded };

struct ExportContext {
  std::string title;  // the recorded command ("" when unknown)
};

struct ExportOutcome {
  std::vector<std::string> files;  // what was written
  std::vector<std::string> notes;  // e.g. "the capture has no spans: ..."
};

// out: the file to write (firefox, chrome), or the directory to fill (folded).
Result<ExportOutcome> write_export(const ViewModel& model, ExportFormat format,
                                   const std::string& out, const ExportContext& context);

}  // namespace spanprof::view
