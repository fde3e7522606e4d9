#include "join/summary_json.h"

#include "common/durable_file.h"
#include "common/json_writer.h"

#include <fmt/format.h>

namespace spanprof::join {

namespace {

double ratio(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void write_spans(JsonWriter& json, const SpanReport& spans) {
  json.begin_object("spans");
  json.begin_array("files");
  for (const std::string& file : spans.files) json.value(file);
  json.end_array();
  if (spans.join_error) {
    json.field("join_error", spans.join_error->to_string());
  } else {
    json.null_field("join_error");
  }
  const spans::SpanReadStats& read = spans.read;
  json.field("lines", read.lines);
  json.field("bad_lines", read.bad_lines);
  json.field("spans", read.spans);
  json.field("bad_spans", read.bad_spans);
  json.field("spans_over_limit", read.spans_over_limit);
  json.field("end_before_start", read.spans_end_before_start);
  json.field("duplicate_span_ids", spans.tree.duplicate_span_ids);
  json.field("parent_cycles", spans.tree.parent_cycles);
  json.field("local_roots", spans.tree.local_roots);
  json.field("without_thread_id", spans.index.spans_without_thread);
  json.field("placed_by_thread_id", spans.index.spans_by_runtime_thread_id);
  json.field("ambiguous", spans.index.ambiguous_spans);
  json.field("coarse_clock", spans.coarse_clock.coarse_spans);
  json.field("moved_coarse_clock", spans.coarse_clock.moved_spans);
  const attribute::AttributionSummary& attribution = spans.attribution;
  json.field("samples_in_spans", attribution.samples_in_spans);
  json.field("share_of_samples_in_spans", ratio(attribution.samples_in_spans, attribution.samples));
  json.field("with_samples", attribution.spans_with_samples);
  json.field("without_samples", attribution.spans_without_samples);
  json.field("without_samples_shorter_than_period",
             attribution.spans_without_samples_shorter_than_period);
  json.begin_array("longest_without_samples");
  for (const auto& span : attribution.longest_without_samples) {
    json.begin_object();
    json.field("name", span.name);
    json.field("duration_ns", span.duration_ns);
    json.end_object();
  }
  json.end_array();
  json.begin_array("by_name");
  for (const attribute::SpanCpu& cpu : attribution.by_name) {
    json.begin_object();
    json.field("name", cpu.name);
    json.field("spans", cpu.spans);
    json.field("self", cpu.self);
    json.field("total", cpu.total);
    json.end_object();
  }
  json.end_array();
  json.begin_array("problems");
  for (const std::string& problem : read.problems) json.value(problem);
  json.end_array();
  json.end_object();
}

// Dwarf captures only (`--call-graph dwarf`): how far the unwinder got and why it stopped.
void write_unwind(JsonWriter& json, const unwind::UnwindStats& unwind) {
  if (unwind.samples == 0 && unwind.samples_without_registers == 0 &&
      unwind.samples_other_arch == 0) {
    json.null_field("unwind");
    return;
  }
  json.begin_object("unwind");
  json.field("samples", unwind.samples);
  json.field("samples_without_registers", unwind.samples_without_registers);
  json.field("samples_other_arch", unwind.samples_other_arch);
  json.field("frames", unwind.frames);
  json.field("cfi_rules", unwind.rules);
  json.begin_object("stops");
  json.field("end_of_stack", unwind.end_of_stack);
  json.field("no_mapping", unwind.stop_no_mapping);
  json.field("jit", unwind.stop_jit);
  json.field("no_binary", unwind.stop_no_binary);
  json.field("no_cfi", unwind.stop_no_cfi);
  json.field("stack_copy_exhausted", unwind.stop_stack_exhausted);
  json.field("missing_register", unwind.stop_missing_register);
  json.field("bad_cfi", unwind.stop_bad_cfi);
  json.field("depth_cap", unwind.stop_depth_cap);
  json.field("sp_not_increasing", unwind.stop_sp_not_increasing);
  json.end_object();
  json.end_object();
}

}  // namespace

std::string summary_json(const JoinReport& report) {
  JsonWriter json;
  json.begin_object();
  json.field("schema", "spanprof.summary/1");
  json.field("profile", report.output_path);
  json.begin_object("event");
  json.field("name", report.event.name);
  json.field("unit", report.event.sample_unit);
  json.field("period", report.event.period);
  json.end_object();
  json.field("samples", report.samples);
  json.field("weight", report.total_weight);
  json.field("threads", report.threads);
  json.field("distinct_stacks", report.distinct_stacks);
  if (report.start_unix_ns) {
    json.field("start_unix_ns", *report.start_unix_ns);
  } else {
    json.null_field("start_unix_ns");
  }
  json.field("duration_ns", report.duration_ns);

  json.begin_object("losses");
  json.field("lost_events", report.read.lost_events);
  json.field("lost_samples", report.read.lost_samples);
  json.field("samples_without_event", report.read.samples_without_attr);
  json.field("samples_other_events", report.samples_other_events);
  json.field("undecodable_records", report.read.undecodable_records);
  json.field("skipped_records", report.read.skipped_records);
  json.field("ordering_overflows", report.read.forced_flushes);
  json.field("truncated_stacks", report.stacks.truncated_stacks);
  json.field("guest_frames_skipped", report.stacks.guest_frames_skipped);
  json.field("binaries_missing", report.symbols.binaries_missing);
  json.field("binaries_changed", report.symbols.binaries_mismatched);
  json.field("addresses_unsymbolized", report.symbols.addresses_unsymbolized);
  json.field("frames_outside_mappings", report.stacks.frames_without_mapping);
  json.field("processes_without_perf_map", report.symbols.perf_maps_missing);
  if (report.read.damage) {
    json.field("damage", report.read.damage->to_string());
  } else {
    json.null_field("damage");
  }
  json.end_object();
  write_unwind(json, report.stacks.unwind);

  json.begin_array("hottest_functions");
  for (const stacks::HotFunction& fn : report.hottest) {
    json.begin_object();
    json.field("name", fn.name);
    json.field("self", fn.self);
    json.field("total", fn.total);
    json.end_object();
  }
  json.end_array();

  if (report.spans) {
    write_spans(json, *report.spans);
  } else {
    json.null_field("spans");
  }
  json.begin_array("warnings");
  for (const std::string& warning : report.warnings) json.value(warning);
  json.end_array();
  json.end_object();
  return json.take();
}

Result<void> write_summary_json(const JoinReport& report, const std::string& path) {
  return write_file_durably(path, summary_json(report));
}

}  // namespace spanprof::join
