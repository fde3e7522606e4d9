// An activation file (docs/activations.md), loaded as `spanprof join` loads it
// (lib/activations), then turned into per-thread timelines and looked up at and
// around every record's time, on the samples' clock and on the file's own
// clock pair.
//
// Invariants checked besides the sanitizers': the parser accounts for every
// byte after the header (records kept + records of another pid + torn tail),
// and a thread's answers do not depend on the order of the lookups (a forward
// scan and a step back, which binary-searches, must agree: they can only
// disagree when a thread's transitions are not in time order).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "activations/activation_file.h"
#include "activations/activation_set.h"
#include "attribute/activation_timeline.h"
#include "attribute/span_tree.h"
#include "fuzz_input.h"

namespace {

using namespace spanprof;

[[noreturn]] void invariant_broken(const char* what) {
  std::fprintf(stderr, "activation invariant broken: %s\n", what);
  std::abort();
}

uint16_t u16_at(const uint8_t* data, size_t offset) {
  return static_cast<uint16_t>(data[offset] | (data[offset + 1] << 8));
}

void check_accounting(const uint8_t* data, size_t size) {
  auto parsed = activations::parse_activation_file(
      {reinterpret_cast<const std::byte*>(data), size}, "fuzz");
  fuzz::Sink sink;
  if (!parsed) {
    sink.add_text(parsed.error().to_string());
    return;
  }
  if (size < 40) invariant_broken("a file shorter than the header was accepted");
  size_t header_size = u16_at(data, 10), record_size = u16_at(data, 12);
  size_t body = size - header_size;
  if (parsed->records.size() + parsed->records_wrong_pid != body / record_size ||
      parsed->torn_bytes != body % record_size) {
    invariant_broken("records + wrong pid + torn tail do not add up to the body");
  }
  for (const activations::ActivationRecord& record : parsed->records) {
    if (record.pid != parsed->pid) invariant_broken("a record of another pid was kept");
    sink.add(record.time_ns);
  }
}

// Spans a fuzzer finds easily: ids 1..3 of the trace whose last byte is 1.
spans::SpanSet small_spans() {
  spans::SpanSet set;
  uint32_t resource = set.intern_resource({"svc", 1});
  for (uint64_t id = 1; id <= 3; ++id) {
    spans::Span span;
    span.trace_id[15] = 1;
    span.span_id = id;
    span.parent_span_id = id == 2 ? 1 : 0;
    span.start_unix_ns = 0;
    span.end_unix_ns = 1'000'000'000;
    span.resource_index = resource;
    span.name_index = set.intern_name("work");
    set.spans.push_back(span);
  }
  return set;
}

// t + d, held at the ends of int64_t.
int64_t saturated_add(int64_t t, int64_t d) {
  int64_t sum = 0;
  if (__builtin_add_overflow(t, d, &sum)) return d > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

// Lookup times at and around each record's, in time order.
std::vector<int64_t> probe_times(const activations::ThreadActivations& thread, int64_t delta) {
  std::vector<int64_t> times{INT64_MIN, 0, INT64_MAX};
  for (const activations::ActivationRecord& record : thread.records) {
    int64_t time = record.time_ns > INT64_MAX ? INT64_MAX : static_cast<int64_t>(record.time_ns);
    int64_t at = saturated_add(time, delta);
    for (int64_t step : {-1, 0, 1}) times.push_back(saturated_add(at, step));
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

void check_timeline(const activations::ActivationSet& set, const spans::SpanSet& spans,
                    const attribute::SpanTree& tree, std::optional<int64_t> delta) {
  attribute::ActivationTimeline timeline(set, spans, tree, delta);
  fuzz::Sink sink;
  for (const activations::ThreadActivations& thread : set.threads) {
    int64_t probe_delta = delta.value_or(thread.realtime_minus_monotonic_ns.value_or(0));
    std::vector<int64_t> times = probe_times(thread, probe_delta);
    std::vector<attribute::ActivationTimeline::Hit> forward;
    for (int64_t t : times) forward.push_back(timeline.lookup(thread.pid, thread.tid, t));
    for (size_t i = times.size(); i-- > 0;) {
      attribute::ActivationTimeline::Hit back = timeline.lookup(thread.pid, thread.tid, times[i]);
      if (back.state != forward[i].state || back.span != forward[i].span) {
        invariant_broken("a lookup's answer depends on the lookups before it");
      }
      if (back.state == attribute::ActivationTimeline::State::kSpan &&
          back.span >= spans.spans.size()) {
        invariant_broken("a span index out of range");
      }
      sink.add(back.span);
    }
  }
  sink.add(timeline.records_outside(0, 1'000'000'000, 1'000'000'000));
  sink.add(timeline.stats().records_unknown_span);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_accounting(data, size);
  fuzz::MemoryFile file({data, size});
  activations::ActivationSet set = activations::load_activations({file.path()}, {});
  static const spans::SpanSet spans = small_spans();
  static const attribute::SpanTree tree(spans);
  // Samples on CLOCK_MONOTONIC (a real Unix-minus-monotonic), then each file's own pair.
  check_timeline(set, spans, tree, int64_t{1'700'000'000'000'000'000});
  check_timeline(set, spans, tree, std::nullopt);
  return 0;
}
