#include "view/view_model.h"

#include <algorithm>

#include <fmt/format.h>

namespace spanprof::view {
namespace {

uint64_t pair_key(uint32_t parent, uint64_t low) {
  return (static_cast<uint64_t>(parent + 1U) << 32) | (low & 0xffffffffULL);
}

SampleKind kind_of_state(std::string_view state) {
  if (state == "sleeping") return SampleKind::kSleeping;
  if (state == "blocked_io") return SampleKind::kBlockedIo;
  if (state == "runnable") return SampleKind::kRunnable;
  return SampleKind::kUnknownState;
}

std::string_view label_text(std::span<const profile::Label> labels, std::string_view key) {
  for (const profile::Label& label : labels) {
    if (label.key == key) return label.str;
  }
  return {};
}

}  // namespace

const char* sample_kind_name(SampleKind kind) {
  switch (kind) {
    case SampleKind::kEvent: return "event";
    case SampleKind::kSleeping: return "sleeping";
    case SampleKind::kBlockedIo: return "blocked_io";
    case SampleKind::kRunnable: return "runnable";
    case SampleKind::kUnknownState: return "unknown";
  }
  return "unknown";
}

std::vector<uint32_t> stack_frames(const ViewModel& model, uint32_t stack) {
  std::vector<uint32_t> frames;
  for (uint32_t node = stack; node != kNone; node = model.stacks[node].parent) {
    frames.push_back(model.stacks[node].frame);
  }
  std::reverse(frames.begin(), frames.end());
  return frames;
}

ViewCollector::ViewCollector() : event_sink_(*this, false), off_cpu_sink_(*this, true) {}

uint32_t ViewCollector::thread_index(uint32_t pid, uint32_t tid, std::string_view name) {
  uint64_t key = (static_cast<uint64_t>(pid) << 32) | tid;
  auto [it, inserted] = thread_ids_.try_emplace(key, static_cast<uint32_t>(model_.threads.size()));
  if (inserted) {
    model_.threads.push_back(Thread{pid, tid, std::string(name)});
  } else if (model_.threads[it->second].name.empty() && !name.empty()) {
    model_.threads[it->second].name = std::string(name);
  }
  return it->second;
}

uint32_t ViewCollector::intern_frame(Frame frame) {
  std::string key = fmt::format("{}\x1f{}\x1f{}", frame.function, frame.file, frame.module);
  auto [it, inserted] = frame_ids_.try_emplace(std::move(key), static_cast<uint32_t>(model_.frames.size()));
  if (inserted) {
    model_.frames.push_back(std::move(frame));
  } else {
    Frame& known = model_.frames[it->second];
    if (frame.line > 0 && (known.line == 0 || frame.line < known.line)) known.line = frame.line;
  }
  return it->second;
}

uint32_t ViewCollector::intern_stack(uint32_t parent, uint32_t frame) {
  auto [it, inserted] =
      stack_ids_.try_emplace(pair_key(parent, frame), static_cast<uint32_t>(model_.stacks.size()));
  if (inserted) model_.stacks.push_back(StackNode{parent, frame});
  return it->second;
}

void ViewCollector::Sink::on_sample(const join::SampleEvent& event) {
  ViewModel& model = owner_.model_;
  Sample sample;
  sample.time_ns = event.unix_ns;
  sample.weight = event.period;
  sample.count = static_cast<uint8_t>(std::min<uint32_t>(event.count, 1));
  sample.span = event.span;
  sample.thread = owner_.thread_index(event.pid, event.tid, label_text(event.labels, "thread_name"));
  if (off_cpu_) sample.kind = kind_of_state(label_text(event.labels, "thread_state"));
  // The stack, root first, as a node of this sink's location tree.
  uint32_t node = kNone;
  for (auto it = event.location_ids.rbegin(); it != event.location_ids.rend(); ++it) {
    auto [found, inserted] =
        node_ids_.try_emplace(pair_key(node, *it), static_cast<uint32_t>(nodes_.size()));
    if (inserted) nodes_.push_back(LocationNode{node, *it});
    node = found->second;
  }
  sample.stack = node;
  samples_.push_back(static_cast<uint32_t>(model.samples.size()));
  model.samples.push_back(sample);
}

void ViewCollector::Sink::on_spans(const attribute::SpanAttribution& attribution) {
  ViewModel& model = owner_.model_;
  const spans::SpanSet& set = attribution.spans();
  const attribute::SpanTree& tree = attribution.tree();
  if (!owner_.spans_copied_) {
    owner_.spans_copied_ = true;
    model.spans_joined = true;
    model.names = set.names;
    model.services.reserve(set.resources.size());
    for (const spans::Resource& resource : set.resources) model.services.push_back(resource.service_name);
    // Spans the tree dropped (a repeated id: an exporter's retry) are left
    // out, as the summary leaves them out; the others are renumbered.
    std::vector<uint32_t>& index = owner_.span_index_;
    index.assign(set.spans.size(), kNone);
    for (uint32_t i = 0; i < set.spans.size(); ++i) {
      if (tree.is_dropped(i)) continue;
      index[i] = static_cast<uint32_t>(model.spans.size());
      owner_.set_of_.push_back(i);
      model.spans.emplace_back();
    }
    for (uint32_t i = 0; i < set.spans.size(); ++i) {
      if (index[i] == kNone) continue;
      const spans::Span& in = set.spans[i];
      Span& out = model.spans[index[i]];
      out.name = in.name_index;
      out.service = in.resource_index;
      out.parent = tree.parent(i) == kNone ? kNone : index[tree.parent(i)];
      out.start_ns = in.start_unix_ns;
      out.end_ns = in.end_unix_ns;
      out.span_id = in.span_id;
      out.trace_id = in.trace_id;
      if (in.os_tid) {
        // A span without process.pid is placed by its tid alone, as the join places it.
        const std::optional<uint32_t>& pid = set.resources[in.resource_index].pid;
        if (pid) {
          auto it = owner_.thread_ids_.find((static_cast<uint64_t>(*pid) << 32) | *in.os_tid);
          if (it != owner_.thread_ids_.end()) out.thread = it->second;
        } else {
          for (uint32_t t = 0; t < model.threads.size() && out.thread == kNone; ++t) {
            if (model.threads[t].tid == *in.os_tid) out.thread = t;
          }
        }
      }
    }
  }
  const std::vector<uint32_t>& index = owner_.span_index_;
  for (uint32_t sample_index : samples_) {
    Sample& sample = model.samples[sample_index];
    sample.span = sample.span < index.size() ? index[sample.span] : kNone;
    if (sample.span == kNone) continue;
    // In every span up to the local root, whatever thread it is on: the
    // chain summary.json's spans.by_name totals and the profile's span_id
    // (root scope) follow.
    const Thread& thread = model.threads[sample.thread];
    uint32_t top = sample.span;
    for (uint32_t span = sample.span; span != kNone; span = model.spans[span].parent) {
      top = span;
      // A span no thread id placed (activation records, thread.id) is on the
      // thread whose samples it holds on that thread.
      Span& placed = model.spans[span];
      if (placed.thread == kNone && attribution.on_thread(owner_.set_of_[span], thread.pid, thread.tid)) {
        placed.thread = sample.thread;
      }
    }
    sample.span_top = top;
  }
}

void ViewCollector::Sink::on_profile(const profile::ProfileBuilder& builder) {
  ViewModel& model = owner_.model_;
  // Location nodes were created parents first, so one pass maps them all.
  std::vector<uint32_t> frame_node(nodes_.size(), kNone);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    uint32_t parent = nodes_[i].parent == kNone ? kNone : frame_node[nodes_[i].parent];
    profile::LocationInfo info = builder.location(nodes_[i].location);
    if (info.lines.empty()) {
      Frame frame;
      frame.function = fmt::format("0x{:x}", info.address);
      frame.module = std::string(info.mapping);
      parent = owner_.intern_stack(parent, owner_.intern_frame(std::move(frame)));
    } else {
      for (auto line = info.lines.rbegin(); line != info.lines.rend(); ++line) {
        Frame frame{std::string(line->function), std::string(line->file), line->line,
                    std::string(info.mapping)};
        parent = owner_.intern_stack(parent, owner_.intern_frame(std::move(frame)));
      }
    }
    frame_node[i] = parent;
  }
  for (uint32_t index : samples_) {
    Sample& sample = model.samples[index];
    sample.stack = sample.stack == kNone ? kNone : frame_node[sample.stack];
  }
  nodes_ = {};
  node_ids_ = {};
  samples_ = {};
}

ViewModel ViewCollector::take(const join::JoinReport& report) {
  model_.event = report.event;
  model_.event_is_time = report.event.sample_unit == "cpu/nanoseconds";
  model_.has_off_cpu = report.off_cpu.has_value();
  model_.start_ns = report.start_unix_ns;
  model_.duration_ns = report.duration_ns;
  return std::move(model_);
}

}  // namespace spanprof::view
