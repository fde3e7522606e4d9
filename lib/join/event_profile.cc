#include "join/event_profile.h"

#include <algorithm>

#include <fmt/format.h>

#include "perfdata/event_attr.h"

namespace spanprof::join {

namespace {

constexpr uint32_t kTypeSoftware = 1;    // PERF_TYPE_SOFTWARE
constexpr uint32_t kTypeTracepoint = 2;  // PERF_TYPE_TRACEPOINT
constexpr uint64_t kSoftwareDummy = 9;   // PERF_COUNT_SW_DUMMY

// "cpu-clock:ppp" -> "cpu-clock"; "sched:sched_switch" stays (its colon is
// the system's, not a modifier: modifiers are letters from perf's set only).
std::string without_modifiers(const std::string& name) {
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || colon + 1 == name.size()) return name;
  std::string_view tail(name.data() + colon + 1, name.size() - colon - 1);
  bool modifiers = std::all_of(tail.begin(), tail.end(), [](char c) {
    return std::string_view("ukhpPGHSDIWe").find(c) != std::string_view::npos;
  });
  return modifiers ? name.substr(0, colon) : name;
}

// "cpu-clock/freq=999/" -> "cpu-clock": the event terms perf keeps in the
// recorded name are no part of what a user calls the event.
std::string without_terms(const std::string& name) {
  size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || !name.ends_with('/')) return name;
  return name.substr(0, slash);
}

}  // namespace

std::string event_base_name(const std::string& name) {
  return without_terms(without_modifiers(name));
}

EventSummary describe_event(const perfdata::EventAttr& attr) {
  EventSummary event;
  event.name = perfdata::event_name(attr);
  event.sample_unit = attr.is_cpu_clock() ? "cpu/nanoseconds" : "events/count";
  if (attr.freq()) {
    uint64_t freq = std::max<uint64_t>(attr.sample_period_or_freq, 1);
    event.period = attr.is_cpu_clock() ? 1'000'000'000ull / freq : 1;
  } else {
    event.period = attr.sample_period_or_freq;
  }
  return event;
}

bool is_dummy_event(const perfdata::EventAttr& attr) {
  return attr.type == kTypeSoftware && attr.config == kSoftwareDummy;
}

bool is_sched_switch(const perfdata::CaptureInfo& info, const perfdata::EventAttr& attr) {
  if (attr.type != kTypeTracepoint) return false;
  for (const perfdata::TracepointFormat& format : info.tracepoints) {
    if (format.id == attr.config) return format.system == "sched" && format.name == "sched_switch";
  }
  return without_modifiers(perfdata::event_name(attr)) == "sched:sched_switch";
}

Result<EventPlan> plan_events(const perfdata::CaptureInfo& info, const std::string& event_name) {
  EventPlan plan;
  for (size_t i = 0; i < info.attrs.size(); ++i) {
    if (info.attrs[i].context_switch()) plan.switch_records = true;
  }
  if (plan.switch_records) {
    for (size_t i = 0; i < info.attrs.size(); ++i) {
      if (is_sched_switch(info, info.attrs[i])) {
        plan.off_cpu = i;
        break;
      }
    }
  }
  if (!event_name.empty()) {
    std::string wanted = without_modifiers(event_name);
    std::vector<std::string> names;
    for (size_t i = 0; i < info.attrs.size(); ++i) {
      const perfdata::EventAttr& attr = info.attrs[i];
      if (is_dummy_event(attr)) continue;
      std::string name = perfdata::event_name(attr);
      if (name == event_name || without_modifiers(name) == wanted ||
          event_base_name(name) == wanted) {
        plan.primary = i;
        return plan;
      }
      names.push_back(name);
    }
    return make_error(fmt::format("--event {}: the capture holds no such event", event_name),
                      "perf.data",
                      names.empty() ? std::string("it holds no sampling event")
                                    : fmt::format("its events: {}", fmt::join(names, ", ")));
  }
  std::optional<size_t> fallback;
  for (size_t i = 0; i < info.attrs.size(); ++i) {
    if (is_dummy_event(info.attrs[i])) continue;
    if (plan.off_cpu && *plan.off_cpu == i) {
      if (!fallback) fallback = i;
      continue;
    }
    plan.primary = i;
    return plan;
  }
  plan.primary = fallback.value_or(0);
  return plan;
}

EventProfile::EventProfile(size_t attr_index, const perfdata::EventAttr& attr,
                           const process::ProcessTable& processes,
                           binaries::BinaryTable& binaries, symbolize::Symbolizer& symbolizer,
                           bool include_kernel)
    : attr_index_(attr_index), summary_(describe_event(attr)) {
  std::vector<profile::ValueType> types{{"samples", "count"}};
  profile::ValueType period_type = attr.is_cpu_clock() ? profile::ValueType{"cpu", "nanoseconds"}
                                                       : profile::ValueType{"events", "count"};
  types.push_back(period_type);
  builder_ = std::make_unique<profile::ProfileBuilder>(std::move(types), period_type,
                                                       static_cast<int64_t>(summary_.period));
  builder_->add_comment(fmt::format("spanprof: event {}", summary_.name));
  stacks_ = std::make_unique<stacks::StackResolver>(processes, binaries, symbolizer, *builder_,
                                                    include_kernel);
}

void EventProfile::resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out) {
  stacks_->resolve(sample, out);
  for (const stacks::NewLocation& added : stacks_->new_locations()) {
    hot_.add_location(added.id, *added.frames, added.address);
  }
  int64_t period = static_cast<int64_t>(sample.period);
  hot_.add_stack(out, period);
  total_weight_ += period;
  ++samples_;
}

}  // namespace spanprof::join
