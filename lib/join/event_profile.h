// One sampling event's profile: which events of a capture get one, which of
// them is the main profile, and the builder, stack resolver and hot-function
// table each one fills.
//
// Takes: the capture's event attrs (and --event NAME). Gives: the plan (main
// event, the others, the sched_switch event an off-CPU join uses) and, per
// profiled event, an EventProfile that turns samples into location ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binaries/binary_table.h"
#include "common/result.h"
#include "join/join.h"
#include "perfdata/capture_info.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "stacks/hot_functions.h"
#include "stacks/stack_resolver.h"
#include "symbolize/symbolizer.h"

namespace spanprof::join {

// The event's unit and period as the profile states them.
EventSummary describe_event(const perfdata::EventAttr& attr);

// sched:sched_switch, known by its TRACING_DATA format (id = attr.config) or
// its recorded name.
bool is_sched_switch(const perfdata::CaptureInfo& info, const perfdata::EventAttr& attr);

struct EventPlan {
  size_t primary = 0;  // attr index of the main profile's event
  // attr index of the sched_switch event whose samples give off-CPU stacks
  // and states; set when the capture also has switch records (an attr with
  // context_switch), the two halves of `spanprof run --off-cpu`.
  std::optional<size_t> off_cpu;
  bool switch_records = false;  // some attr has context_switch
};

// The main event: --event NAME (the name as perf gives it, with or without
// its :modifiers), else the first event in the capture's order that is not
// perf's dummy tracking event nor the off-CPU sched_switch. Fails, listing the
// capture's events, when NAME matches none.
Result<EventPlan> plan_events(const perfdata::CaptureInfo& info, const std::string& event_name);

// The name without perf's :modifiers and /terms/ ("cpu-clock/freq=999/:u" ->
// "cpu-clock"): what --event matches and profile-EVENT.pb.gz is named after.
std::string event_base_name(const std::string& name);

// perf's dummy software event (PERF_COUNT_SW_DUMMY): tracking records only.
bool is_dummy_event(const perfdata::EventAttr& attr);

class EventProfile {
 public:
  EventProfile(size_t attr_index, const perfdata::EventAttr& attr,
               const process::ProcessTable& processes, binaries::BinaryTable& binaries,
               symbolize::Symbolizer& symbolizer, bool include_kernel);

  // The sample's stack as this profile's location ids (leaf first, into out);
  // counts the sample and feeds the hot-function table.
  void resolve(const perfdata::Sample& sample, std::vector<uint64_t>& out);

  size_t attr_index() const { return attr_index_; }
  const EventSummary& summary() const { return summary_; }
  profile::ProfileBuilder& builder() { return *builder_; }
  const profile::ProfileBuilder& builder() const { return *builder_; }
  stacks::StackStats stack_stats() const { return stacks_->stats(); }
  std::vector<stacks::HotFunction> hottest(size_t n) const { return hot_.top(n); }
  uint64_t samples() const { return samples_; }
  int64_t total_weight() const { return total_weight_; }

 private:
  size_t attr_index_;
  EventSummary summary_;
  std::unique_ptr<profile::ProfileBuilder> builder_;
  std::unique_ptr<stacks::StackResolver> stacks_;
  stacks::HotFunctions hot_;
  uint64_t samples_ = 0;
  int64_t total_weight_ = 0;
};

}  // namespace spanprof::join
