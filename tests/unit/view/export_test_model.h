// Hand-built ViewModels for the export tests: two threads of one process,
// spans that nest, overlap their parent's end, lack a thread or share a
// file-safe name, frames with ';' and a line break in their names, an
// unsymbolized address, main-event samples and off-CPU pieces.
#pragma once

#include <cstdint>
#include <string>

#include "view/view_model.h"

namespace spanprof::view::test {

inline constexpr int64_t kStartNs = 1'700'000'000'000'000'000;
inline constexpr int64_t kMs = 1'000'000;

// Frames: 0 main, 1 work, 2 "odd;name\nline", 3 an address in libx.so.
// Stacks: 0 main, 1 main>work, 2 main>work>odd, 3 main>0x1234.
// Threads: 0 "app" (100/100), 1 "worker" (100/101).
// Spans: 0 "GET /users" on app [0, 10] ms; 1 "db query" child of 0 on app
// [2, 12] ms (ends after its parent); 2 "a/b" with no thread; 3 "a?b" on
// worker [20, 30] ms; 4 "db query" child of 1 on app [3, 4] ms (a name twice
// in one chain).
inline ViewModel sample_model() {
  ViewModel model;
  model.event = {"cpu-clock", "cpu/nanoseconds", 1'000'000};
  model.event_is_time = true;
  model.has_off_cpu = true;
  model.start_ns = kStartNs;
  model.duration_ns = 40 * kMs;
  model.spans_joined = true;
  model.frames = {{"main", "main.cc", 10, "/app"},
                  {"work", "work.cc", 20, "/app"},
                  {"odd;name\nline", "", 0, "/app"},
                  {"0x1234", "", 0, "/lib/libx.so"}};
  model.stacks = {{kNone, 0}, {0, 1}, {1, 2}, {0, 3}};
  model.threads = {{100, 100, "app"}, {100, 101, "worker"}};
  model.names = {"GET /users", "db query", "a/b", "a?b"};
  model.services = {"shop"};
  auto span = [](uint32_t name, uint32_t parent, uint32_t thread, int64_t start_ms, int64_t end_ms,
                 uint64_t id) {
    Span out;
    out.name = name;
    out.parent = parent;
    out.thread = thread;
    out.start_ns = kStartNs + start_ms * kMs;
    out.end_ns = kStartNs + end_ms * kMs;
    out.span_id = id;
    out.trace_id[15] = 7;
    return out;
  };
  model.spans = {span(0, kNone, 0, 0, 10, 0x10), span(1, 0, 0, 2, 12, 0x11), span(2, kNone, kNone, 5, 6, 0x12),
                 span(3, kNone, 1, 20, 30, 0x13), span(1, 1, 0, 3, 4, 0x14)};
  auto sample = [](int64_t at_ms, uint32_t stack, uint32_t thread, uint32_t span, uint32_t top,
                   SampleKind kind, int64_t weight) {
    Sample out;
    out.time_ns = kStartNs + at_ms * kMs;
    out.weight = weight;
    out.stack = stack;
    out.thread = thread;
    out.span = span;
    out.span_top = top;
    out.kind = kind;
    return out;
  };
  // Out of time order on purpose for app: exports sort per thread.
  model.samples = {sample(5, 1, 0, 1, 0, SampleKind::kEvent, 1'000'000),
                   sample(1, 0, 0, 0, 0, SampleKind::kEvent, 1'000'000),
                   sample(3, 2, 0, 4, 0, SampleKind::kEvent, 1'000'000),
                   sample(15, 3, 0, kNone, kNone, SampleKind::kEvent, 1'000'000),
                   sample(16, kNone, 0, kNone, kNone, SampleKind::kEvent, 1'000'000),
                   sample(21, 1, 1, 3, 3, SampleKind::kEvent, 1'000'000),
                   sample(22, 2, 1, 3, 3, SampleKind::kSleeping, 5'000'000),
                   sample(28, kNone, 1, kNone, kNone, SampleKind::kBlockedIo, 2'500'000)};
  return model;
}

// The same capture without span files.
inline ViewModel model_without_spans() {
  ViewModel model = sample_model();
  model.spans_joined = false;
  model.spans.clear();
  model.names.clear();
  model.services.clear();
  for (Sample& sample : model.samples) sample.span = sample.span_top = kNone;
  return model;
}

// Samples without times (no clock data).
inline ViewModel model_without_clock() {
  ViewModel model = model_without_spans();
  model.start_ns.reset();
  for (Sample& sample : model.samples) sample.time_ns.reset();
  return model;
}

// No samples, no threads: a join of a capture that recorded nothing.
inline ViewModel empty_model() {
  ViewModel model;
  model.event = {"cpu-clock", "cpu/nanoseconds", 1'000'000};
  model.event_is_time = true;
  return model;
}

// One sample with a stack `depth` frames deep (a recursion).
inline ViewModel deep_model(uint32_t depth) {
  ViewModel model = empty_model();
  model.start_ns = kStartNs;
  model.frames = {{"recurse", "r.cc", 1, "/app"}};
  for (uint32_t i = 0; i < depth; ++i) model.stacks.push_back({i == 0 ? kNone : i - 1, 0});
  model.threads = {{7, 7, "deep"}};
  Sample sample;
  sample.time_ns = kStartNs;
  sample.weight = 1'000'000;
  sample.stack = depth - 1;
  model.samples = {sample};
  return model;
}

}  // namespace spanprof::view::test
