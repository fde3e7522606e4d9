#include "push/profile_windows.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "pprof.pb.h"

namespace spanprof::push {

namespace {

// A window sample's key: [location count, location ids..., span_id, trace_id,
// span_name] with label values as indices into ProfileWindows::strings_.
struct KeyHash {
  size_t operator()(const std::vector<uint64_t>& key) const {
    uint64_t h = 1469598103934665603ull;
    for (uint64_t word : key) h = (h ^ word) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

constexpr size_t kLabelWords = 3;

}  // namespace

int64_t floor_to_multiple(int64_t value, int64_t step) {
  int64_t q = value / step;
  if (value % step != 0 && value < 0) --q;
  return q * step;
}

struct ProfileWindows::Window {
  struct Values {
    int64_t count = 0;
    int64_t weight = 0;
  };
  std::unordered_map<std::vector<uint64_t>, Values, KeyHash> samples;
  uint64_t events = 0;
};

// The join's whole profile: the tables every window profile copies from.
struct ProfileWindows::Template {
  pprof::Profile profile;
};

ProfileWindows::ProfileWindows(int64_t window_ns, bool keep_span_name)
    : window_ns_(std::max<int64_t>(window_ns, 1)), keep_span_name_(keep_span_name) {
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

void ProfileWindows::on_sample(const join::SampleEvent& sample) {
  ++samples_;
  if (!sample.unix_ns) {
    ++untimed_;
    return;
  }
  int64_t time = *sample.unix_ns;
  first_ns_ = std::min(first_ns_, time);
  last_ns_ = std::max(last_ns_, time);

  uint64_t span_id = 0, trace_id = 0, span_name = 0;
  for (const profile::Label& label : sample.labels) {
    if (label.key == "span_id") {
      span_id = intern(label.str);
      span_ids_.insert(label.str);
    } else if (label.key == "trace_id") {
      trace_id = intern(label.str);
    } else if (label.key == "span_name" && keep_span_name_) {
      span_name = intern(label.str);
    } else {
      // Everything else would become a series label on the server.
      if (label.key == "service_name" && !label.str.empty()) ++services_[label.str];
      if (label.key == "thread_name" && !label.str.empty()) ++thread_names_[label.str];
      if (!dropped_.contains(label.key)) dropped_.insert(label.key);
    }
  }
  key_.clear();
  key_.push_back(sample.location_ids.size());
  key_.insert(key_.end(), sample.location_ids.begin(), sample.location_ids.end());
  key_.push_back(span_id);
  key_.push_back(trace_id);
  key_.push_back(span_name);

  auto& window = windows_[floor_to_multiple(time, window_ns_)];
  if (!window) window = std::make_unique<Window>();
  Window::Values& values = window->samples[key_];
  values.count += 1;
  values.weight += sample.period;
  ++window->events;
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

std::vector<std::string> ProfileWindows::dropped_label_names() const {
  return {dropped_.begin(), dropped_.end()};
}

namespace {

std::string most_common(const std::map<std::string, uint64_t>& counts) {
  std::string best;
  uint64_t best_count = 0;
  for (const auto& [name, count] : counts) {
    if (count > best_count) best = name, best_count = count;
  }
  return best;
}

// Builds one profile from a template and a set of samples, copying only the
// locations, functions, mappings and strings they use.
class ProfileCutter {
 public:
  ProfileCutter(const pprof::Profile& full, const std::vector<std::string>& label_strings)
      : full_(full), label_strings_(label_strings) {
    for (int i = 0; i < full.location_size(); ++i) location_index_[full.location(i).id()] = i;
    for (int i = 0; i < full.function_size(); ++i) function_index_[full.function(i).id()] = i;
    for (int i = 0; i < full.mapping_size(); ++i) mapping_index_[full.mapping(i).id()] = i;
  }

  using Entry = std::pair<const std::vector<uint64_t>*, std::pair<int64_t, int64_t>>;

  pprof::Profile cut(std::span<const Entry> entries, int64_t start_ns, int64_t duration_ns) {
    strings_.clear();
    string_ids_.clear();
    add_string("");
    pprof::Profile out;
    for (const auto& type : full_.sample_type()) {
      auto* vt = out.add_sample_type();
      vt->set_type(full_string(type.type()));
      vt->set_unit(full_string(type.unit()));
    }
    out.mutable_period_type()->set_type(full_string(full_.period_type().type()));
    out.mutable_period_type()->set_unit(full_string(full_.period_type().unit()));
    out.set_period(full_.period());
    out.set_time_nanos(start_ns);
    out.set_duration_nanos(duration_ns);
    for (int64_t comment : full_.comment()) out.add_comment(full_string(comment));

    std::unordered_set<uint64_t> locations, functions, mappings;
    const int64_t key_span_id = add_string("span_id");
    const int64_t key_trace_id = add_string("trace_id");
    const int64_t key_span_name = add_string("span_name");
    for (const Entry& entry : entries) {
      const std::vector<uint64_t>& key = *entry.first;
      auto* sample = out.add_sample();
      size_t n = key[0];
      for (size_t i = 1; i <= n; ++i) {
        sample->add_location_id(key[i]);
        locations.insert(key[i]);
      }
      const int64_t label_keys[kLabelWords] = {key_span_id, key_trace_id, key_span_name};
      for (size_t i = 0; i < kLabelWords; ++i) {
        uint64_t value = key[1 + n + i];
        if (value == 0) continue;
        auto* label = sample->add_label();
        label->set_key(label_keys[i]);
        label->set_str(add_string(label_strings_[value]));
      }
      sample->add_value(entry.second.first);
      sample->add_value(entry.second.second);
    }
    // Locations in id order, so the output does not depend on hashing.
    std::vector<uint64_t> sorted(locations.begin(), locations.end());
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t id : sorted) {
      auto it = location_index_.find(id);
      if (it == location_index_.end()) continue;
      auto* location = out.add_location();
      *location = full_.location(it->second);
      if (location->mapping_id() != 0) mappings.insert(location->mapping_id());
      for (const auto& line : location->line()) functions.insert(line.function_id());
    }
    sorted.assign(functions.begin(), functions.end());
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t id : sorted) {
      auto it = function_index_.find(id);
      if (it == function_index_.end()) continue;
      const auto& from = full_.function(it->second);
      auto* function = out.add_function();
      function->set_id(from.id());
      function->set_name(full_string(from.name()));
      function->set_system_name(full_string(from.system_name()));
      function->set_filename(full_string(from.filename()));
      function->set_start_line(from.start_line());
    }
    sorted.assign(mappings.begin(), mappings.end());
    std::sort(sorted.begin(), sorted.end());
    for (uint64_t id : sorted) {
      auto it = mapping_index_.find(id);
      if (it == mapping_index_.end()) continue;
      auto* mapping = out.add_mapping();
      *mapping = full_.mapping(it->second);
      mapping->set_filename(full_string(mapping->filename()));
      mapping->set_build_id(full_string(mapping->build_id()));
    }
    for (const std::string& s : strings_) out.add_string_table(s);
    return out;
  }

 private:
  int64_t add_string(const std::string& s) {
    auto [it, inserted] = string_ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (inserted) strings_.push_back(s);
    return it->second;
  }
  int64_t full_string(int64_t index) {
    if (index <= 0 || index >= full_.string_table_size()) return add_string("");
    return add_string(full_.string_table(static_cast<int>(index)));
  }

  const pprof::Profile& full_;
  const std::vector<std::string>& label_strings_;
  std::unordered_map<uint64_t, int> location_index_, function_index_, mapping_index_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, int64_t> string_ids_;
};

}  // namespace

std::string ProfileWindows::dominant_service_name() const { return most_common(services_); }
std::string ProfileWindows::dominant_thread_name() const { return most_common(thread_names_); }

Result<std::vector<WindowedProfile>> ProfileWindows::build(int64_t shift_ns, size_t max_samples,
                                                          size_t max_profile_bytes) const {
  if (template_error_) return std::unexpected(*template_error_);
  if (!template_) return make_error("the join produced no profile", "push");
  max_samples = std::max<size_t>(max_samples, 1);
  ProfileCutter cutter(template_->profile, strings_);
  std::vector<WindowedProfile> out;
  for (const auto& [start, window] : windows_) {
    std::vector<ProfileCutter::Entry> entries;
    entries.reserve(window->samples.size());
    for (const auto& [key, values] : window->samples) {
      entries.push_back({&key, {values.count, values.weight}});
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return *a.first < *b.first; });
    int64_t start_ns = start + shift_ns;

    // Pieces of at most max_samples; a piece whose bytes exceed the limit is
    // halved until it fits.
    std::vector<std::pair<size_t, size_t>> pending;  // [begin, end), processed from the back
    for (size_t begin = entries.size(); begin > 0;) {
      size_t size = (begin - 1) % max_samples + 1;
      pending.emplace_back(begin - size, begin);
      begin -= size;
    }
    while (!pending.empty()) {
      auto [begin, end] = pending.back();
      pending.pop_back();
      std::span<const ProfileCutter::Entry> piece(entries.data() + begin, end - begin);
      pprof::Profile profile = cutter.cut(piece, start_ns, window_ns_);
      std::string bytes;
      if (!profile.SerializeToString(&bytes)) {
        return make_error("cannot serialize a window profile", "push");
      }
      if (bytes.size() > max_profile_bytes) {
        if (piece.size() == 1) {
          return make_error(fmt::format("one sample's profile takes {} bytes, over the limit of {}",
                                        bytes.size(), max_profile_bytes),
                            "push", "the stack is too deep for the server's profile size limit");
        }
        size_t middle = begin + piece.size() / 2;
        pending.emplace_back(middle, end);
        pending.emplace_back(begin, middle);
        continue;
      }
      WindowedProfile result;
      result.start_ns = start_ns;
      result.end_ns = start_ns + window_ns_;
      result.pprof = std::move(bytes);
      result.samples = piece.size();
      for (const auto& entry : piece) result.events += static_cast<uint64_t>(entry.second.first);
      out.push_back(std::move(result));
    }
  }
  return out;
}

}  // namespace spanprof::push
