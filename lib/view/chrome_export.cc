#include "view/chrome_export.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/json_writer.h"

namespace spanprof::view {
namespace {

// A span as an X event: its thread's slice, maybe cut to fit its enclosing one.
struct Slice {
  uint32_t span;
  int64_t start_ns;
  int64_t end_ns;
  bool clamped = false;
};

// Per thread: sorted by start (longest first at equal starts, so an enclosing
// span opens first), each slice cut to end by the end of the slice it starts
// inside. The trace event format wants complete events to nest.
std::vector<std::vector<Slice>> nested_slices(const ViewModel& model, uint64_t& clamped,
                                              uint64_t& inverted) {
  std::vector<std::vector<Slice>> per_thread(model.threads.size());
  for (uint32_t i = 0; i < model.spans.size(); ++i) {
    const Span& span = model.spans[i];
    if (span.thread == kNone) continue;
    int64_t end = span.end_ns;
    if (end < span.start_ns) {
      ++inverted;
      end = span.start_ns;
    }
    per_thread[span.thread].push_back(Slice{i, span.start_ns, end});
  }
  for (std::vector<Slice>& slices : per_thread) {
    std::stable_sort(slices.begin(), slices.end(), [](const Slice& a, const Slice& b) {
      return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.end_ns > b.end_ns;
    });
    std::vector<int64_t> open_ends;
    for (Slice& slice : slices) {
      while (!open_ends.empty() && open_ends.back() <= slice.start_ns) open_ends.pop_back();
      if (!open_ends.empty() && slice.end_ns > open_ends.back()) {
        slice.end_ns = open_ends.back();
        slice.clamped = true;
        ++clamped;
      }
      open_ends.push_back(slice.end_ns);
    }
  }
  return per_thread;
}

void event_head(JsonWriter& out, std::string_view name, std::string_view cat, const char* phase,
                const Thread& thread) {
  out.begin_object();
  out.field("name", name);
  if (!cat.empty()) out.field("cat", cat);
  out.field("ph", phase);
  out.field("pid", static_cast<uint64_t>(thread.pid));
  out.field("tid", static_cast<uint64_t>(thread.tid));
}

std::string leaf_label(const ViewModel& model, uint32_t stack) {
  return stack == kNone ? std::string("[no stack]") : frame_label(model.frames[model.stacks[stack].frame]);
}

}  // namespace

ChromeTrace chrome_trace(const ViewModel& model, const ExportContext& context) {
  ChromeTrace result;
  std::vector<std::string>& notes = result.notes;
  bool clock = std::any_of(model.samples.begin(), model.samples.end(),
                           [](const Sample& sample) { return sample.time_ns.has_value(); });
  std::optional<int64_t> zero = export_zero_ns(model);
  int64_t zero_ns = zero.value_or(0);
  uint64_t inverted = 0;
  std::vector<std::vector<Slice>> slices = nested_slices(model, result.clamped_spans, inverted);
  uint64_t spans_without_thread = 0;
  for (const Span& span : model.spans) spans_without_thread += span.thread == kNone ? 1 : 0;

  if (model.samples.empty()) notes.push_back("the capture has no samples: the trace has no sample events");
  if (!clock && !model.samples.empty()) {
    notes.push_back("the capture has no clock data: sample times are unknown, so samples are left out");
  }
  if (!model.spans_joined) {
    notes.push_back("no span files were joined: the trace has no span slices");
  } else if (model.spans.empty()) {
    notes.push_back("the span files hold no spans: the trace has no span slices");
  }
  if (spans_without_thread > 0) {
    notes.push_back(fmt::format(
        "{} spans have no known thread (no thread id and no sample): not shown", spans_without_thread));
  }
  if (result.clamped_spans > 0) {
    notes.push_back(fmt::format("{} spans end after the span they start inside on the same thread: "
                                "cut at its end so slices nest (args.clamped_from_dur_us)",
                                result.clamped_spans));
  }
  if (inverted > 0) {
    notes.push_back(fmt::format("{} spans end before they start: shown with no duration", inverted));
  }

  JsonWriter out;
  out.begin_object();
  out.field("displayTimeUnit", "ms");
  out.begin_object("otherData");
  out.field("producer", "spanprof");
  out.field("command", context.title);
  out.field("event", model.event.name);
  if (zero) {
    out.field("zero_unix_ns", *zero);
  } else {
    out.null_field("zero_unix_ns");
  }
  out.begin_array("notes");
  for (const std::string& note : notes) out.value(note);
  out.end_array();
  out.end_object();

  // stackFrames: one entry per stack node, its parent the caller's node.
  out.begin_object("stackFrames");
  if (clock) {
    for (uint32_t node = 0; node < model.stacks.size(); ++node) {
      const Frame& frame = model.frames[model.stacks[node].frame];
      out.begin_object(std::to_string(node));
      out.field("name", frame_label(frame));
      out.field("category", frame.module.empty() ? std::string_view("unknown") : base_name(frame.module));
      if (model.stacks[node].parent != kNone) out.field("parent", std::to_string(model.stacks[node].parent));
      out.end_object();
    }
  }
  out.end_object();

  out.begin_array("traceEvents");
  std::set<uint32_t> pids;
  for (const Thread& thread : model.threads) {
    if (pids.insert(thread.pid).second) {
      event_head(out, "process_name", "", "M", Thread{thread.pid, thread.pid, ""});
      out.begin_object("args");
      out.field("name", context.title.empty() ? fmt::format("pid {}", thread.pid)
                                              : fmt::format("{} (pid {})", context.title, thread.pid));
      out.end_object();
      out.end_object();
    }
    event_head(out, "thread_name", "", "M", thread);
    out.begin_object("args");
    out.field("name", thread.name.empty() ? fmt::format("tid {}", thread.tid) : thread.name);
    out.end_object();
    out.end_object();
  }
  for (uint32_t t = 0; t < slices.size(); ++t) {
    for (const Slice& slice : slices[t]) {
      const Span& span = model.spans[slice.span];
      event_head(out, model.names[span.name], "span", "X", model.threads[t]);
      out.raw_field("ts", ns_as_decimal(slice.start_ns - zero_ns, 3));
      out.raw_field("dur", ns_as_decimal(slice.end_ns - slice.start_ns, 3));
      out.begin_object("args");
      out.field("service", model.services[span.service]);
      out.field("span_id", spans::span_id_hex(span.span_id));
      out.field("trace_id", spans::trace_id_hex(span.trace_id));
      if (span.parent != kNone) out.field("parent_span_id", spans::span_id_hex(model.spans[span.parent].span_id));
      if (slice.clamped) out.raw_field("clamped_from_dur_us", ns_as_decimal(span.end_ns - span.start_ns, 3));
      out.end_object();
      out.end_object();
    }
  }
  if (clock) {
    for (const Sample& sample : model.samples) {
      if (!sample.time_ns) continue;
      const Thread& thread = model.threads[sample.thread];
      int64_t ts = *sample.time_ns - zero_ns;
      if (sample.kind == SampleKind::kEvent) {
        event_head(out, leaf_label(model, sample.stack), "sample", "i", thread);
        out.field("s", "t");
        out.raw_field("ts", ns_as_decimal(ts, 3));
        if (sample.stack != kNone) out.field("sf", std::to_string(sample.stack));
        out.begin_object("args");
        out.field(model.event_is_time ? "weight_ns" : "weight", sample.weight);
        out.end_object();
        out.end_object();
        continue;
      }
      // An off-CPU piece: an async slice on the thread's off-CPU track.
      std::string id = fmt::format("0x{:x}", thread.tid);
      event_head(out, sample_kind_name(sample.kind), "off_cpu", "b", thread);
      out.field("id", id);
      out.raw_field("ts", ns_as_decimal(ts, 3));
      if (sample.stack != kNone) out.field("sf", std::to_string(sample.stack));
      out.begin_object("args");
      out.field("leaf", leaf_label(model, sample.stack));
      out.end_object();
      out.end_object();
      event_head(out, sample_kind_name(sample.kind), "off_cpu", "e", thread);
      out.field("id", id);
      out.raw_field("ts", ns_as_decimal(ts + std::max<int64_t>(sample.weight, 0), 3));
      out.end_object();
    }
  }
  out.end_array();
  out.end_object();
  result.json = valid_utf8(out.take());
  return result;
}

}  // namespace spanprof::view
