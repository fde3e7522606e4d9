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

void write_state_ns(JsonWriter& json, std::string_view key,
                    const std::array<int64_t, kThreadStates>& ns) {
  json.begin_object(key);
  for (size_t i = 0; i < kThreadStates; ++i) {
    json.field(thread_state_label(static_cast<offcpu::ThreadState>(i)), ns[i]);
  }
  json.end_object();
}

void write_span_totals(JsonWriter& json, const SpanTimeTotals& totals, bool cpu_measured) {
  json.field("spans", totals.spans);
  json.field("duration_ns", totals.duration_ns);
  if (cpu_measured) {
    json.field("cpu_ns", totals.cpu_ns);
  } else {
    json.null_field("cpu_ns");  // no cpu-clock event: not measured, not 0
  }
  write_state_ns(json, "off_cpu_ns", totals.off_cpu_ns);
  json.field("unaccounted_ns", totals.unaccounted_ns);
}

// Off-CPU captures only (docs/off-cpu.md).
void write_off_cpu(JsonWriter& json, const JoinReport& report) {
  if (!report.off_cpu) {
    json.null_field("off_cpu");
    return;
  }
  const OffCpuReport& off = *report.off_cpu;
  json.begin_object("off_cpu");
  json.field("profile", off.off_cpu_path);
  if (off.format_problem.empty()) {
    json.null_field("format_problem");
  } else {
    json.field("format_problem", off.format_problem);
  }
  write_counters(json, report, CounterSection::kOffCpu);
  write_state_ns(json, "off_cpu_ns", off.off_cpu_ns);
  json.begin_object("intervals_by_state");
  for (size_t i = 0; i < kThreadStates; ++i) {
    json.field(thread_state_label(static_cast<offcpu::ThreadState>(i)), off.intervals[i]);
  }
  json.end_object();
  json.field("off_cpu_ns_in_spans", off.off_cpu_ns_in_spans);
  json.begin_object("wall");
  if (off.wall_path.empty()) {
    json.null_field("profile");
  } else {
    json.field("profile", off.wall_path);
  }
  json.field("cpu_ns", off.wall_cpu_ns);
  json.field("cpu_samples", off.wall_cpu_samples);
  if (off.wall_missing.empty()) {
    json.null_field("missing");
  } else {
    json.field("missing", off.wall_missing);
  }
  json.end_object();
  json.begin_array("hottest_functions");
  for (const stacks::HotFunction& fn : off.hottest) {
    json.begin_object();
    json.field("name", fn.name);
    json.field("self_ns", fn.self);
    json.field("total_ns", fn.total);
    json.end_object();
  }
  json.end_array();
  if (off.span_time) {
    const SpanTimeReport& time = *off.span_time;
    json.begin_object("spans");
    json.field("spans_on_unobserved_threads", time.spans_on_unobserved_threads);
    json.begin_array("by_name");
    for (const SpanTimeByName& entry : time.by_name) {
      json.begin_object();
      json.field("name", entry.name);
      write_span_totals(json, entry.totals, time.cpu_measured);
      json.end_object();
    }
    json.end_array();
    json.begin_array("slowest");
    for (const SlowSpan& slow : time.slowest) {
      json.begin_object();
      json.field("name", slow.name);
      json.field("span_id", slow.span_id);
      json.field("trace_id", slow.trace_id);
      write_span_totals(json, slow.totals, time.cpu_measured);
      json.begin_object("top_stack");
      for (size_t i = 0; i < kThreadStates; ++i) {
        json.field(thread_state_label(static_cast<offcpu::ThreadState>(i)), slow.top_stack[i]);
      }
      json.end_object();
      json.field("line", slow.line);
      json.end_object();
    }
    json.end_array();
    json.end_object();
  } else {
    json.null_field("spans");
  }
  json.end_object();
}

void write_events(JsonWriter& json, const JoinReport& report) {
  json.begin_array("events");
  auto write_event = [&](const EventSummary& event, const std::string& path, uint64_t samples,
                         int64_t weight, bool main) {
    json.begin_object();
    json.field("name", event.name);
    json.field("unit", event.sample_unit);
    json.field("period", event.period);
    json.field("samples", samples);
    json.field("weight", weight);
    json.field("profile", path);
    json.field("main", main);
    json.end_object();
  };
  write_event(report.event, report.output_path, report.samples, report.total_weight, true);
  for (const OtherEventReport& other : report.other_events) {
    write_event(other.event, other.output_path, other.samples, other.total_weight, false);
  }
  json.end_array();
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
  write_events(json, report);
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
  write_off_cpu(json, report);
  write_warnings(json, report.warnings);
  json.end_object();
  return json.take();
}

Result<void> write_summary_json(const JoinReport& report, const std::string& path) {
  return write_file_durably(path, summary_json(report));
}

}  // namespace spanprof::join
