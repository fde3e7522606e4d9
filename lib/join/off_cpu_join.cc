#include "join/off_cpu_join.h"

#include <algorithm>

#include <fmt/format.h>


namespace spanprof::join {

namespace {

// Kernel text on x86-64 and arm64 lies in the top half of the address space.
constexpr uint64_t kKernelAddressStart = 0xffff800000000000ull;

}  // namespace

OffCpuJoin::OffCpuJoin(const perfdata::CaptureInfo& info,
                       const perfdata::EventAttr& sched_switch_attr,
                       const process::ProcessTable& processes, binaries::BinaryTable& binaries,
                       symbolize::Symbolizer& symbolizer, bool include_kernel,
                       SampleSink* off_cpu_sink, SampleSink* wall_sink)
    : processes_(processes),
      off_cpu_sink_(off_cpu_sink),
      wall_sink_(wall_sink),
      pairing_([this](const offcpu::OffCpuInterval& interval) { on_interval(interval); },
               [this](uint32_t stack) { pending_stacks_.erase(stack); }) {
  // The capture's own format gives the field offsets; without it (no
  // TRACING_DATA) the states stay unknown rather than read from a guessed layout.
  if (auto format = offcpu::SchedSwitchFormat::find(info.tracepoints);
      format && format->id() == sched_switch_attr.config) {
    format_ = *format;
  } else {
    format_problem_ = format ? "the capture's sched_switch format has another event id"
                             : format.error().message;
  }
  off_cpu_ = std::make_unique<profile::ProfileBuilder>(
      std::vector<profile::ValueType>{{"switches", "count"}, {"off_cpu", "nanoseconds"}},
      profile::ValueType{"off_cpu", "nanoseconds"}, 1);
  off_cpu_->add_comment("spanprof: off-CPU intervals from sched:sched_switch and switch records");
  wall_ = std::make_unique<profile::ProfileBuilder>(
      std::vector<profile::ValueType>{{"wall", "nanoseconds"}},
      profile::ValueType{"wall", "nanoseconds"}, 1);
  wall_->add_comment("spanprof: wall time = cpu-clock samples + off-CPU intervals");
  stacks_ = std::make_unique<stacks::StackResolver>(processes, binaries, symbolizer, *off_cpu_,
                                                    include_kernel);
  off_cpu_to_wall_ = std::make_unique<profile::LocationImporter>(*off_cpu_, *wall_);
}

OffCpuJoin::~OffCpuJoin() = default;

void OffCpuJoin::on_sched_switch(const perfdata::Sample& sample) {
  ++sched_switch_samples_;
  // The idle task (every CPU's swapper is tid 0) is no thread of the app; a
  // record without a time cannot be placed in an interval.
  if (sample.tid == 0) {
    ++idle_samples_;
    return;
  }
  if (!sample.has_time) {
    ++records_without_time_;
    return;
  }
  stacks_->resolve(sample, ids_);
  for (const stacks::NewLocation& added : stacks_->new_locations()) {
    if (added.id >= location_names_.size()) location_names_.resize(added.id + 1);
    LocationNames& names = location_names_[added.id];
    for (const symbolize::Frame& frame : *added.frames) names.functions.push_back(frame.function);
    if (names.functions.empty()) names.functions.push_back(fmt::format("{:#x}", added.address));
    names.kernel = added.address >= kKernelAddressStart;
    hot_.add_location(added.id, *added.frames, added.address);
  }
  uint64_t prev_state = UINT64_MAX;  // no state: the pairing calls it unknown
  if (format_) {
    if (auto fields = format_->decode(sample.raw)) {
      prev_state = fields->prev_state;
    } else {
      ++samples_state_undecoded_;
    }
  } else {
    ++samples_state_undecoded_;
  }
  uint32_t handle = next_handle_++;
  pending_stacks_.emplace(handle, ids_);
  pairing_.on_sched_switch(sample.pid, sample.tid, sample.time, prev_state, handle);
}

void OffCpuJoin::on_switch(const perfdata::Switch& record) {
  const perfdata::SampleId& id = record.sample_id;
  ++switch_records_;
  if (id.tid == 0) {  // the idle task
    ++idle_switch_records_;
    return;
  }
  if (!id.has_time) {
    ++records_without_time_;
    return;
  }
  if (span_time_) span_time_->observe_thread(id.pid, id.tid);
  observed_threads_.insert(attribute::thread_key(id.pid, id.tid));
  if (record.out) {
    pairing_.on_switch_out(id.pid, id.tid, id.time, record.preempt);
  } else {
    pairing_.on_switch_in(id.pid, id.tid, id.time);
  }
}

void OffCpuJoin::on_exit(const perfdata::TaskEvent& exit) {
  pairing_.on_exit(exit.pid, exit.tid, exit.time);
}

void OffCpuJoin::on_fork(const perfdata::TaskEvent& fork) {
  pairing_.on_fork(fork.pid, fork.tid, fork.time);
}

void OffCpuJoin::on_lost(uint64_t time, uint32_t cpu) { pairing_.on_lost(time, cpu); }

void OffCpuJoin::use_cpu_samples_of(const profile::ProfileBuilder& builder) {
  wall_source_ = &builder;
  cpu_to_wall_ = std::make_unique<profile::LocationImporter>(builder, *wall_);
}

void OffCpuJoin::add_cpu_sample(uint32_t pid, uint32_t tid, std::optional<int64_t> unix_ns,
                                int64_t period_ns, std::span<const uint64_t> locations,
                                std::span<const profile::Label> labels) {
  if (cpu_to_wall_ == nullptr) return;
  if (span_time_ && attribution_ != nullptr && unix_ns) {
    span_time_->add_cpu(*attribution_, attribution_->match_at(pid, tid, *unix_ns), pid, tid,
                        period_ns);
  }
  cpu_to_wall_->map(locations, wall_ids_);
  labels_.assign(labels.begin(), labels.end());
  labels_.push_back(profile::Label{"thread_state", "running", 0, ""});
  int64_t values[1] = {period_ns};
  wall_->add_sample(wall_ids_, labels_, values);
  wall_cpu_ns_ += period_ns;
  ++wall_cpu_samples_;
  if (wall_sink_ != nullptr) {
    SampleEvent event{unix_ns, period_ns, wall_ids_, labels_};
    event.pid = pid;
    event.tid = tid;
    wall_sink_->on_sample(event);
  }
}

void OffCpuJoin::start_labelling(attribute::SpanAttribution* attribution,
                                 const attribute::ClockAlignment* clock) {
  labelling_ = true;
  attribution_ = clock != nullptr ? attribution : nullptr;
  clock_ = clock;
  if (attribution_ != nullptr) {
    span_time_.emplace(/*cpu_measured=*/wall_source_ != nullptr);
    for (uint64_t key : observed_threads_) {
      span_time_->observe_thread(attribute::pid_of_key(key), attribute::tid_of_key(key));
    }
  }
  std::vector<HeldInterval> held = std::move(held_);
  held_ = {};
  for (const HeldInterval& entry : held) emit(entry.interval, entry.thread_name);
}

void OffCpuJoin::finish(uint64_t capture_end) { pairing_.finish(capture_end); }

void OffCpuJoin::on_interval(const offcpu::OffCpuInterval& interval) {
  if (interval.cut != offcpu::Cut::kNone || interval.end <= interval.start) {
    if (interval.stack != offcpu::kNoStack) pending_stacks_.erase(interval.stack);
    return;
  }
  if (!labelling_) {
    // The thread's name now: it may be renamed (exec) or its tid reused
    // before the held intervals go out.
    held_.push_back({interval, std::string(processes_.thread_name(interval.tid))});
    return;
  }
  emit(interval, processes_.thread_name(interval.tid));
}

const std::vector<uint64_t>& OffCpuJoin::no_stack_locations() {
  if (no_stack_.empty()) {
    const symbolize::Frames frames{{std::string(kNoStackFrame), std::string(kNoStackFrame), "", 0, 0}};
    uint64_t id = off_cpu_->add_location(0, 0, frames);
    if (id >= location_names_.size()) location_names_.resize(id + 1);
    location_names_[id].functions.assign(1, std::string(kNoStackFrame));
    hot_.add_location(id, frames, 0);
    no_stack_.push_back(id);
  }
  return no_stack_;
}

void OffCpuJoin::emit(const offcpu::OffCpuInterval& interval, std::string_view thread_name) {
  const std::vector<uint64_t>* stack = nullptr;
  auto pending = pending_stacks_.end();
  if (interval.stack != offcpu::kNoStack) {
    pending = pending_stacks_.find(interval.stack);
    if (pending != pending_stacks_.end() && !pending->second.empty()) stack = &pending->second;
  }
  // A piece with no location at all is left out by pprof tools (go tool
  // pprof -raw, -traces): it gets one frame that says what is missing.
  const bool stackless = stack == nullptr;
  if (stackless) stack = &no_stack_locations();
  int64_t total = static_cast<int64_t>(interval.end - interval.start);
  size_t state = static_cast<size_t>(interval.state);
  off_cpu_ns_[state] += total;
  ++intervals_by_state_[state];
  // The blocking functions are the user frames: every kernel stack of a
  // switch-out ends in __schedule, which would top the list and say nothing.
  user_ids_.clear();
  for (uint64_t loc : *stack) {
    if (loc < location_names_.size() && !location_names_[loc].kernel) user_ids_.push_back(loc);
  }
  hot_.add_stack(user_ids_.empty() ? *stack : user_ids_, total);
  current_stack_ = stack;
  current_stack_id_ = stackless ? offcpu::kNoStack : stack_id(*stack);
  if (attribution_ == nullptr) {
    std::optional<int64_t> start;
    if (clock_ != nullptr) start = clock_->to_unix_ns(interval.start);
    emit_piece(interval, thread_name, start, total, true, nullptr);
  } else {
    // Split where the thread's span may change, so each piece is labelled
    // as a CPU sample at its start would be.
    int64_t t = clock_->to_unix_ns(interval.start);
    const int64_t end = clock_->to_unix_ns(interval.end);
    bool first = true;
    while (t < end) {
      int64_t next = std::min(end, attribution_->next_change(interval.pid, interval.tid, t));
      if (next <= t) next = end;  // never loop on a change that does not move forward
      attribute::SpanMatch match = attribution_->match_at(interval.pid, interval.tid, t);
      emit_piece(interval, thread_name, t, next - t, first, &match);
      if (match.innermost != attribute::kNoSpan) {
        off_cpu_ns_in_spans_ += next - t;
        span_time_->add_off_cpu(*attribution_, match, interval.pid, interval.tid,
                                interval.state, next - t, current_stack_id_);
      }
      first = false;
      t = next;
    }
  }
  if (pending != pending_stacks_.end()) pending_stacks_.erase(pending);
  current_stack_ = nullptr;
}

void OffCpuJoin::emit_piece(const offcpu::OffCpuInterval& interval, std::string_view thread_name,
                            std::optional<int64_t> start_ns, int64_t ns, bool first,
                            const attribute::SpanMatch* match) {
  ++pieces_;
  labels_.clear();
  labels_.push_back(profile::Label{"pid", "", interval.pid, ""});
  labels_.push_back(profile::Label{"tid", "", interval.tid, ""});
  labels_.push_back(profile::Label{"thread_name", std::string(thread_name), 0, ""});
  if (match != nullptr) attribution_->append_labels(*match, labels_);
  labels_.push_back(profile::Label{"thread_state", thread_state_label(interval.state), 0, ""});
  const std::vector<uint64_t>& stack = *current_stack_;
  int64_t values[2] = {first ? 1 : 0, ns};
  off_cpu_->add_sample(stack, labels_, values);
  off_cpu_to_wall_->map(stack, wall_ids_);
  wall_->add_sample(wall_ids_, labels_, std::span<const int64_t>(values + 1, 1));
  const uint32_t span = match != nullptr ? match->innermost : attribute::kNoSpan;
  if (off_cpu_sink_ != nullptr) {
    off_cpu_sink_->on_sample(
        SampleEvent{start_ns, ns, stack, labels_, first ? 1u : 0u, interval.pid, interval.tid, span});
  }
  if (wall_sink_ != nullptr) {
    wall_sink_->on_sample(
        SampleEvent{start_ns, ns, wall_ids_, labels_, 1u, interval.pid, interval.tid, span});
  }
}

uint32_t OffCpuJoin::stack_id(std::span<const uint64_t> locations) {
  std::vector<uint64_t> key(locations.begin(), locations.end());
  auto [it, inserted] = stack_ids_.try_emplace(std::move(key), stacks_by_id_.size());
  if (inserted) stacks_by_id_.push_back(&it->first);
  return it->second;
}

std::string OffCpuJoin::describe_stack(uint32_t id) const {
  if (id >= stacks_by_id_.size()) return "";
  const std::vector<uint64_t>& stack = *stacks_by_id_[id];
  // The user frames, leaf first: the kernel's scheduler frames say only that
  // the thread blocked, the user frames say where. Kernel frames when none.
  bool has_user = std::any_of(stack.begin(), stack.end(), [&](uint64_t loc) {
    return loc < location_names_.size() && !location_names_[loc].kernel;
  });
  std::vector<std::string> names;
  constexpr size_t kFrames = 3;
  for (uint64_t loc : stack) {
    if (loc >= location_names_.size()) continue;
    const LocationNames& location = location_names_[loc];
    if (has_user && location.kernel) continue;
    for (const std::string& name : location.functions) {
      if (names.size() < kFrames) names.push_back(name);
    }
    if (names.size() >= kFrames) break;
  }
  return fmt::format("{}", fmt::join(names, " <- "));
}

OffCpuReport OffCpuJoin::report(size_t hottest_count) const {
  OffCpuReport out;
  out.pairing = pairing_.stats();
  out.stacks = stacks_->stats();
  out.sched_switch_samples = sched_switch_samples_;
  out.samples_state_undecoded = samples_state_undecoded_;
  out.format_problem = format_problem_;
  out.switch_records = switch_records_;
  out.idle_switch_records = idle_switch_records_;
  out.idle_samples = idle_samples_;
  out.records_without_time = records_without_time_;
  out.pieces = pieces_;
  out.off_cpu_ns = off_cpu_ns_;
  out.intervals = intervals_by_state_;
  out.off_cpu_ns_in_spans = off_cpu_ns_in_spans_;
  out.wall_cpu_ns = wall_cpu_ns_;
  out.wall_cpu_samples = wall_cpu_samples_;
  out.hottest = hot_.top(hottest_count);
  if (!has_wall()) {
    out.wall_missing = "the capture has no cpu-clock event, whose samples give the wall profile's "
                       "CPU time (record with spanprof run --off-cpu)";
  }
  if (span_time_ && attribution_ != nullptr) {
    out.span_time = span_time_->summarize(
        *attribution_, [this](uint32_t id) { return describe_stack(id); });
  }
  return out;
}

}  // namespace spanprof::join
