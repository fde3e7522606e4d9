#include "view/folded_export.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

namespace spanprof::view {
namespace {

constexpr uint32_t kScopeAll = 0;
constexpr uint32_t kScopeOutside = 1;
constexpr uint32_t kFirstSpanScope = 2;  // + index of the span name

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// What a kind's weights measure, as a file name part and in words.
struct Measure {
  std::string token;
  std::string words;
};

// perf's name without what only says how it was sampled: modifiers
// ("cpu-clock:ppp" -> "cpu-clock") and sampling terms ("cpu-clock/freq=999/"
// -> "cpu-clock"); a tracepoint keeps its subsystem ("sched:sched_switch"),
// a PMU event its other terms ("cpu/event=0x3c/").
std::string event_name(std::string name) {
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && name.find('/', colon) == std::string::npos) {
    std::string_view tail = std::string_view(name).substr(colon + 1);
    if (!tail.empty() && tail.find_first_not_of("ukhIGHpPSDWe") == std::string_view::npos) name.resize(colon);
  }
  size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || !name.ends_with('/')) return name;
  std::string kept;
  std::string_view terms = std::string_view(name).substr(slash + 1, name.size() - slash - 2);
  while (!terms.empty()) {
    size_t comma = terms.find(',');
    std::string_view term = terms.substr(0, comma);
    std::string_view key = term.substr(0, term.find('='));
    if (key != "freq" && key != "period" && key != "call-graph" && key != "stack-size" && key != "max-stack") {
      kept += kept.empty() ? "" : ",";
      kept += term;
    }
    terms = comma == std::string_view::npos ? std::string_view() : terms.substr(comma + 1);
  }
  std::string base = name.substr(0, slash);
  return kept.empty() ? base : base + "/" + kept + "/";
}

Measure measure_of(const ViewModel& model, SampleKind kind) {
  if (kind != SampleKind::kEvent) {
    std::string state = sample_kind_name(kind);
    std::replace(state.begin(), state.end(), '_', '-');
    return {"off-cpu-" + state + "-ns",
            fmt::format("nanoseconds off CPU in thread state {}", sample_kind_name(kind))};
  }
  std::string event = model.event.name.empty() ? std::string("event") : event_name(model.event.name);
  std::string token = file_safe_name(event);
  if (model.event_is_time) return {token + "-ns", fmt::format("nanoseconds of {} time", event)};
  return {token + "-count", fmt::format("{} events counted", event)};
}

}  // namespace

std::string file_safe_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (out.size() >= 80) break;
    bool keep = std::isalnum(c) != 0 || c == '-' || c == '_' || (c == '.' && !out.empty());
    out += keep ? static_cast<char>(c) : '_';
  }
  return out.empty() ? std::string("unnamed") : out;
}

std::string folded_frame(std::string_view label) {
  std::string out;
  out.reserve(label.size());
  for (char c : label) {
    if (c == ';') {
      out += ':';
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? std::string("[unknown]") : out;
}

FoldedStacks folded_stacks(const ViewModel& model, const ExportContext& context) {
  FoldedStacks result;
  // weights[kind][scope][stack] (stack kNone: a sample without frames).
  std::array<std::map<uint32_t, std::unordered_map<uint32_t, int64_t>>, kSampleKinds> weights;
  std::array<bool, kSampleKinds> present{};
  present[0] = true;  // the whole-capture file of the main event, even when empty
  std::vector<uint32_t> names_seen;
  for (const Sample& sample : model.samples) {
    auto kind = static_cast<size_t>(sample.kind);
    present[kind] = true;
    auto& scopes = weights[kind];
    scopes[kScopeAll][sample.stack] += sample.weight;
    if (sample.span == kNone) {
      scopes[kScopeOutside][sample.stack] += sample.weight;
      continue;
    }
    // A name once per sample, even when its chain holds it twice (recursion).
    names_seen.clear();
    for_each_span_of(model, sample, [&](uint32_t span) {
      uint32_t name = model.spans[span].name;
      if (std::find(names_seen.begin(), names_seen.end(), name) != names_seen.end()) return;
      names_seen.push_back(name);
      scopes[kFirstSpanScope + name][sample.stack] += sample.weight;
    });
  }

  // File-safe span names, unique even on a case-insensitive file system.
  std::vector<std::string> safe_names(model.names.size());
  std::set<std::string> taken;
  for (uint32_t i = 0; i < model.names.size(); ++i) {
    std::string base = "span-" + file_safe_name(model.names[i]);
    std::string name = base;
    for (int n = 2; !taken.insert(lowercase(name)).second; ++n) name = fmt::format("{}-{}", base, n);
    safe_names[i] = name;
  }
  std::vector<std::string> labels(model.frames.size());
  for (size_t i = 0; i < model.frames.size(); ++i) labels[i] = folded_frame(frame_label(model.frames[i]));

  std::string listing;
  for (size_t k = 0; k < kSampleKinds; ++k) {
    if (!present[k]) continue;
    Measure measure = measure_of(model, static_cast<SampleKind>(k));
    auto write_scope = [&](uint32_t scope, const std::string& scope_name, const std::string& what) {
      std::vector<std::string> lines;
      int64_t total = 0;
      auto found = weights[k].find(scope);
      if (found != weights[k].end()) {
        for (const auto& [stack, weight] : found->second) {
          if (weight <= 0) continue;
          std::string line;
          if (stack == kNone) {
            line = "[no stack]";
          } else {
            for (uint32_t frame : stack_frames(model, stack)) {
              if (!line.empty()) line += ';';
              line += labels[frame];
            }
          }
          line += fmt::format(" {}\n", weight);
          lines.push_back(std::move(line));
          total += weight;
        }
      }
      std::sort(lines.begin(), lines.end());
      ExportedFile file{fmt::format("{}.{}.folded", scope_name, measure.token), {}};
      for (const std::string& line : lines) file.text += line;
      file.text = valid_utf8(std::move(file.text));
      listing += fmt::format("{}\t{}; {} stacks, total {} ({})\n", file.name, what, lines.size(), total,
                             measure.words);
      result.files.push_back(std::move(file));
    };
    write_scope(kScopeAll, "all", "every sample");
    if (!model.spans.empty()) write_scope(kScopeOutside, "outside-spans", "samples in no span");
    for (uint32_t name = 0; name < model.names.size(); ++name) {
      if (weights[k].contains(kFirstSpanScope + name)) {
        write_scope(kFirstSpanScope + name, safe_names[name],
                    fmt::format("samples in a span named \"{}\"", folded_frame(model.names[name])));
      }
    }
  }

  std::vector<std::string>& notes = result.notes;
  if (model.samples.empty()) notes.push_back("the capture has no samples: the folded files are empty");
  if (!model.spans_joined) {
    notes.push_back("no span files were joined: only the whole-capture file is written");
  } else if (model.spans.empty()) {
    notes.push_back("the span files hold no spans: only the whole-capture file is written");
  }
  size_t names_without_samples = 0;
  for (uint32_t name = 0; name < model.names.size(); ++name) {
    bool any = false;
    for (size_t k = 0; k < kSampleKinds; ++k) any = any || weights[k].contains(kFirstSpanScope + name);
    names_without_samples += any ? 0 : 1;
  }
  if (names_without_samples > 0) {
    notes.push_back(fmt::format("{} span names have no samples: no file for them", names_without_samples));
  }

  ExportedFile readme{std::string(kFoldedReadme), {}};
  readme.text = fmt::format("{}: one \"root;caller;leaf weight\" line per distinct stack\n", kFoldedReadmeTitle);
  if (!context.title.empty()) readme.text += fmt::format("command: {}\n", context.title);
  // firefox-devtools/profiler src/profile-logic/import/flame-graph.ts adds
  // one sample per unit of a line's weight: nanosecond weights would make
  // billions.
  readme.text +=
      "read by: flamegraph.pl, inferno-flamegraph, speedscope (weights are the units below, not "
      "sample counts: the Firefox Profiler's folded importer adds one sample per unit, so use "
      "`spanprof export --format firefox` there)\n";
  readme.text += "\nfiles:\n" + listing + "\n";
  if (!notes.empty()) {
    readme.text += "notes:\n";
    for (const std::string& note : notes) readme.text += "- " + note + "\n";
  }
  readme.text = valid_utf8(std::move(readme.text));
  result.files.push_back(std::move(readme));
  return result;
}

}  // namespace spanprof::view
