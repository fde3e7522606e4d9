#include "join/capture_inputs.h"

#include <time.h>

#include <filesystem>

#include <fmt/format.h>

#include "capture/layout.h"

namespace spanprof::join {

namespace {

// capture.json keeps paths inside DIR relative to it (capture_record.h).
std::string resolved(const std::string& dir, const std::string& path) {
  std::filesystem::path file(path);
  return file.is_absolute() ? path : (std::filesystem::path(dir) / file).string();
}

capture::RecordedJoin resolved(const std::string& dir, capture::RecordedJoin matching) {
  for (std::string& file : matching.span_files) file = resolved(dir, file);
  for (std::string& file : matching.activation_files) file = resolved(dir, file);
  return matching;
}

}  // namespace

void apply_span_matching(const capture::RecordedJoin& matching, JoinOptions& options) {
  if (matching.tid_attribute) options.span_reader.tid_attribute = *matching.tid_attribute;
  if (matching.clock_offset_ns) options.clock_offset_ns = *matching.clock_offset_ns;
  if (!matching.span_files.empty()) options.span_files = matching.span_files;
  if (!matching.activation_files.empty()) {
    options.activation_files = matching.activation_files;
    options.activation_error_notes.clear();  // the notes belong to DIR's own files
  }
  if (matching.max_spans) options.span_reader.max_spans = static_cast<size_t>(*matching.max_spans);
  if (matching.span_scope) {
    options.span_scope = *matching.span_scope == "innermost" ? attribute::SpanScope::kInnermost
                                                              : attribute::SpanScope::kRoot;
  }
}

JoinOptions join_options_for(const capture::Capture& capture, JoinOptions options) {
  if (capture.record && capture.record->join && !capture.record->join->empty()) {
    // Each option the last join recorded fills in where this one gives none:
    // `push DIR --span-scope innermost` keeps the recorded --tid-attribute.
    const capture::RecordedJoin& recorded = *capture.record->join;
    const capture::RecordedJoin paths = resolved(capture.dir, recorded);
    capture::RecordedJoin& given = options.matching;
    capture::RecordedJoin taken;  // as recorded, for the note
    if (!given.tid_attribute && recorded.tid_attribute) {
      given.tid_attribute = taken.tid_attribute = recorded.tid_attribute;
    }
    if (!given.clock_offset_ns && recorded.clock_offset_ns) {
      given.clock_offset_ns = taken.clock_offset_ns = recorded.clock_offset_ns;
    }
    if (!given.max_spans && recorded.max_spans) given.max_spans = taken.max_spans = recorded.max_spans;
    if (!given.span_scope && recorded.span_scope) {
      given.span_scope = taken.span_scope = recorded.span_scope;
    }
    if (given.span_files.empty() && !recorded.span_files.empty()) {
      given.span_files = paths.span_files;
      taken.span_files = recorded.span_files;
    }
    if (given.activation_files.empty() && !recorded.activation_files.empty()) {
      given.activation_files = paths.activation_files;
      taken.activation_files = recorded.activation_files;
    }
    if (!taken.empty()) {
      options.input_notes.push_back(fmt::format(
          "span matching as the last join of {} gave it (recorded in {}): {}; giving one of "
          "these options replaces it",
          capture.dir, capture::kCaptureJson, taken.as_flags()));
    }
  }
  apply_span_matching(options.matching, options);
  if (options.perf_data_path.empty()) options.perf_data_path = capture.perf_data;
  if (options.span_files.empty()) options.span_files = capture.span_files;
  if (options.activation_files.empty()) {
    options.activation_files = capture.activation_files;
    options.activation_error_notes = capture.activation_error_notes;
  }
  if (options.namespace_ids_path.empty()) options.namespace_ids_path = capture.namespace_ids;
  if (options.output_path.empty()) options.output_path = capture.profile;
  if (options.summary_path.empty()) options.summary_path = capture.summary;
  if (!options.fallback_clock) {
    if (auto clocks = capture.start_clocks()) {
      // `spanprof run` reads CLOCK_REALTIME and CLOCK_MONOTONIC back to back when
      // recording starts: a CLOCK_MONOTONIC reference like perf's CLOCK_DATA.
      perfdata::ClockData clock;
      clock.clockid = CLOCK_MONOTONIC;
      clock.tod_ns = static_cast<uint64_t>(clocks->realtime_ns);
      clock.clockid_ns = static_cast<uint64_t>(clocks->monotonic_ns);
      options.fallback_clock = clock;
    }
  }
  for (const Warning& warning : capture.warnings) options.input_warnings.push_back(warning);
  return options;
}

}  // namespace spanprof::join
