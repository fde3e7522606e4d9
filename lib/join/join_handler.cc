#include "join/join_handler.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "perfdata/event_attr.h"

namespace spanprof::join {

JoinHandler::JoinHandler(const perfdata::Reader& reader, binaries::BinaryTable& binaries,
                         symbolize::Symbolizer& symbolizer, const JoinOptions& options,
                         SpanLoader* span_loader)
    : reader_(reader),
      processes_(reader.info().build_ids),
      binaries_(binaries),
      symbolizer_(symbolizer),
      options_(options),
      span_loader_(span_loader) {}

bool JoinHandler::ensure_plan() {
  if (plan_) return true;
  if (plan_error_) return false;
  const perfdata::CaptureInfo& info = reader_.info();
  if (info.attrs.empty()) return false;  // pipe mode: the attrs come first; wait for them
  auto plan = plan_events(info, options_.event_name);
  if (!plan) {
    plan_error_ = plan.error();
    return false;
  }
  plan_ = *plan;
  if (plan_->primary >= info.attrs.size()) {
    plan_error_ = make_error("the capture holds no event attributes", options_.perf_data_path,
                             "re-record the capture")
                      .error();
    return false;
  }
  const perfdata::EventAttr& attr = info.attrs[plan_->primary];
  primary_attr_ = attr;
  primary_ = &profile_for(plan_->primary);
  event_ = primary_->summary();
  labels_.resize(kBaseLabels);
  labels_[0].key = "pid";
  labels_[1].key = "tid";
  labels_[2].key = "thread_name";
  // Once per capture: the profile's start time, the span join and a sample
  // sink's windows all use this one alignment.
  auto clock = attribute::ClockAlignment::from_capture(
      info, attr, options_.clock_offset_ns,
      options_.fallback_clock ? &*options_.fallback_clock : nullptr);
  if (clock) {
    clock_ = *clock;
  } else if (span_loader_ != nullptr) {
    span_join_error_ = clock.error();
    span_join_error_->message = "spans not joined: " + span_join_error_->message;
  }
  if (plan_->off_cpu) {
    off_cpu_ = std::make_unique<OffCpuJoin>(info, info.attrs[*plan_->off_cpu], processes_,
                                            binaries_, symbolizer_, options_.include_kernel_frames,
                                            options_.off_cpu_sink, options_.wall_sink);
    for (size_t i = 0; i < info.attrs.size(); ++i) {
      if (info.attrs[i].is_cpu_clock() && !is_dummy_event(info.attrs[i])) {
        wall_cpu_attr_ = i;
        off_cpu_->use_cpu_samples_of(profile_for(i).builder());
        break;
      }
    }
    if (span_loader_ == nullptr) off_cpu_->start_labelling(nullptr, clock_ ? &*clock_ : nullptr);
  }
  return true;
}

EventProfile& JoinHandler::profile_for(size_t attr_index) {
  auto& slot = profiles_[attr_index];
  if (!slot) {
    slot = std::make_unique<EventProfile>(attr_index, reader_.info().attrs[attr_index], processes_,
                                          binaries_, symbolizer_, options_.include_kernel_frames);
  }
  return *slot;
}

// Forks and exits may come before any sample: the plan (and the off-CPU
// join, which counts a forked thread's first switch-in as its start) is made
// at the first record that needs it.
void JoinHandler::on_fork(const perfdata::TaskEvent& fork) {
  processes_.on_fork(fork);
  if (ensure_plan() && off_cpu_) off_cpu_->on_fork(fork);
}

void JoinHandler::on_exit(const perfdata::TaskEvent& exit) {
  processes_.on_exit(exit);
  if (ensure_plan() && off_cpu_) off_cpu_->on_exit(exit);
}

void JoinHandler::on_switch(const perfdata::Switch& record) {
  if (!ensure_plan()) return;
  if (off_cpu_) off_cpu_->on_switch(record);
  if (record.sample_id.has_time) note_record_time(record.sample_id.time);
}

void JoinHandler::on_lost(const perfdata::Lost& lost) {
  if (off_cpu_) off_cpu_->on_lost(lost.sample_id.time, lost.sample_id.cpu);
}

void JoinHandler::on_lost_samples(const perfdata::Lost& lost) {
  if (off_cpu_) off_cpu_->on_lost(lost.sample_id.time, lost.sample_id.cpu);
}

void JoinHandler::on_sample(const perfdata::Sample& sample) {
  if (!ensure_plan()) return;
  if (sample.has_time) note_record_time(sample.time);
  if (off_cpu_ && sample.attr_index == *plan_->off_cpu) {
    off_cpu_->on_sched_switch(sample);
    // Its samples are off-CPU stacks, not a profile of their own, unless
    // --event chose the event.
    if (sample.attr_index != plan_->primary) return;
  }
  if (sample.attr_index >= reader_.info().attrs.size()) return;
  EventProfile& profile = profile_for(sample.attr_index);
  profile.resolve(sample, location_ids_);
  int64_t period = static_cast<int64_t>(sample.period);
  threads_.insert(sample.tid);
  if (sample.has_time && &profile == primary_) {
    first_time_ = std::min(first_time_, sample.time);
    last_time_ = std::max(last_time_, sample.time);
  }

  if (span_loader_ != nullptr && !spans_taken_ && span_loader_->ready()) {
    if (auto taken = take_spans(); !taken) span_load_error_ = taken.error();
  }
  std::string_view thread_name = processes_.thread_name(sample.tid);
  if (thread_name == "node") node_pids_.insert(sample.pid);
  if (span_loader_ != nullptr && !spans_taken_) {
    held_.push_back(HeldSample{&profile, sample.pid, sample.tid, sample.time, period,
                               static_cast<uint32_t>(held_locations_.size()),
                               static_cast<uint32_t>(location_ids_.size()),
                               std::string(thread_name)});
    held_locations_.insert(held_locations_.end(), location_ids_.begin(), location_ids_.end());
    return;
  }
  emit(profile, sample.pid, sample.tid, sample.time, period, thread_name, location_ids_);
}

void JoinHandler::emit(EventProfile& profile, uint32_t pid, uint32_t tid, uint64_t time,
                       int64_t period, std::string_view thread_name,
                       std::span<const uint64_t> locations) {
  labels_.resize(kBaseLabels);
  labels_[0].num = pid;
  labels_[1].num = tid;
  labels_[2].str = thread_name;
  const bool primary = &profile == primary_;
  uint32_t span = attribute::kNoSpan;
  if (attribution_ && clock_) {
    int64_t unix_ns = clock_->to_unix_ns(time);
    if (primary) {
      // The main event's samples feed the span CPU counters.
      span = attribution_->label(pid, tid, unix_ns, period, labels_);
    } else {
      attribution_->append_labels(attribution_->match_at(pid, tid, unix_ns), labels_);
    }
  }
  int64_t values[2] = {1, period};
  profile.builder().add_sample(locations, labels_, values);
  std::optional<int64_t> unix_ns;
  if (clock_) unix_ns = clock_->to_unix_ns(time);
  if (off_cpu_ && wall_cpu_attr_ && profile.attr_index() == *wall_cpu_attr_) {
    off_cpu_->add_cpu_sample(pid, tid, unix_ns, period, locations, labels_);
  }
  if (primary && options_.sample_sink != nullptr) {
    SampleEvent event;
    event.unix_ns = unix_ns;
    event.period = period;
    event.location_ids = locations;
    event.labels = labels_;
    event.pid = pid;
    event.tid = tid;
    event.span = span;
    options_.sample_sink->on_sample(event);
  }
}

Result<void> JoinHandler::take_spans() {
  spans_taken_ = true;
  auto loaded = span_loader_->take();
  Result<void> status;
  if (loaded) {
    span_read_stats_ = loaded->stats;
    namespace_mapping_ = loaded->namespace_mapping;
    span_load_warnings_ = std::move(loaded->warnings);
    attribution_ = std::move(loaded->attribution);
    activation_read_ = loaded->activations.stats;
    activation_warnings_ = std::move(loaded->activations.warnings);
    if (!loaded->activations.empty() && clock_) {
      // Activation records are on CLOCK_MONOTONIC: on a -k monotonic capture
      // they go to Unix time exactly as the samples do.
      std::optional<int64_t> monotonic_to_unix;
      if (primary_attr_->use_clockid() && primary_attr_->clockid == CLOCK_MONOTONIC) {
        monotonic_to_unix = clock_->delta_ns();
      }
      attribution_->use_activations(loaded->activations, monotonic_to_unix);
    }
  } else {
    status = std::unexpected(loaded.error());
  }
  // The off-CPU join labels from here on: the held samples below feed its
  // span breakdown too.
  if (off_cpu_) off_cpu_->start_labelling(attribution_.get(), clock_ ? &*clock_ : nullptr);
  // Samples are held only until here; memory for them is released.
  for (const HeldSample& held : held_) {
    std::span<const uint64_t> locations(held_locations_.data() + held.first_location,
                                        held.location_count);
    emit(*held.profile, held.pid, held.tid, held.time, held.period, held.thread_name, locations);
  }
  held_ = {};
  held_locations_ = {};
  return status;
}

Result<void> JoinHandler::finish() {
  if (plan_error_) return std::unexpected(*plan_error_);
  Result<void> status;
  if (span_loader_ != nullptr && !spans_taken_) {
    status = take_spans();
  } else if (span_load_error_) {
    status = std::unexpected(*span_load_error_);
  }
  if (off_cpu_) off_cpu_->finish(last_record_time_);
  return status;
}

uint64_t JoinHandler::samples_other_events() const {
  uint64_t n = 0;
  for (const EventProfile* profile : other_profiles()) n += profile->samples();
  return n;
}

std::vector<const EventProfile*> JoinHandler::other_profiles() const {
  std::vector<const EventProfile*> out;
  for (const auto& [index, profile] : profiles_) {
    if (profile.get() != primary_ && profile->samples() > 0) out.push_back(profile.get());
  }
  return out;
}

EventProfile* JoinHandler::other_profile(size_t attr_index) {
  auto it = profiles_.find(attr_index);
  return it == profiles_.end() || it->second.get() == primary_ ? nullptr : it->second.get();
}

void JoinHandler::note_record_time(uint64_t time) {
  first_record_time_ = std::min(first_record_time_, time);
  last_record_time_ = std::max(last_record_time_, time);
}

std::optional<std::pair<uint64_t, uint64_t>> JoinHandler::record_time_range() const {
  if (first_record_time_ > last_record_time_) return std::nullopt;
  return std::make_pair(first_record_time_, last_record_time_);
}

std::optional<std::pair<uint64_t, uint64_t>> JoinHandler::time_range() const {
  if (first_time_ > last_time_) return std::nullopt;
  return std::make_pair(first_time_, last_time_);
}

}  // namespace spanprof::join
