#include "push/profile_windows.h"

#include <algorithm>

#include <fmt/format.h>

#include "pprof.pb.h"
#include "push/profile_cutter.h"

namespace spanprof::push {

namespace {

// TASK_COMM_LEN is 16: a thread name holds at most 15 bytes of the executable's.
constexpr size_t kCommLength = 15;

std::string most_common(const std::map<std::string, uint64_t>& counts) {
  std::string best;
  uint64_t best_count = 0;
  for (const auto& [name, count] : counts) {
    if (count > best_count) best = name, best_count = count;
  }
  return best;
}

}  // namespace

int64_t floor_to_multiple(int64_t value, int64_t step) {
  int64_t q = value / step;
  if (value % step != 0 && value < 0) --q;
  return q * step;
}

std::string_view truncate_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) to the start of their sequence.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  return text.substr(0, end);
}

size_t ProfileWindows::KeyHash::operator()(const std::vector<uint64_t>& key) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the words
  for (uint64_t word : key) h = (h ^ word) * 1099511628211ull;
  return static_cast<size_t>(h);
}

// The join's whole profile: the tables every window profile copies from.
struct ProfileWindows::Template {
  pprof::Profile profile;
};


ProfileWindows::ProfileWindows(const WindowOptions& options) : options_(options) {
  options_.window_ns = std::max<int64_t>(options_.window_ns, 1);
  strings_.emplace_back();
  string_ids_.emplace("", 0);
}

ProfileWindows::~ProfileWindows() = default;

uint32_t ProfileWindows::intern(std::string_view text) {
  auto [it, inserted] = string_ids_.try_emplace(std::string(text),
                                                static_cast<uint32_t>(strings_.size()));
  if (inserted) strings_.emplace_back(text);
  return it->second;
}

uint32_t ProfileWindows::group_of(const std::string* service,
                                  const std::string* service_namespace, uint32_t pid) {
  std::string name;
  if (service != nullptr) {
    name = "s:" + *service + '\0' + (service_namespace ? *service_namespace : std::string());
  } else {
    name = "p:" + std::to_string(pid);
  }
  auto [it, inserted] = group_ids_.try_emplace(std::move(name),
                                               static_cast<uint32_t>(groups_.size()));
  if (inserted) {
    Group group;
    if (service != nullptr) {
      group.service = ServiceKey{*service, service_namespace ? *service_namespace : ""};
    } else {
      group.pid = pid;
    }
    groups_.push_back(std::move(group));
  }
  return it->second;
}

void ProfileWindows::on_sample(const join::SampleEvent& sample) {
  ++samples_;
  if (!sample.unix_ns) {
    ++untimed_;
    return;
  }
  int64_t time = *sample.unix_ns;
  first_ns_ = std::min(first_ns_, time);
  last_ns_ = std::max(last_ns_, time);

  uint64_t span_id = 0, trace_id = 0, span_name = 0, kept = 0;
  const std::string_view kept_label = kind_info(options_.kind).kept_label;
  uint32_t pid = 0, tid = 0;
  const std::string* thread_name = nullptr;
  const std::string* service = nullptr;
  const std::string* service_namespace = nullptr;
  for (const profile::Label& label : sample.labels) {
    if (label.key == "span_id") {
      span_id = intern(label.str);
      span_ids_.insert(label.str);
    } else if (label.key == "trace_id" && options_.trace_id_label) {
      trace_id = intern(label.str);
    } else if (label.key == "span_name" && options_.span_name_label) {
      std::string_view value = truncate_utf8(label.str, kMaxLabelValueBytes);
      if (value.size() < label.str.size()) {
        ++truncated_samples_;
        truncated_names_.insert(label.str);
      }
      span_name = intern(value);
    } else if (!kept_label.empty() && label.key == kept_label) {
      kept = intern(label.str);
    } else if (label.key == "service_name") {
      if (!label.str.empty()) service = &label.str;
    } else if (label.key == "service_namespace") {
      if (!label.str.empty()) service_namespace = &label.str;
    } else {
      // Everything else would become a series label on the server.
      if (label.key == "pid") pid = static_cast<uint32_t>(label.num);
      if (label.key == "tid") tid = static_cast<uint32_t>(label.num);
      if (label.key == "thread_name" && !label.str.empty()) thread_name = &label.str;
      if (!dropped_.contains(label.key)) dropped_.insert(label.key);
    }
  }
  if (thread_name != nullptr) {
    Process& process = processes_[pid];
    ++process.thread_samples[*thread_name];
    if (tid == pid) ++process.main_thread_samples[*thread_name];
  }

  key_.clear();
  key_.push_back(sample.location_ids.size());
  key_.insert(key_.end(), sample.location_ids.begin(), sample.location_ids.end());
  key_.push_back(span_id);
  key_.push_back(trace_id);
  key_.push_back(span_name);
  key_.push_back(kept);
  auto [it, inserted] = key_ids_.try_emplace(key_, static_cast<uint32_t>(keys_.size()));
  if (inserted) keys_.push_back(&it->first);

  Group& group = groups_[group_of(service, service_namespace, pid)];
  // Off-CPU and wall samples weigh a duration (a 60 s sleep): it goes to
  // every window it covers, each getting its share; its count stays with the
  // first part. CPU samples are instants.
  if (options_.kind == ProfileKind::kCpu || sample.period <= 0) {
    group.events.push_back(Event{time, sample.period, it->second, sample.count});
    return;
  }
  const int64_t window = options_.window_ns;
  int64_t start = time, left = sample.period;
  uint32_t count = sample.count;
  while (left > 0) {
    int64_t index = start / window - (start % window < 0 ? 1 : 0);  // floor
    int64_t part = std::min(left, (index + 1) * window - start);
    group.events.push_back(Event{start, part, it->second, count});
    count = 0;
    left -= part;
    start += part;
  }
}

void ProfileWindows::on_profile(const profile::ProfileBuilder& builder) {
  auto bytes = builder.serialize();
  if (!bytes) {
    template_error_ = bytes.error();
    return;
  }
  template_ = std::make_unique<Template>();
  if (!template_->profile.ParseFromString(*bytes)) {
    template_.reset();
    template_error_ = Error{"the join's profile does not decode", "push", ""};
  }
}

std::optional<int64_t> ProfileWindows::first_ns() const {
  if (first_ns_ > last_ns_) return std::nullopt;
  return first_ns_;
}

std::optional<int64_t> ProfileWindows::last_ns() const {
  if (first_ns_ > last_ns_) return std::nullopt;
  return last_ns_;
}

std::set<int64_t> ProfileWindows::windows() const {
  std::set<int64_t> windows;
  for (const Group& group : groups_) {
    for (const Event& event : group.events) {
      windows.insert(floor_to_multiple(event.time, options_.window_ns));
    }
  }
  return windows;
}

std::vector<std::string> ProfileWindows::dropped_label_names() const {
  return {dropped_.begin(), dropped_.end()};
}

ServiceKey ProfileWindows::resolve(const Group& group, const ServiceNaming& naming) const {
  if (!naming.forced_service_name.empty()) return {naming.forced_service_name, ""};
  if (group.service) return *group.service;
  if (auto it = naming.services_by_pid.find(group.pid); it != naming.services_by_pid.end()) {
    return {it->second.service_name, it->second.service_namespace};
  }
  if (auto it = naming.process_services.find(group.pid); it != naming.process_services.end()) {
    return it->second;
  }
  auto process = processes_.find(group.pid);
  std::string comm;
  if (process != processes_.end()) comm = most_common(process->second.main_thread_samples);
  if (!comm.empty()) {
    // The kernel cut the executable's name to 15 bytes: give it whole.
    if (naming.executable_name.substr(0, kCommLength) == comm) return {naming.executable_name, ""};
    return {comm, ""};
  }
  if (!naming.executable_name.empty()) return {naming.executable_name, ""};
  if (process != processes_.end()) {
    std::string busiest = most_common(process->second.thread_samples);
    if (!busiest.empty()) return {busiest, ""};
  }
  return {"spanprof", ""};
}

std::vector<ServiceKey> ProfileWindows::assign_series(const ServiceNaming& naming) {
  std::map<ServiceKey, std::vector<uint32_t>> by_service;
  for (uint32_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].events.empty()) continue;
    by_service[resolve(groups_[i], naming)].push_back(i);
  }
  std::vector<ServiceKey> keys;
  series_groups_.clear();
  for (auto& [key, groups] : by_service) {
    keys.push_back(key);
    series_groups_.push_back(std::move(groups));
  }
  return keys;
}

std::map<uint32_t, ServiceKey> ProfileWindows::process_services(
    const ServiceNaming& naming) const {
  // Every process seen, also one whose samples here were all in spans: the
  // other kinds may hold samples of it outside spans.
  std::map<uint32_t, ServiceKey> services;
  Group outside;
  for (const Group& group : groups_) {
    if (group.service || group.events.empty()) continue;
    outside.pid = group.pid;
    services[group.pid] = resolve(outside, naming);
  }
  for (const auto& [pid, process] : processes_) {
    if (services.contains(pid)) continue;
    outside.pid = pid;
    services[pid] = resolve(outside, naming);
  }
  return services;
}

uint64_t ProfileWindows::series_samples(size_t index) const {
  uint64_t total = 0;
  if (index >= series_groups_.size()) return 0;
  for (uint32_t group : series_groups_[index]) total += groups_[group].events.size();
  return total;
}

Result<void> ProfileWindows::cut_range(ProfileCutter& cutter, const std::vector<Event>& events,
                                       size_t begin, size_t end, int64_t start_ns,
                                       int64_t end_ns, int64_t shift_ns,
                                       const ProfileLimits& limits,
                                       std::vector<WindowedProfile>& out) const {
  // The range's pprof samples: its events merged by key, in key order (the
  // order keys were first seen: stable from run to run).
  std::unordered_map<uint32_t, std::pair<int64_t, int64_t>> merged;
  for (size_t i = begin; i < end; ++i) {
    auto& values = merged[events[i].key];
    values.first += events[i].count;
    values.second += events[i].weight;
  }
  std::vector<uint32_t> order;
  order.reserve(merged.size());
  for (const auto& [key, values] : merged) order.push_back(key);
  std::sort(order.begin(), order.end());

  size_t bytes = 0;
  std::string serialized;
  if (order.size() <= limits.max_samples) {
    std::vector<ProfileCutter::Entry> entries;
    entries.reserve(order.size());
    for (uint32_t key : order) entries.push_back({keys_[key], merged[key].first, merged[key].second});
    pprof::Profile profile = cutter.cut(entries, start_ns + shift_ns, end_ns - start_ns);
    bytes = profile.ByteSizeLong();
    if (bytes <= limits.max_profile_bytes) {
      if (!profile.SerializeToString(&serialized)) {
        return make_error("cannot serialize a window profile", "push");
      }
      WindowedProfile result;
      result.start_ns = start_ns + shift_ns;
      result.end_ns = end_ns + shift_ns;
      result.pprof = std::move(serialized);
      result.samples = order.size();
      result.events = end - begin;
      out.push_back(std::move(result));
      return {};
    }
  }

  if (events[begin].time == events[end - 1].time) {
    // Profiles of one series must differ in time_nanos: one instant cannot be cut.
    std::string what =
        order.size() > limits.max_samples
            ? fmt::format("{} pprof samples, over the limit of {} per profile", order.size(),
                          limits.max_samples)
            : fmt::format("{} bytes of profile, over the limit of {} (max_profile_bytes)", bytes,
                          limits.max_profile_bytes);
    return make_error(fmt::format("the {} samples at one instant ({} ns) take {}", end - begin,
                                  events[begin].time, what),
                      "push",
                      "the stacks are too many or too deep for one profile: raise the server's "
                      "limits (and spanprof's), or record with --no-kernel or a lower frequency");
  }

  // How many pieces the range likely needs; pieces still over a limit are cut
  // again, so the estimate only saves work.
  size_t pieces = 2;
  pieces = std::max(pieces, (order.size() + limits.max_samples - 1) / limits.max_samples);
  if (bytes > 0) {
    pieces = std::max(pieces, (bytes + limits.max_profile_bytes - 1) / limits.max_profile_bytes);
  }
  // Cut points at event indices where the time changes, about evenly spaced.
  std::vector<size_t> cuts{begin};
  for (size_t p = 1; p < pieces; ++p) {
    size_t at = std::max(begin + (end - begin) * p / pieces, cuts.back() + 1);
    if (at >= end) break;
    size_t forward = at;
    while (forward < end && events[forward].time == events[forward - 1].time) ++forward;
    if (forward == end) {
      size_t backward = at;
      while (backward > cuts.back() + 1 && events[backward].time == events[backward - 1].time) {
        --backward;
      }
      forward = events[backward].time != events[backward - 1].time ? backward : end;
    }
    if (forward > cuts.back() && forward < end) cuts.push_back(forward);
  }
  cuts.push_back(end);
  for (size_t c = 0; c + 1 < cuts.size(); ++c) {
    int64_t piece_start = c == 0 ? start_ns : events[cuts[c]].time;
    int64_t piece_end = c + 2 == cuts.size() ? end_ns : events[cuts[c + 1]].time;
    auto ok = cut_range(cutter, events, cuts[c], cuts[c + 1], piece_start, piece_end, shift_ns,
                        limits, out);
    if (!ok) return ok;
  }
  return {};
}

Result<std::vector<WindowedProfile>> ProfileWindows::build(size_t index, int64_t shift_ns,
                                                          const ProfileLimits& limits) const {
  if (template_error_) return std::unexpected(*template_error_);
  if (!template_) return make_error("the join produced no profile", "push");
  if (index >= series_groups_.size()) {
    return make_error(fmt::format("no series {} (assign_series gave {})", index,
                                  series_groups_.size()),
                      "push");
  }
  ProfileLimits checked = limits;
  checked.max_samples = std::max<size_t>(checked.max_samples, 1);
  checked.max_profile_bytes = std::max<size_t>(checked.max_profile_bytes, 1);

  // The join hands samples over in time order: a series of one group is
  // used in place; several are merged into a copy.
  auto by_time = [](const Event& a, const Event& b) { return a.time < b.time; };
  const std::vector<uint32_t>& groups = series_groups_[index];
  std::vector<Event> merged;
  const std::vector<Event>* sorted = &groups_[groups[0]].events;
  if (groups.size() > 1 || !std::is_sorted(sorted->begin(), sorted->end(), by_time)) {
    for (uint32_t group : groups) {
      merged.insert(merged.end(), groups_[group].events.begin(), groups_[group].events.end());
    }
    std::stable_sort(merged.begin(), merged.end(), by_time);
    sorted = &merged;
  }
  const std::vector<Event>& events = *sorted;

  const ProfileKindInfo& kind = kind_info(options_.kind);
  std::optional<ProfileCutter::PeriodType> period_type;
  if (kind.set_period_type) period_type = ProfileCutter::PeriodType{kind.period_type, kind.period_unit};
  ProfileCutter cutter(template_->profile, strings_, period_type);
  std::vector<WindowedProfile> out;
  for (size_t begin = 0; begin < events.size();) {
    int64_t window = floor_to_multiple(events[begin].time, options_.window_ns);
    if (window > INT64_MAX - options_.window_ns - std::max<int64_t>(shift_ns, 0)) {
      return make_error(fmt::format("a sample time ({} ns) lies beyond what a profile can hold",
                                    events[begin].time),
                        "push", "check the capture's clock data and --clock-offset");
    }
    size_t end = begin;
    while (end < events.size() && events[end].time < window + options_.window_ns) ++end;
    // The window's first profile starts at its first sample, not at the 10 s
    // boundary: profiles of one series with the same start keep one on the
    // server, and other runs or instances of the service push the same
    // boundaries (their samples are never at the same nanosecond).
    auto ok = cut_range(cutter, events, begin, end, events[begin].time,
                        window + options_.window_ns, shift_ns, checked, out);
    if (!ok) return std::unexpected(ok.error());
    begin = end;
  }
  return out;
}

}  // namespace spanprof::push
