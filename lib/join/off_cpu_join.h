// The off-CPU half of a join (issue #13): switch records and sched_switch
// samples in, offcpu.pb.gz and wall.pb.gz out, each piece of off-CPU time
// labelled with the span that was current on its thread.
//
// Takes, in the reader's time order: sched:sched_switch samples (stack at the
// switch-out, prev_state in their raw data), PERF_RECORD_SWITCH records,
// thread exits, lost-record notices; the cpu-clock samples of the join as the
// wall profile takes them. Gives: the off-CPU profile (switches/count,
// off_cpu/nanoseconds; label thread_state), the wall profile
// (wall/nanoseconds: CPU samples weighted by their period plus off-CPU
// intervals), their samples to the join's sinks, and the counters of what
// could not be paired (docs/off-cpu.md).
//
// An interval is split where the span current on its thread changes (a span
// starts or ends, an activation record applies), so each piece carries the
// labels a CPU sample at that instant would.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "attribute/clock_alignment.h"
#include "attribute/span_attribution.h"
#include "join/join.h"
#include "join/span_time.h"
#include "offcpu/sched_switch_format.h"
#include "offcpu/switch_pairing.h"
#include "perfdata/capture_info.h"
#include "perfdata/records.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "stacks/hot_functions.h"
#include "stacks/stack_resolver.h"

namespace spanprof::join {

// The frame of off-CPU pieces whose switch-out had no sched_switch sample
// (PairingStats: intervals_without_stack).
inline constexpr std::string_view kNoStackFrame = "[no stack: switch-out without a sched_switch sample]";

class OffCpuJoin {
 public:
  // sched_switch_attr: the capture's sched:sched_switch event. The sinks may be null.
  OffCpuJoin(const perfdata::CaptureInfo& info, const perfdata::EventAttr& sched_switch_attr,
             const process::ProcessTable& processes, binaries::BinaryTable& binaries,
             symbolize::Symbolizer& symbolizer, bool include_kernel, SampleSink* off_cpu_sink,
             SampleSink* wall_sink);
  ~OffCpuJoin();

  void on_sched_switch(const perfdata::Sample& sample);
  void on_switch(const perfdata::Switch& record);
  void on_exit(const perfdata::TaskEvent& exit);
  void on_fork(const perfdata::TaskEvent& fork);
  void on_lost(uint64_t time, uint32_t cpu);

  // The wall profile's CPU half: the builder whose location ids the CPU
  // samples carry (a cpu-clock event's), then each of its samples with its
  // labels. Without a cpu-clock event there is no wall profile.
  void use_cpu_samples_of(const profile::ProfileBuilder& builder);
  void add_cpu_sample(uint32_t pid, uint32_t tid, std::optional<int64_t> unix_ns, int64_t period_ns,
                      std::span<const uint64_t> locations, std::span<const profile::Label> labels);

  // From now on intervals are labelled (attribution null: no spans; clock
  // null: no span join). Intervals that completed before are labelled now.
  void start_labelling(attribute::SpanAttribution* attribution,
                       const attribute::ClockAlignment* clock);
  // After the last record: open intervals are cut at capture_end.
  void finish(uint64_t capture_end);

  bool has_wall() const { return wall_source_ != nullptr; }
  uint64_t sched_switch_samples() const { return sched_switch_samples_; }
  profile::ProfileBuilder& off_cpu_builder() { return *off_cpu_; }
  profile::ProfileBuilder& wall_builder() { return *wall_; }
  // Fills everything but the output paths.
  OffCpuReport report(size_t hottest_count) const;

 private:
  void on_interval(const offcpu::OffCpuInterval& interval);
  void emit(const offcpu::OffCpuInterval& interval, std::string_view thread_name);
  // One piece of an interval: start_ns its Unix start when known, first when
  // it holds the switch-out (its switch count).
  void emit_piece(const offcpu::OffCpuInterval& interval, std::string_view thread_name,
                  std::optional<int64_t> start_ns, int64_t ns, bool first,
                  const attribute::SpanMatch* match);
  uint32_t stack_id(std::span<const uint64_t> locations);
  std::string describe_stack(uint32_t id) const;

  const process::ProcessTable& processes_;
  SampleSink* off_cpu_sink_;
  SampleSink* wall_sink_;
  std::optional<offcpu::SchedSwitchFormat> format_;
  std::string format_problem_;  // why format_ is absent
  std::unique_ptr<profile::ProfileBuilder> off_cpu_;
  std::unique_ptr<profile::ProfileBuilder> wall_;
  std::unique_ptr<stacks::StackResolver> stacks_;
  std::unique_ptr<profile::LocationImporter> off_cpu_to_wall_;
  std::unique_ptr<profile::LocationImporter> cpu_to_wall_;
  const profile::ProfileBuilder* wall_source_ = nullptr;
  stacks::HotFunctions hot_;  // by off-CPU ns, over the stacks' user frames
  std::vector<uint64_t> user_ids_;
  offcpu::SwitchPairing pairing_;
  // Stacks of switch-outs whose interval has not come back yet, by handle.
  std::unordered_map<uint32_t, std::vector<uint64_t>> pending_stacks_;
  uint32_t next_handle_ = 0;
  // Distinct off-CPU stacks (location ids) for the span breakdown's wording.
  std::map<std::vector<uint64_t>, uint32_t> stack_ids_;
  std::vector<const std::vector<uint64_t>*> stacks_by_id_;
  struct LocationNames {
    std::vector<std::string> functions;  // innermost first
    bool kernel = false;
  };
  std::vector<LocationNames> location_names_;  // by off-CPU location id
  // The one location of pieces whose switch-out had no stack (created on first use).
  const std::vector<uint64_t>& no_stack_locations();
  std::vector<uint64_t> no_stack_;
  // Intervals completed before labelling started, in completion order.
  struct HeldInterval {
    offcpu::OffCpuInterval interval;
    std::string thread_name;
  };
  std::vector<HeldInterval> held_;
  bool labelling_ = false;
  attribute::SpanAttribution* attribution_ = nullptr;
  const attribute::ClockAlignment* clock_ = nullptr;
  std::optional<SpanTime> span_time_;
  std::set<uint64_t> observed_threads_;  // thread keys with switch records
  // The interval being emitted: its stack and that stack's id.
  const std::vector<uint64_t>* current_stack_ = nullptr;
  uint32_t current_stack_id_ = offcpu::kNoStack;
  std::vector<uint64_t> ids_;
  std::vector<uint64_t> wall_ids_;
  std::vector<profile::Label> labels_;
  // Counters.
  uint64_t sched_switch_samples_ = 0;
  uint64_t samples_state_undecoded_ = 0;
  uint64_t switch_records_ = 0;
  uint64_t idle_switch_records_ = 0;
  uint64_t idle_samples_ = 0;
  uint64_t records_without_time_ = 0;
  uint64_t pieces_ = 0;
  std::array<int64_t, kThreadStates> off_cpu_ns_{};
  std::array<uint64_t, kThreadStates> intervals_by_state_{};
  int64_t off_cpu_ns_in_spans_ = 0;
  int64_t wall_cpu_ns_ = 0;
  uint64_t wall_cpu_samples_ = 0;
};

}  // namespace spanprof::join
