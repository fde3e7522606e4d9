#include "join/join_handler.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "perfdata/event_attr.h"

namespace spanprof::join {

namespace {

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

}  // namespace

JoinHandler::JoinHandler(const perfdata::Reader& reader, binaries::BinaryTable& binaries,
                         symbolize::Symbolizer& symbolizer, const JoinOptions& options,
                         SpanLoader* span_loader)
    : reader_(reader),
      processes_(reader.info().build_ids),
      binaries_(binaries),
      symbolizer_(symbolizer),
      options_(options),
      span_loader_(span_loader) {}

void JoinHandler::on_sample(const perfdata::Sample& sample) {
  if (!primary_attr_) {
    primary_attr_index_ = sample.attr_index;
    start_profile(*sample.attr);
  }
  if (sample.attr_index != primary_attr_index_) {
    ++samples_other_events_;
    return;
  }
  stacks_->resolve(sample, location_ids_);
  for (const stacks::NewLocation& added : stacks_->new_locations()) {
    hot_functions_.add_location(added.id, *added.frames, added.address);
  }
  int64_t period = static_cast<int64_t>(sample.period);
  hot_functions_.add_stack(location_ids_, period);
  threads_.insert(sample.tid);
  total_weight_ += period;
  ++samples_;
  if (sample.has_time) {
    first_time_ = std::min(first_time_, sample.time);
    last_time_ = std::max(last_time_, sample.time);
  }

  if (span_loader_ != nullptr && !spans_taken_ && span_loader_->ready()) {
    if (auto taken = take_spans(); !taken) span_load_error_ = taken.error();
  }
  std::string_view thread_name = processes_.thread_name(sample.tid);
  if (thread_name == "node") node_pids_.insert(sample.pid);
  if (span_loader_ != nullptr && !spans_taken_) {
    held_.push_back(HeldSample{sample.pid, sample.tid, sample.time, period,
                               static_cast<uint32_t>(held_locations_.size()),
                               static_cast<uint32_t>(location_ids_.size()),
                               std::string(thread_name)});
    held_locations_.insert(held_locations_.end(), location_ids_.begin(), location_ids_.end());
    return;
  }
  emit(sample.pid, sample.tid, sample.time, period, thread_name, location_ids_);
}

void JoinHandler::emit(uint32_t pid, uint32_t tid, uint64_t time, int64_t period,
                       std::string_view thread_name, std::span<const uint64_t> locations) {
  labels_.resize(kBaseLabels);
  labels_[0].num = pid;
  labels_[1].num = tid;
  labels_[2].str = thread_name;
  if (attribution_ && clock_) {
    attribution_->label(pid, tid, clock_->to_unix_ns(time), period, labels_);
  }
  int64_t values[2] = {1, period};
  builder_->add_sample(locations, labels_, values);
  if (options_.sample_sink != nullptr) {
    SampleEvent event;
    if (clock_) event.unix_ns = clock_->to_unix_ns(time);
    event.period = period;
    event.location_ids = locations;
    event.labels = labels_;
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
  // Samples are held only until here; memory for them is released.
  for (const HeldSample& held : held_) {
    std::span<const uint64_t> locations(held_locations_.data() + held.first_location,
                                        held.location_count);
    emit(held.pid, held.tid, held.time, held.period, held.thread_name, locations);
  }
  held_ = {};
  held_locations_ = {};
  return status;
}

Result<void> JoinHandler::finish() {
  if (span_loader_ != nullptr && !spans_taken_) return take_spans();
  if (span_load_error_) return std::unexpected(*span_load_error_);
  return {};
}

void JoinHandler::start_profile(const perfdata::EventAttr& attr) {
  primary_attr_ = attr;
  event_ = describe_event(attr);
  std::vector<profile::ValueType> types{{"samples", "count"}};
  profile::ValueType period_type = attr.is_cpu_clock() ? profile::ValueType{"cpu", "nanoseconds"}
                                                       : profile::ValueType{"events", "count"};
  types.push_back(period_type);
  builder_ = std::make_unique<profile::ProfileBuilder>(std::move(types), period_type,
                                                       static_cast<int64_t>(event_.period));
  builder_->add_comment(fmt::format("spanprof: event {}", event_.name));
  stacks_ = std::make_unique<stacks::StackResolver>(processes_, binaries_, symbolizer_,
                                                    *builder_, options_.include_kernel_frames);
  labels_.resize(kBaseLabels);
  labels_[0].key = "pid";
  labels_[1].key = "tid";
  labels_[2].key = "thread_name";
  // Once per capture: the profile's start time, the span join and a sample
  // sink's windows all use this one alignment.
  auto clock = attribute::ClockAlignment::from_capture(reader_.info(), attr,
                                                       options_.clock_offset_ns,
                                                       options_.fallback_clock ? &*options_.fallback_clock : nullptr);
  if (clock) {
    clock_ = *clock;
  } else if (span_loader_ != nullptr) {
    span_join_error_ = clock.error();
    span_join_error_->message = "spans not joined: " + span_join_error_->message;
  }
}

std::vector<stacks::HotFunction> JoinHandler::hottest(size_t n) const {
  return hot_functions_.top(n);
}

std::optional<std::pair<uint64_t, uint64_t>> JoinHandler::time_range() const {
  if (first_time_ > last_time_) return std::nullopt;
  return std::make_pair(first_time_, last_time_);
}

}  // namespace spanprof::join
