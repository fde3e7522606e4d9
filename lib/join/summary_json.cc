#include "join/summary_json.h"

#include "common/durable_file.h"
#include "common/json_writer.h"
#include "join/report_counters.h"

#include <fmt/format.h>

namespace spanprof::join {

namespace {

double ratio(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void write_counters(JsonWriter& json, const JoinReport& report, CounterSection section) {
  for (const ReportCounter& counter : report_counters(section)) {
    json.field(counter.key, counter.value(report));
  }
}

void write_spans(JsonWriter& json, const JoinReport& report) {
  const SpanReport& spans = *report.spans;
  json.begin_object("spans");
  json.begin_array("files");
  for (const std::string& file : spans.files) json.value(file);
  json.end_array();
  if (spans.join_error) {
    json.field("join_error", spans.join_error->to_string());
  } else {
    json.null_field("join_error");
  }
  write_counters(json, report, CounterSection::kSpans);
  const attribute::AttributionSummary& attribution = spans.attribution;
  json.field("share_of_samples_in_spans", ratio(attribution.samples_in_spans, attribution.samples));
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
  for (const std::string& problem : spans.read.problems) json.value(problem);
  json.end_array();
  if (spans.activations) {
    json.begin_object("activations");
    json.begin_array("files");
    for (const std::string& file : spans.activations->files) json.value(file);
    json.end_array();
    write_counters(json, report, CounterSection::kActivations);
    json.end_object();
  } else {
    json.null_field("activations");
  }
  json.end_object();
}

// Dwarf captures only (`--call-graph dwarf`): how far the unwinder got and why it stopped.
void write_unwind(JsonWriter& json, const JoinReport& report) {
  if (!has_unwind(report)) {
    json.null_field("unwind");
    return;
  }
  json.begin_object("unwind");
  write_counters(json, report, CounterSection::kUnwind);
  json.begin_object("stops");
  write_counters(json, report, CounterSection::kUnwindStops);
  json.end_object();
  json.end_object();
}

void write_warnings(JsonWriter& json, const std::vector<Warning>& warnings) {
  json.begin_array("warnings");
  for (const Warning& warning : warnings) {
    json.begin_object();
    json.field("kind", warning_kind_name(warning.kind));
    json.field("message", warning.message);
    if (warning.where.empty()) {
      json.null_field("where");
    } else {
      json.field("where", warning.where);
    }
    json.end_object();
  }
  json.end_array();
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
  // Kept from the first schema-1 files, where it already counted pprof samples.
  json.field("distinct_stacks", report.pprof_samples);
  json.field("pprof_samples", report.pprof_samples);
  json.field("unique_stacks", report.unique_stacks);
  if (report.start_unix_ns) {
    json.field("start_unix_ns", *report.start_unix_ns);
  } else {
    json.null_field("start_unix_ns");
  }
  json.field("duration_ns", report.duration_ns);

  json.begin_object("losses");
  write_counters(json, report, CounterSection::kLosses);
  if (report.read.damage) {
    json.field("damage", report.read.damage->to_string());
  } else {
    json.null_field("damage");
  }
  json.end_object();
  write_unwind(json, report);

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
    write_spans(json, report);
  } else {
    json.null_field("spans");
  }
  write_warnings(json, report.warnings);
  json.end_object();
  return json.take();
}

Result<void> write_summary_json(const JoinReport& report, const std::string& path) {
  return write_file_durably(path, summary_json(report));
}

}  // namespace spanprof::join
