// The data a report or an export shows (issue #14): one join's samples with
// their times, threads and innermost spans, their stacks as a tree of frames,
// and the spans, gathered while the join runs. Symbolized once, by the join.
//
// Takes: the join's sample sinks (ViewCollector is handed to join::run_join as
// its sample, off-CPU and wall sinks). Gives: a ViewModel that the HTML report
// (page_data, html_report) and the exports (firefox, chrome, folded) read.
//
// Span membership: a sample is in its innermost span and in all that span's
// parents up to the local root, on any thread: the rule of summary.json's
// spans.by_name totals and of the profile's span_id label (root scope).
// Sample::span and Sample::span_top bound that chain. Spans the span tree
// dropped (repeated ids) are not in the model.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "join/join.h"

namespace spanprof::view {

inline constexpr uint32_t kNone = UINT32_MAX;

// What a sample measures: the main event (its period, in the event's unit), or
// an off-CPU piece in one thread state (nanoseconds).
enum class SampleKind : uint8_t { kEvent = 0, kSleeping, kBlockedIo, kRunnable, kUnknownState };
inline constexpr size_t kSampleKinds = 5;
// "event", "sleeping", "blocked_io", "runnable", "unknown".
const char* sample_kind_name(SampleKind kind);

// A function, with its inlined callees as frames of their own.
struct Frame {
  std::string function;  // "0x1234" (address) when unsymbolized
  std::string file;      // source file; "" when unknown
  int64_t line = 0;      // the first line seen of it; 0 when unknown
  std::string module;    // the mapping's file; "" when none (kernel: "[kernel.kallsyms]")
};

// The stacks as a prefix tree, root first: a stack is its leaf node.
struct StackNode {
  uint32_t parent = kNone;  // kNone for a root frame
  uint32_t frame = 0;
};

struct Thread {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string name;
};

// A span of the joined span files (all of them, sampled or not).
struct Span {
  uint32_t name = 0;        // into ViewModel::names
  uint32_t service = 0;     // into ViewModel::services
  uint32_t parent = kNone;  // the span tree's parent (same process)
  // Its thread: by its thread id, else the first sampled thread the join
  // placed it on (activation records); kNone when unknown.
  uint32_t thread = kNone;
  int64_t start_ns = 0;     // Unix ns
  int64_t end_ns = 0;
  uint64_t span_id = 0;
  spans::TraceId trace_id{};
};

struct Sample {
  std::optional<int64_t> time_ns;  // Unix ns; absent when the capture has no clock data
  int64_t weight = 0;              // event unit (kEvent) or nanoseconds (off-CPU)
  uint32_t stack = kNone;          // leaf StackNode; kNone for an empty stack
  uint32_t thread = 0;
  uint32_t span = kNone;      // innermost span; kNone outside spans
  uint32_t span_top = kNone;  // the local root above `span` (the chain's last span)
  SampleKind kind = SampleKind::kEvent;
  uint8_t count = 1;  // perf samples (switches) it stands for: 1, or 0 for an interval's later pieces
};

struct ViewModel {
  join::EventSummary event;   // the main event: name, unit, period
  bool event_is_time = false;  // the main event's weight is nanoseconds (cpu-clock, task-clock)
  bool has_off_cpu = false;
  std::optional<int64_t> start_ns;  // Unix ns of the capture's first sample
  int64_t duration_ns = 0;
  std::vector<Frame> frames;
  std::vector<StackNode> stacks;
  std::vector<Thread> threads;
  std::vector<std::string> names;     // span names
  std::vector<std::string> services;  // service.name of the spans' resources
  std::vector<Span> spans;
  std::vector<Sample> samples;  // in the order the join gave them (time order per kind)
  bool spans_joined = false;    // span files were joined (spans may still be empty)
};

// Calls fn(span) for the spans sample is in, innermost first.
template <class Fn>
void for_each_span_of(const ViewModel& model, const Sample& sample, Fn fn) {
  if (sample.span == kNone) return;
  for (uint32_t span = sample.span; span != kNone; span = model.spans[span].parent) {
    fn(span);
    if (span == sample.span_top) break;
  }
}

// Frames of a stack, root first.
std::vector<uint32_t> stack_frames(const ViewModel& model, uint32_t stack);

// Gathers a ViewModel from one join: pass sample_sink(), off_cpu_sink() to
// JoinOptions, run the join, then take().
class ViewCollector {
 public:
  ViewCollector();
  ViewCollector(const ViewCollector&) = delete;
  ViewCollector& operator=(const ViewCollector&) = delete;

  join::SampleSink* sample_sink() { return &event_sink_; }
  join::SampleSink* off_cpu_sink() { return &off_cpu_sink_; }

  // After run_join: the model, with the join's event and times.
  ViewModel take(const join::JoinReport& report);

 private:
  class Sink : public join::SampleSink {
   public:
    Sink(ViewCollector& owner, bool off_cpu) : owner_(owner), off_cpu_(off_cpu) {}
    void on_sample(const join::SampleEvent& sample) override;
    void on_spans(const attribute::SpanAttribution& attribution) override;
    void on_profile(const profile::ProfileBuilder& builder) override;

   private:
    ViewCollector& owner_;
    bool off_cpu_;
    // Until on_profile, a sample's stack is a node of this tree of the
    // builder's location ids (root first); on_profile maps it to frames.
    struct LocationNode {
      uint32_t parent;
      uint64_t location;
    };
    std::vector<LocationNode> nodes_;
    std::unordered_map<uint64_t, uint32_t> node_ids_;  // (parent + 1) << 32 | location -> node
    std::vector<uint32_t> samples_;  // indices into the model's samples, of this sink
  };
  friend class Sink;

  uint32_t thread_index(uint32_t pid, uint32_t tid, std::string_view name);
  uint32_t intern_frame(Frame frame);
  uint32_t intern_stack(uint32_t parent, uint32_t frame);

  ViewModel model_;
  Sink event_sink_;
  Sink off_cpu_sink_;
  std::unordered_map<uint64_t, uint32_t> thread_ids_;  // pid << 32 | tid -> index
  std::unordered_map<std::string, uint32_t> frame_ids_;
  std::unordered_map<uint64_t, uint32_t> stack_ids_;  // parent << 32 | frame -> node
  bool spans_copied_ = false;
  std::vector<uint32_t> span_index_;  // the span set's index -> the model's (kNone: dropped)
  std::vector<uint32_t> set_of_;      // the model's span index -> the span set's
};

}  // namespace spanprof::view
