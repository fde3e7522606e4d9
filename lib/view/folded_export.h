// Brendan Gregg's folded stacks ("root;caller;leaf weight", one line per
// distinct stack): what `spanprof export --format folded` writes into a
// directory, for FlameGraph (flamegraph.pl), inferno and speedscope.
//
// Takes: a checked ViewModel (see write_export). Gives: the files and notes.
//
// Files, "SCOPE.MEASURE.folded":
//   SCOPE    "all" (every sample), "outside-spans" (samples in no span), or
//            "span-NAME" (inclusive: every sample whose span chain holds a span
//            of that name, see for_each_span_of; NAME made file-safe and
//            unique)
//   MEASURE  the main event and its unit ("cpu-clock-ns", "cycles-count"),
//            or an off-CPU state when the capture has them ("off-cpu-sleeping-ns")
// Weights are integers in that unit. README.txt lists every file with what it
// holds and its total, and the notes. Folded lines have no escapes: a frame's
// ';' becomes ':' and line breaks and tabs become spaces.
#pragma once

#include <string>
#include <vector>

#include "view/export_text.h"
#include "view/exports.h"

namespace spanprof::view {

inline constexpr std::string_view kFoldedReadme = "README.txt";
// README.txt's first line: marks a directory a folded export wrote.
inline constexpr std::string_view kFoldedReadmeTitle = "spanprof folded stacks";

struct FoldedStacks {
  std::vector<ExportedFile> files;  // the .folded files, then README.txt
  std::vector<std::string> notes;
};

FoldedStacks folded_stacks(const ViewModel& model, const ExportContext& context);

// A span name as a file name part: [A-Za-z0-9._-] kept, other bytes '_',
// at most 80 bytes, never empty or starting with '.'.
std::string file_safe_name(std::string_view name);

// A frame label as a folded field: no ';', no line breaks, never empty.
std::string folded_frame(std::string_view label);

}  // namespace spanprof::view
