#include "view/firefox_export.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "common/json_quote.h"
#include "common/json_writer.h"

namespace spanprof::view {
namespace {

// profile.ts CategoryList: the first grey category is the default one, every
// category's first subcategory is its default. Index 1 + kind for off-CPU.
struct CategoryDef {
  const char* name;
  const char* color;
};
constexpr std::array<CategoryDef, 6> kCategories = {{
    {"Other", "grey"},
    {"Span", "blue"},
    {"Sleeping", "lightblue"},
    {"Blocked I/O", "orange"},
    {"Runnable", "red"},
    {"Unknown state", "darkgrey"},
}};
constexpr int64_t kSpanCategory = 1;

int64_t state_category(SampleKind kind) { return 1 + static_cast<int64_t>(kind); }

class StringTable {
 public:
  int64_t index(const std::string& text) {
    auto [it, inserted] = ids_.try_emplace(text, static_cast<int64_t>(strings_.size()));
    if (inserted) strings_.push_back(text);
    return it->second;
  }
  std::string json() const {
    JsonColumn column;
    for (const std::string& text : strings_) column.add(std::string_view(json_quoted(text)));
    return column.json();
  }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  std::vector<std::string> strings_;
};

// The shared tables (profile.shared since version 60): frames, funcs,
// resources (one per module), sources (one per file) and stacks.
class SharedTables {
 public:
  explicit SharedTables(const ViewModel& model) : model_(model) {
    for (const Frame& frame : model.frames) add_frame(frame_label(frame), frame, "null");
    for (const StackNode& node : model.stacks) add_stack(node.frame, node.parent);
  }

  // The stack of an off-CPU piece: its stack under the state's root frame.
  int64_t off_cpu_stack(SampleKind kind, uint32_t stack) {
    auto k = static_cast<size_t>(kind);
    if (state_roots_[k] < 0) {
      Frame state{fmt::format("[off-CPU: {}]", sample_kind_name(kind)), "", 0, ""};
      int64_t frame = add_frame(state.function, state, std::to_string(state_category(kind)));
      state_roots_[k] = add_stack(static_cast<uint32_t>(frame), kNone);
      remapped_[k].assign(model_.stacks.size(), -1);
    }
    if (stack == kNone) return state_roots_[k];
    // Nodes up to the first one already placed, then placed root side first
    // so every stack follows its prefix (stackTable is in topological order).
    std::vector<uint32_t> path;
    uint32_t node = stack;
    while (node != kNone && remapped_[k][node] < 0) {
      path.push_back(node);
      node = model_.stacks[node].parent;
    }
    int64_t prefix = node == kNone ? state_roots_[k] : remapped_[k][node];
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      prefix = add_stack_under(model_.stacks[*it].frame, prefix);
      remapped_[k][*it] = prefix;
    }
    return prefix;
  }

  void write(JsonWriter& out) {
    out.begin_object("shared");
    out.begin_object("stackTable");
    out.raw_field("frame", stack_frame_.json());
    out.raw_field("prefixOffset", stack_prefix_offset_.json());
    out.field("length", static_cast<uint64_t>(stack_frame_.size()));
    out.end_object();
    out.begin_object("frameTable");
    JsonColumn minus_ones, zeros, nulls;
    for (size_t i = 0; i < frame_category_.size(); ++i) {
      minus_ones.add("-1");
      zeros.add("0");
      nulls.add("null");
    }
    out.raw_field("address", minus_ones.json());
    out.raw_field("lib", minus_ones.json());  // version 70: -1 = no library
    out.raw_field("inlineDepth", zeros.json());
    out.raw_field("category", frame_category_.json());
    out.raw_field("subcategory", frame_subcategory_.json());
    out.raw_field("func", frame_func_.json());
    out.raw_field("nativeSymbol", nulls.json());
    out.raw_field("innerWindowID", nulls.json());
    out.raw_field("line", frame_line_.json());
    out.raw_field("column", nulls.json());
    out.raw_field("originalLocation", nulls.json());
    out.field("length", static_cast<uint64_t>(frame_category_.size()));
    out.end_object();
    out.begin_object("funcTable");
    JsonColumn falses;
    for (size_t i = 0; i < func_name_.size(); ++i) falses.add("false");
    out.raw_field("name", func_name_.json());
    out.raw_field("isJS", falses.json());
    out.raw_field("relevantForJS", falses.json());
    out.raw_field("resource", func_resource_.json());
    out.raw_field("source", func_source_.json());
    // A func's lineNumber is where it is defined, which the view model does
    // not know (Frame::line is a line seen in it): left null.
    out.raw_field("lineNumber", nulls.json());
    out.raw_field("columnNumber", nulls.json());
    out.raw_field("originalLocation", nulls.json());
    out.field("length", static_cast<uint64_t>(func_name_.size()));
    out.end_object();
    out.begin_object("resourceTable");
    JsonColumn resource_nulls, resource_types;
    for (size_t i = 0; i < resource_name_.size(); ++i) {
      resource_nulls.add("null");
      resource_types.add("1");  // ResourceType.Library
    }
    out.raw_field("name", resource_name_.json());
    out.raw_field("host", resource_nulls.json());
    out.raw_field("type", resource_types.json());
    out.field("length", static_cast<uint64_t>(resource_name_.size()));
    out.end_object();
    out.begin_object("nativeSymbols");
    for (const char* column : {"libIndex", "address", "name", "functionSize"}) out.raw_field(column, "[]");
    out.field("length", 0);
    out.end_object();
    out.begin_object("sources");
    JsonColumn source_nulls, ones;
    for (size_t i = 0; i < source_filename_.size(); ++i) {
      source_nulls.add("null");
      ones.add("1");
    }
    out.raw_field("id", source_nulls.json());
    out.raw_field("filename", source_filename_.json());
    out.raw_field("startLine", ones.json());
    out.raw_field("startColumn", ones.json());
    out.raw_field("sourceMapURL", source_nulls.json());
    out.raw_field("content", source_nulls.json());
    out.field("length", static_cast<uint64_t>(source_filename_.size()));
    out.end_object();
    out.begin_object("sourceLocationTable");
    for (const char* column : {"source", "line", "column"}) out.raw_field(column, "[]");
    out.field("length", 0);
    out.end_object();
    out.raw_field("stringArray", strings.json());
    out.end_object();
  }

  StringTable strings;

 private:
  int64_t add_frame(const std::string& label, const Frame& frame, const std::string& category) {
    auto index = static_cast<int64_t>(frame_category_.size());
    func_name_.add(strings.index(label));
    func_resource_.add(frame.module.empty() ? int64_t{-1} : resource(frame.module));
    func_source_.add(frame.file.empty() ? std::string("null") : std::to_string(source(frame.file)));
    frame_func_.add(index);  // one func per frame: the view model's frames are (function, file, module)
    frame_category_.add(category);
    frame_subcategory_.add(category == "null" ? "null" : "0");
    frame_line_.add(frame.line > 0 ? std::to_string(frame.line) : std::string("null"));
    return index;
  }
  int64_t add_stack(uint32_t frame, uint32_t parent) {
    return add_stack_under(frame, parent == kNone ? -1 : static_cast<int64_t>(parent));
  }
  // prefixOffset (version 66): 0 for a root, else own index - prefix index.
  int64_t add_stack_under(uint32_t frame, int64_t prefix) {
    auto index = static_cast<int64_t>(stack_frame_.size());
    stack_frame_.add(static_cast<int64_t>(frame));
    stack_prefix_offset_.add(prefix < 0 ? 0 : index - prefix);
    return index;
  }
  int64_t resource(const std::string& module) {
    auto [it, inserted] = resources_.try_emplace(module, static_cast<int64_t>(resource_name_.size()));
    if (inserted) resource_name_.add(strings.index(std::string(base_name(module))));
    return it->second;
  }
  int64_t source(const std::string& file) {
    auto [it, inserted] = sources_.try_emplace(file, static_cast<int64_t>(source_filename_.size()));
    if (inserted) source_filename_.add(strings.index(file));
    return it->second;
  }

  const ViewModel& model_;
  JsonColumn stack_frame_, stack_prefix_offset_;
  JsonColumn frame_func_, frame_category_, frame_subcategory_, frame_line_;
  JsonColumn func_name_, func_resource_, func_source_;
  JsonColumn resource_name_, source_filename_;
  std::unordered_map<std::string, int64_t> resources_, sources_;
  std::array<int64_t, kSampleKinds> state_roots_{-1, -1, -1, -1, -1};
  std::array<std::vector<int64_t>, kSampleKinds> remapped_;
};

struct ThreadContent {
  std::vector<uint32_t> on_cpu;   // sample indices
  std::vector<uint32_t> off_cpu;
  std::vector<uint32_t> spans;
};

void write_thread(JsonWriter& out, const Thread& thread, const std::string& name, bool off_cpu) {
  out.field("processType", "default");
  out.field("processStartupTime", 0);
  out.null_field("processShutdownTime");
  out.field("registerTime", 0);
  out.null_field("unregisterTime");
  out.raw_field("pausedRanges", "[]");
  out.field("name", name);
  out.field("isMainThread", !off_cpu && thread.pid == thread.tid);
  out.field("pid", std::to_string(thread.pid));  // version 47: pid is a string
  out.field("tid", static_cast<uint64_t>(thread.tid));
}

}  // namespace

FirefoxProfile firefox_profile(const ViewModel& model, const ExportContext& context) {
  FirefoxProfile result;
  std::vector<std::string>& notes = result.notes;
  std::optional<int64_t> zero = export_zero_ns(model);
  bool clock = std::any_of(model.samples.begin(), model.samples.end(),
                           [](const Sample& sample) { return sample.time_ns.has_value(); });
  if (model.samples.empty()) clock = model.start_ns.has_value() || zero.has_value();
  int64_t zero_ns = zero.value_or(0);
  // interval: the sampling period for a time event; else the mean spacing of
  // the main event's samples (the UI draws a sample that wide).
  uint64_t event_samples = 0;
  for (const Sample& sample : model.samples) event_samples += sample.kind == SampleKind::kEvent ? 1 : 0;
  int64_t interval_ns = 1'000'000;
  if (model.event_is_time && model.event.period > 0) {
    interval_ns = static_cast<int64_t>(model.event.period);
  } else if (event_samples > 1 && model.duration_ns > 0) {
    interval_ns = std::max<int64_t>(1, model.duration_ns / static_cast<int64_t>(event_samples));
  }

  std::vector<ThreadContent> content(model.threads.size());
  for (uint32_t i = 0; i < model.samples.size(); ++i) {
    const Sample& sample = model.samples[i];
    (sample.kind == SampleKind::kEvent ? content[sample.thread].on_cpu : content[sample.thread].off_cpu)
        .push_back(i);
  }
  uint64_t spans_without_thread = 0;
  for (uint32_t i = 0; i < model.spans.size(); ++i) {
    if (model.spans[i].thread == kNone) {
      ++spans_without_thread;
    } else if (clock) {
      content[model.spans[i].thread].spans.push_back(i);
    }
  }

  if (model.samples.empty()) notes.push_back("the capture has no samples: the profile has no stacks");
  if (!clock && !model.samples.empty()) {
    notes.push_back(
        "the capture has no clock data: sample times are unknown, so samples are laid out in "
        "recorded order one interval apart and spans are not shown");
  }
  if (!model.spans_joined) {
    notes.push_back("no span files were joined: the profile has no span markers");
  } else if (model.spans.empty()) {
    notes.push_back("the span files hold no spans: the profile has no span markers");
  }
  if (spans_without_thread > 0) {
    notes.push_back(fmt::format("{} spans have no known thread (no thread id and no sample): "
                                "not shown as markers",
                                spans_without_thread));
  }
  if (!model.event_is_time && event_samples > 0) {
    notes.push_back(fmt::format("weights of {} samples are event counts, not samples",
                                model.event.name.empty() ? "the event's" : model.event.name));
  }

  SharedTables shared(model);
  auto time_of = [&](const Sample& sample, size_t order) {
    if (clock && sample.time_ns) return ns_as_decimal(*sample.time_ns - zero_ns, 6);
    return ns_as_decimal(static_cast<int64_t>(order) * interval_ns, 6);
  };
  auto by_time = [&](std::vector<uint32_t>& samples) {
    if (!clock) return;
    std::stable_sort(samples.begin(), samples.end(), [&](uint32_t a, uint32_t b) {
      return model.samples[a].time_ns.value_or(0) < model.samples[b].time_ns.value_or(0);
    });
  };

  JsonWriter out;
  out.begin_object();
  std::string threads_json;
  {
    JsonWriter threads;
    threads.begin_array();
    for (uint32_t t = 0; t < model.threads.size(); ++t) {
      ThreadContent& mine = content[t];
      const Thread& thread = model.threads[t];
      std::string name = thread.name.empty() ? fmt::format("tid {}", thread.tid) : thread.name;
      bool write_on_cpu = !mine.on_cpu.empty() || !mine.spans.empty() || mine.off_cpu.empty();
      if (write_on_cpu) {
        by_time(mine.on_cpu);
        threads.begin_object();
        write_thread(threads, thread, name, false);
        JsonColumn stack, time, weight, cpu_delta;
        for (size_t i = 0; i < mine.on_cpu.size(); ++i) {
          const Sample& sample = model.samples[mine.on_cpu[i]];
          stack.add(sample.stack == kNone ? std::string("null") : std::to_string(sample.stack));
          time.add(time_of(sample, i));
          weight.add(model.event_is_time ? ns_as_decimal(sample.weight, 6) : std::to_string(sample.weight));
          cpu_delta.add(sample.weight);
        }
        threads.begin_object("samples");
        threads.raw_field("stack", stack.json());
        threads.raw_field("time", time.json());
        threads.raw_field("weight", weight.json());
        // A time event's sample is the CPU time the thread used since the
        // previous one (meta.sampleUnits.threadCPUDelta "ns"): the UI's CPU graph.
        if (model.event_is_time) threads.raw_field("threadCPUDelta", cpu_delta.json());
        threads.field("weightType", model.event_is_time ? "tracing-ms" : "samples");
        threads.field("length", static_cast<uint64_t>(stack.size()));
        threads.end_object();
        std::sort(mine.spans.begin(), mine.spans.end(), [&](uint32_t a, uint32_t b) {
          return model.spans[a].start_ns < model.spans[b].start_ns;
        });
        JsonColumn data, names, starts, ends, phases, categories;
        for (uint32_t index : mine.spans) {
          const Span& span = model.spans[index];
          JsonWriter payload;
          payload.begin_object();
          payload.field("type", "span");
          payload.field("service", model.services[span.service]);
          payload.field("span_id", spans::span_id_hex(span.span_id));
          payload.field("trace_id", spans::trace_id_hex(span.trace_id));
          if (span.parent != kNone) payload.field("parent", model.names[model.spans[span.parent].name]);
          payload.end_object();
          std::string text = payload.take();
          text.pop_back();  // take() ends the document with a newline
          data.add(text);
          names.add(shared.strings.index(model.names[span.name]));
          starts.add(ns_as_decimal(span.start_ns - zero_ns, 6));
          ends.add(ns_as_decimal(std::max(span.end_ns, span.start_ns) - zero_ns, 6));
          phases.add("1");  // MarkerPhase INTERVAL
          categories.add(kSpanCategory);
        }
        threads.begin_object("markers");
        threads.raw_field("data", data.json());
        threads.raw_field("name", names.json());
        threads.raw_field("startTime", starts.json());
        threads.raw_field("endTime", ends.json());
        threads.raw_field("phase", phases.json());
        threads.raw_field("category", categories.json());
        threads.field("length", static_cast<uint64_t>(data.size()));
        threads.end_object();
        threads.end_object();
      }
      if (!mine.off_cpu.empty()) {
        by_time(mine.off_cpu);
        threads.begin_object();
        write_thread(threads, thread, name + " (off-CPU)", true);
        JsonColumn stack, time, weight;
        for (size_t i = 0; i < mine.off_cpu.size(); ++i) {
          const Sample& sample = model.samples[mine.off_cpu[i]];
          stack.add(shared.off_cpu_stack(sample.kind, sample.stack));
          time.add(time_of(sample, i));
          weight.add(ns_as_decimal(sample.weight, 6));
        }
        threads.begin_object("samples");
        threads.raw_field("stack", stack.json());
        threads.raw_field("time", time.json());
        threads.raw_field("weight", weight.json());
        threads.field("weightType", "tracing-ms");
        threads.field("length", static_cast<uint64_t>(stack.size()));
        threads.end_object();
        threads.begin_object("markers");
        for (const char* column : {"data", "name", "startTime", "endTime", "phase", "category"}) {
          threads.raw_field(column, "[]");
        }
        threads.field("length", 0);
        threads.end_object();
        threads.end_object();
      }
    }
    if (model.threads.empty()) {
      // The UI needs a thread to open; an empty one, named for what it is.
      threads.begin_object();
      write_thread(threads, Thread{0, 0, ""}, "no samples", false);
      threads.raw_field("samples",
                        R"({"stack":[],"time":[],"weight":null,"weightType":"samples","length":0})");
      threads.raw_field("markers",
                        R"({"data":[],"name":[],"startTime":[],"endTime":[],"phase":[],"category":[],"length":0})");
      threads.end_object();
    }
    threads.end_array();
    threads_json = threads.take();
    threads_json.pop_back();
  }

  // The recording's end: the capture's last sample, a span's or an off-CPU
  // piece's end, whichever is last (the timeline spans it).
  int64_t end_ns = zero_ns;
  if (model.start_ns) end_ns = std::max(end_ns, *model.start_ns + model.duration_ns);
  if (clock) {
    for (const Sample& sample : model.samples) {
      if (sample.time_ns) {
        end_ns = std::max(end_ns, *sample.time_ns + (sample.kind == SampleKind::kEvent ? 0 : sample.weight));
      }
    }
    for (const Span& span : model.spans) {
      if (span.thread != kNone) end_ns = std::max(end_ns, span.end_ns);
    }
  }

  out.begin_object("meta");
  out.raw_field("interval", ns_as_decimal(interval_ns, 6));
  out.raw_field("startTime", ns_as_decimal(zero_ns, 6));  // ms since the Unix epoch
  if (clock && end_ns > zero_ns) {
    out.field("profilingStartTime", 0);
    out.raw_field("profilingEndTime", ns_as_decimal(end_ns - zero_ns, 6));
  }
  if (model.event_is_time) {
    out.raw_field("sampleUnits", R"({"time":"ms","eventDelay":"ms","threadCPUDelta":"ns"})");
  }
  out.field("processType", 0);
  out.field("product", context.title.empty() ? std::string("spanprof") : context.title);
  out.field("stackwalk", 1);
  out.field("version", kFirefoxGeckoProfileVersion);
  out.field("preprocessedProfileVersion", kFirefoxProcessedProfileVersion);
  out.field("symbolicated", true);
  out.field("importedFrom", "spanprof");
  out.begin_array("categories");
  for (const CategoryDef& category : kCategories) {
    out.begin_object();
    out.field("name", category.name);
    out.field("color", category.color);
    out.raw_field("subcategories", R"(["Other"])");
    out.end_object();
  }
  out.end_array();
  out.begin_array("markerSchema");
  out.begin_object();
  out.field("name", "span");
  out.field("tooltipLabel", "{marker.name}");
  out.field("tableLabel", "{marker.name} ({marker.data.service})");
  out.field("chartLabel", "{marker.name}");
  out.field("description", "An OpenTelemetry span, joined to the samples by spanprof");
  out.raw_field("display", R"(["marker-chart","marker-table","timeline-overview"])");
  out.begin_array("fields");
  for (auto [key, label] : {std::pair{"service", "Service"}, std::pair{"span_id", "Span ID"},
                            std::pair{"trace_id", "Trace ID"}, std::pair{"parent", "Parent span"}}) {
    out.begin_object();
    out.field("key", key);
    out.field("label", label);
    out.field("format", "string");
    out.end_object();
  }
  out.end_array();
  out.end_object();
  out.end_array();
  // Shown in the profile's info panel: what this file cannot show.
  out.begin_array("extra");
  out.begin_object();
  out.field("label", "spanprof");
  out.begin_array("entries");
  out.begin_object();
  out.field("label", "Main event");
  out.field("format", "string");
  out.field("value", model.event.name.empty() ? std::string("unknown") : model.event.name);
  out.end_object();
  for (size_t i = 0; i < notes.size(); ++i) {
    out.begin_object();
    out.field("label", fmt::format("Note {}", i + 1));
    out.field("format", "string");
    out.field("value", notes[i]);
    out.end_object();
  }
  out.end_array();
  out.end_object();
  out.end_array();
  out.end_object();
  out.raw_field("libs", "[]");
  out.raw_field("pages", "[]");
  // Threads first (they intern marker names), the shared tables after.
  shared.write(out);
  out.raw_field("threads", threads_json);
  out.end_object();
  result.json = valid_utf8(out.take());
  return result;
}

}  // namespace spanprof::view
