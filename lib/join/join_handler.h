// The pipeline's record consumer: records in time order -> process table ->
// symbolized stacks -> span labels -> one profile per sampling event, and,
// for off-CPU captures, the off-CPU and wall profiles (off_cpu_join.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "attribute/clock_alignment.h"
#include "binaries/binary_table.h"
#include "attribute/span_attribution.h"
#include "join/event_profile.h"
#include "join/join.h"
#include "join/off_cpu_join.h"
#include "join/span_loader.h"
#include "perfdata/reader.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "stacks/hot_functions.h"
#include "stacks/stack_resolver.h"
#include "symbolize/symbolizer.h"

namespace spanprof::join {

class JoinHandler : public perfdata::RecordHandler {
 public:
  // span_loader: null without span files. While it still loads, samples are
  // symbolized and held back; they get their span labels once it is done.
  JoinHandler(const perfdata::Reader& reader, binaries::BinaryTable& binaries,
              symbolize::Symbolizer& symbolizer, const JoinOptions& options,
              SpanLoader* span_loader);

  void on_mmap(const perfdata::Mmap& mmap) override { processes_.on_mmap(mmap); }
  void on_comm(const perfdata::Comm& comm) override { processes_.on_comm(comm); }
  void on_fork(const perfdata::TaskEvent& fork) override;
  void on_exit(const perfdata::TaskEvent& exit) override;
  void on_sample(const perfdata::Sample& sample) override;
  void on_switch(const perfdata::Switch& record) override;
  void on_lost(const perfdata::Lost& lost) override;
  void on_lost_samples(const perfdata::Lost& lost) override;

  // After the last record: waits for the spans if needed and labels what was
  // held back. Fails when a span file could not be read or --event names no
  // event of the capture.
  Result<void> finish();

  // The main profile exists once the capture's events are known (a sample
  // or switch record arrived).
  bool has_profile() const { return primary_ != nullptr; }
  profile::ProfileBuilder& builder() { return primary_->builder(); }
  const perfdata::EventAttr& primary_attr() const { return *primary_attr_; }
  const process::ProcessTable& processes() const { return processes_; }
  stacks::StackStats stack_stats() const { return primary_->stack_stats(); }
  std::vector<stacks::HotFunction> hottest(size_t n) const { return primary_->hottest(n); }
  uint64_t samples() const { return primary_->samples(); }
  int64_t total_weight() const { return primary_->total_weight(); }
  uint64_t samples_other_events() const;
  // The other sampling events' profiles, in the capture's event order.
  std::vector<const EventProfile*> other_profiles() const;
  EventProfile* other_profile(size_t attr_index);
  // Known once the first sample or switch record came.
  const std::optional<EventPlan>& plan() const { return plan_; }
  // Null unless the capture has switch records and sched_switch samples.
  OffCpuJoin* off_cpu() { return off_cpu_.get(); }
  uint64_t threads() const { return threads_.size(); }
  // Processes with samples on a thread named "node" (Node's main thread).
  const std::set<uint32_t>& node_pids() const { return node_pids_; }
  std::optional<std::pair<uint64_t, uint64_t>> time_range() const;  // the main event's samples
  // Of every sample and switch record: the off-CPU and wall profiles' time.
  std::optional<std::pair<uint64_t, uint64_t>> record_time_range() const;
  // Sample time -> Unix time, when the capture allows it (computed once, with
  // the profiled event).
  const std::optional<attribute::ClockAlignment>& clock() const { return clock_; }
  const EventSummary& event() const { return event_; }
  const attribute::SpanAttribution* attribution() const { return attribution_.get(); }
  const spans::SpanReadStats& span_read_stats() const { return span_read_stats_; }
  const activations::ActivationStats& activation_read_stats() const { return activation_read_; }
  const std::vector<Warning>& activation_warnings() const { return activation_warnings_; }
  const std::optional<Error>& span_join_error() const { return span_join_error_; }
  const std::optional<NamespaceMappingStats>& namespace_mapping() const {
    return namespace_mapping_;
  }
  const std::vector<Warning>& span_load_warnings() const { return span_load_warnings_; }

 private:
  // A symbolized sample waiting for the spans to finish loading.
  struct HeldSample {
    EventProfile* profile;
    uint32_t pid, tid;
    uint64_t time;
    int64_t period;
    uint32_t first_location, location_count;
    std::string thread_name;
  };

  // Once the capture's events are known: the plan, the main profile, the
  // clock, the off-CPU join. False when --event names no event.
  bool ensure_plan();
  EventProfile& profile_for(size_t attr_index);
  Result<void> take_spans();
  void emit(EventProfile& profile, uint32_t pid, uint32_t tid, uint64_t time, int64_t period,
            std::string_view thread_name, std::span<const uint64_t> locations);

  static constexpr size_t kBaseLabels = 3;  // pid, tid, thread_name

  const perfdata::Reader& reader_;
  process::ProcessTable processes_;
  binaries::BinaryTable& binaries_;
  symbolize::Symbolizer& symbolizer_;
  const JoinOptions& options_;
  SpanLoader* span_loader_;
  bool spans_taken_ = false;
  std::optional<Error> span_load_error_;  // a span file failed on the loading thread
  std::vector<HeldSample> held_;
  std::vector<uint64_t> held_locations_;
  std::unique_ptr<attribute::SpanAttribution> attribution_;
  std::optional<attribute::ClockAlignment> clock_;
  spans::SpanReadStats span_read_stats_;
  activations::ActivationStats activation_read_;
  std::vector<Warning> activation_warnings_;
  std::optional<Error> span_join_error_;
  std::optional<NamespaceMappingStats> namespace_mapping_;
  std::vector<Warning> span_load_warnings_;
  std::optional<perfdata::EventAttr> primary_attr_;  // the profiled event (a copy)
  std::optional<EventPlan> plan_;
  std::optional<Error> plan_error_;
  EventSummary event_;
  // Per attr index with samples; primary_ is one of them.
  std::map<size_t, std::unique_ptr<EventProfile>> profiles_;
  EventProfile* primary_ = nullptr;
  // The cpu-clock event whose samples give the wall profile's CPU time.
  std::optional<size_t> wall_cpu_attr_;
  std::unique_ptr<OffCpuJoin> off_cpu_;
  std::vector<uint64_t> location_ids_;
  std::vector<profile::Label> labels_;
  std::unordered_set<uint32_t> threads_;
  std::set<uint32_t> node_pids_;
  uint64_t first_time_ = UINT64_MAX;
  uint64_t last_time_ = 0;
  void note_record_time(uint64_t time);
  uint64_t first_record_time_ = UINT64_MAX;
  uint64_t last_record_time_ = 0;  // of any sample or switch record: the capture's end
};

}  // namespace spanprof::join
