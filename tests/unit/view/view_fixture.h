// A small join fed to a ViewCollector by hand: a span set with a parent, a
// child on the same thread and a child on another thread; a profile with an
// inlined frame and an unsymbolized one; CPU samples and one off-CPU piece.
#pragma once

#include <memory>
#include <vector>

#include "../attribute/span_set_builder.h"
#include "attribute/span_attribution.h"
#include "profile/profile_builder.h"
#include "view/view_model.h"

namespace spanprof::view {

struct ViewFixture {
  bool with_spans = true;

  static spans::SpanSet span_set() {
    attribute::fixtures::SpanSetBuilder spans;
    spans.add(0x1111, 0, 0, 1000, 7, "GET /x");
    spans.add(0x2222, 0x1111, 100, 500, 7, "work");
    spans.add(0x3333, 0, 1700, 1800, 7, "idle");
    spans.add(0x4444, 0x1111, 250, 400, 8, "remote");
    return std::move(spans.set());
  }

  ViewModel collect() {
    profile::ProfileBuilder cpu({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"}, 10);
    profile::ProfileBuilder off({{"switches", "count"}, {"off_cpu", "nanoseconds"}}, {"off_cpu", "nanoseconds"}, 1);
    uint64_t mapping = cpu.add_mapping({0, 0x1000, 0, "/bin/app", "", true, true, true, true});
    uint64_t main_loc = cpu.add_location(0, 0x10, {{"main", "main", "main.cc", 5, 1}});
    uint64_t f_loc = cpu.add_location(
        0, 0x20, {{"inlined_leaf", "inlined_leaf", "f.h", 3, 1}, {"f", "f", "f.cc", 10, 9}});
    uint64_t unsym = cpu.add_location(mapping, 0x30, {});
    uint64_t off_main = off.add_location(0, 0x10, {{"main", "main", "main.cc", 5, 1}});
    uint64_t off_wait = off.add_location(0, 0x40, {{"wait", "wait", "w.cc", 2, 1}});

    std::unique_ptr<attribute::SpanAttribution> attribution;
    if (with_spans) {
      attribution = std::make_unique<attribute::SpanAttribution>(span_set(), attribute::SpanScope::kRoot);
    }
    ViewCollector collector;
    auto emit = [&](join::SampleSink* sink, int64_t t, uint32_t tid, const char* thread,
                    std::vector<uint64_t> stack, int64_t weight, const char* state) {
      std::vector<profile::Label> labels{{"pid", "", 100, ""}, {"tid", "", tid, ""},
                                         {"thread_name", thread, 0, ""}};
      uint32_t span = attribute::kNoSpan;
      if (attribution) {
        if (state == nullptr) {
          span = attribution->label(100, tid, t, weight, labels);
        } else {
          span = attribution->match_at(100, tid, t).innermost;
        }
      }
      if (state != nullptr) labels.push_back({"thread_state", state, 0, ""});
      join::SampleEvent event{t, weight, stack, labels, 1, 100, tid, span};
      sink->on_sample(event);
    };
    emit(collector.sample_sink(), 200, 7, "app", {f_loc, main_loc}, 10, nullptr);
    emit(collector.sample_sink(), 600, 7, "app", {main_loc}, 10, nullptr);
    emit(collector.sample_sink(), 300, 8, "helper", {unsym, main_loc}, 10, nullptr);
    emit(collector.sample_sink(), 1500, 7, "app", {main_loc}, 10, nullptr);
    emit(collector.off_cpu_sink(), 150, 7, "app", {off_wait, off_main}, 50, "sleeping");
    if (attribution) {
      collector.sample_sink()->on_spans(*attribution);
      collector.off_cpu_sink()->on_spans(*attribution);
    }
    collector.sample_sink()->on_profile(cpu);
    collector.off_cpu_sink()->on_profile(off);
    join::JoinReport report;
    report.event = {"cpu-clock", "cpu/nanoseconds", 10};
    report.start_unix_ns = 0;
    report.duration_ns = 2000;
    report.off_cpu.emplace();
    return collector.take(report);
  }
};

}  // namespace spanprof::view
