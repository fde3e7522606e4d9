#include "profile/profile_builder.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "common/durable_file.h"
#include "pprof.pb.h"
#include "profile/gzip.h"

namespace spanprof::profile {
namespace {

// splitmix64's finalizer: every input bit affects every output bit.
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t hash_words(std::span<const uint64_t> words) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ words.size();
  for (uint64_t w : words) h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  return h;
}

struct WordsHash {
  size_t operator()(const std::vector<uint64_t>& words) const { return hash_words(words); }
};

// Interned string indices; the dedup keys below are made of them.
struct MappingKey {
  uint64_t memory_start, memory_limit, file_offset;
  int64_t filename, build_id;
  uint8_t flags;
  bool operator==(const MappingKey&) const = default;
};

struct FunctionKey {
  int64_t name, system_name, filename, start_line;
  bool operator==(const FunctionKey&) const = default;
};

struct LocationKey {
  uint64_t mapping_id, address;
  bool operator==(const LocationKey&) const = default;
};

struct KeyHash {
  size_t operator()(const MappingKey& k) const {
    const uint64_t words[] = {k.memory_start,
                              k.memory_limit,
                              k.file_offset,
                              static_cast<uint64_t>(k.filename),
                              static_cast<uint64_t>(k.build_id),
                              k.flags};
    return hash_words(words);
  }
  size_t operator()(const FunctionKey& k) const {
    const uint64_t words[] = {static_cast<uint64_t>(k.name), static_cast<uint64_t>(k.system_name),
                              static_cast<uint64_t>(k.filename),
                              static_cast<uint64_t>(k.start_line)};
    return hash_words(words);
  }
  size_t operator()(const LocationKey& k) const {
    const uint64_t words[] = {k.mapping_id, k.address};
    return hash_words(words);
  }
};

struct LineRecord {
  uint64_t function_id;
  int64_t line;
};

struct LocationRecord {
  LocationKey key;
  std::vector<LineRecord> lines;  // innermost first, as pprof wants
};

// A sample key is one flat word vector: [n_locations, location ids...,
// then per label: key, str, num, num_unit] (strings as table indices).
constexpr size_t kWordsPerLabel = 4;

}  // namespace

struct ProfileBuilder::Impl {
  std::vector<ValueType> sample_types;
  ValueType period_type;
  int64_t period = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  std::vector<int64_t> comments;

  // A deque never moves its strings, so the map can key on views of them.
  std::deque<std::string> strings{""};
  std::unordered_map<std::string_view, int64_t> string_ids{{strings.front(), 0}};

  std::vector<MappingKey> mappings;
  std::unordered_map<MappingKey, uint64_t, KeyHash> mapping_ids;
  std::vector<FunctionKey> functions;
  std::unordered_map<FunctionKey, uint64_t, KeyHash> function_ids;
  std::vector<LocationRecord> locations;
  std::unordered_map<LocationKey, uint64_t, KeyHash> location_ids;

  // Keys live in the map (node-based: stable addresses); sample_keys keeps
  // insertion order so output is deterministic. Values: sample_types.size() per sample.
  std::unordered_map<std::vector<uint64_t>, size_t, WordsHash> sample_index;
  std::vector<const std::vector<uint64_t>*> sample_keys;
  std::vector<int64_t> sample_values;
  std::vector<uint64_t> scratch_key;
  // The first add_sample misuse, reported by validate().
  std::string deferred_error;

  int64_t intern(std::string_view s) {
    if (auto it = string_ids.find(s); it != string_ids.end()) return it->second;
    auto id = static_cast<int64_t>(strings.size());
    strings.emplace_back(s);
    string_ids.emplace(strings.back(), id);
    return id;
  }

  uint64_t add_function(const symbolize::Frame& frame) {
    FunctionKey key{intern(frame.function),
                    intern(frame.system_name.empty() ? frame.function : frame.system_name),
                    intern(frame.file), frame.start_line};
    auto [it, inserted] = function_ids.try_emplace(key, functions.size() + 1);
    if (inserted) functions.push_back(key);
    return it->second;
  }

  Result<void> validate() const;
  pprof::Profile to_proto() const;
};

ProfileBuilder::ProfileBuilder(std::vector<ValueType> sample_types, ValueType period_type,
                               int64_t period)
    : impl_(std::make_unique<Impl>()) {
  impl_->sample_types = std::move(sample_types);
  impl_->period_type = std::move(period_type);
  impl_->period = period;
  for (const auto& type : impl_->sample_types) {
    impl_->intern(type.type);
    impl_->intern(type.unit);
  }
  impl_->intern(impl_->period_type.type);
  impl_->intern(impl_->period_type.unit);
}

ProfileBuilder::~ProfileBuilder() = default;

uint64_t ProfileBuilder::add_mapping(const MappingInfo& m) {
  uint8_t flags = static_cast<uint8_t>(m.has_functions | m.has_filenames << 1 |
                                       m.has_line_numbers << 2 | m.has_inline_frames << 3);
  MappingKey key{m.memory_start,
                 m.memory_limit,
                 m.file_offset,
                 impl_->intern(m.filename),
                 impl_->intern(m.build_id),
                 flags};
  auto [it, inserted] = impl_->mapping_ids.try_emplace(key, impl_->mappings.size() + 1);
  if (inserted) impl_->mappings.push_back(key);
  return it->second;
}

uint64_t ProfileBuilder::add_location(uint64_t mapping_id, uint64_t address,
                                      const symbolize::Frames& frames) {
  LocationKey key{mapping_id, address};
  auto [it, inserted] = impl_->location_ids.try_emplace(key, impl_->locations.size() + 1);
  if (!inserted) return it->second;
  LocationRecord record{key, {}};
  record.lines.reserve(frames.size());
  for (const auto& frame : frames) {
    record.lines.push_back({impl_->add_function(frame), frame.line});
  }
  impl_->locations.push_back(std::move(record));
  return it->second;
}

uint64_t ProfileBuilder::import_location(const ProfileBuilder& from, uint64_t location_id) {
  const Impl& src = *from.impl_;
  if (location_id == 0 || location_id > src.locations.size()) {
    if (impl_->deferred_error.empty()) {
      impl_->deferred_error = "import_location: location id " + std::to_string(location_id) +
                              " out of range";
    }
    return 0;
  }
  const LocationRecord& record = src.locations[location_id - 1];
  auto text = [&](int64_t id) -> std::string_view { return src.strings[static_cast<size_t>(id)]; };
  uint64_t mapping_id = 0;
  if (record.key.mapping_id != 0) {
    const MappingKey& m = src.mappings[record.key.mapping_id - 1];
    MappingKey key{m.memory_start, m.memory_limit, m.file_offset, impl_->intern(text(m.filename)),
                   impl_->intern(text(m.build_id)), m.flags};
    auto [it, inserted] = impl_->mapping_ids.try_emplace(key, impl_->mappings.size() + 1);
    if (inserted) impl_->mappings.push_back(key);
    mapping_id = it->second;
  }
  LocationKey key{mapping_id, record.key.address};
  auto [it, inserted] = impl_->location_ids.try_emplace(key, impl_->locations.size() + 1);
  if (!inserted) return it->second;
  LocationRecord copy{key, {}};
  copy.lines.reserve(record.lines.size());
  for (const LineRecord& line : record.lines) {
    const FunctionKey& f = src.functions[line.function_id - 1];
    FunctionKey fkey{impl_->intern(text(f.name)), impl_->intern(text(f.system_name)),
                     impl_->intern(text(f.filename)), f.start_line};
    auto [fit, finserted] = impl_->function_ids.try_emplace(fkey, impl_->functions.size() + 1);
    if (finserted) impl_->functions.push_back(fkey);
    copy.lines.push_back({fit->second, line.line});
  }
  impl_->locations.push_back(std::move(copy));
  return it->second;
}

LocationInfo ProfileBuilder::location(uint64_t location_id) const {
  const Impl& s = *impl_;
  LocationInfo out;
  if (location_id == 0 || location_id > s.locations.size()) return out;
  const LocationRecord& record = s.locations[location_id - 1];
  auto text = [&](int64_t id) -> std::string_view { return s.strings[static_cast<size_t>(id)]; };
  out.address = record.key.address;
  if (record.key.mapping_id != 0) out.mapping = text(s.mappings[record.key.mapping_id - 1].filename);
  out.lines.reserve(record.lines.size());
  for (const LineRecord& line : record.lines) {
    const FunctionKey& f = s.functions[line.function_id - 1];
    out.lines.push_back({text(f.name), text(f.filename), line.line});
  }
  return out;
}

void LocationImporter::map(std::span<const uint64_t> ids, std::vector<uint64_t>& out) {
  out.clear();
  for (uint64_t id : ids) {
    if (id >= ids_.size()) ids_.resize(id + 1, 0);
    if (ids_[id] == 0) ids_[id] = to_.import_location(from_, id);
    out.push_back(ids_[id]);
  }
}

void ProfileBuilder::add_sample(std::span<const uint64_t> location_ids,
                                std::span<const Label> labels, std::span<const int64_t> values) {
  Impl& s = *impl_;
  const size_t width = s.sample_types.size();
  if (values.size() != width) {
    if (s.deferred_error.empty()) {
      s.deferred_error = "a sample has " + std::to_string(values.size()) + " values, expected " +
                         std::to_string(width) + " (one per sample type)";
    }
    return;
  }
  auto& key = s.scratch_key;
  key.clear();
  key.push_back(location_ids.size());
  key.insert(key.end(), location_ids.begin(), location_ids.end());
  for (const Label& label : labels) {
    key.push_back(static_cast<uint64_t>(s.intern(label.key)));
    key.push_back(static_cast<uint64_t>(s.intern(label.str)));
    key.push_back(static_cast<uint64_t>(label.num));
    key.push_back(static_cast<uint64_t>(s.intern(label.num_unit)));
  }
  size_t index;
  if (auto it = s.sample_index.find(key); it != s.sample_index.end()) {
    index = it->second;
  } else {
    index = s.sample_keys.size();
    auto inserted = s.sample_index.emplace(key, index).first;
    s.sample_keys.push_back(&inserted->first);
    s.sample_values.resize(s.sample_values.size() + width, 0);
  }
  int64_t* sums = s.sample_values.data() + index * width;
  for (size_t i = 0; i < width; ++i) sums[i] += values[i];
}

void ProfileBuilder::set_time_nanos(int64_t unix_ns) { impl_->time_nanos = unix_ns; }
void ProfileBuilder::set_duration_nanos(int64_t ns) { impl_->duration_nanos = ns; }
void ProfileBuilder::add_comment(std::string_view comment) {
  impl_->comments.push_back(impl_->intern(comment));
}

uint64_t ProfileBuilder::sample_count() const { return impl_->sample_keys.size(); }
uint64_t ProfileBuilder::stack_count() const {
  // A key starts with [n_locations, location ids...]: that prefix is the stack.
  // The keys live in sample_index, so views into them stay valid here.
  struct PrefixHash {
    size_t operator()(std::span<const uint64_t> words) const { return hash_words(words); }
  };
  struct PrefixEqual {
    bool operator()(std::span<const uint64_t> a, std::span<const uint64_t> b) const {
      return std::ranges::equal(a, b);
    }
  };
  std::unordered_set<std::span<const uint64_t>, PrefixHash, PrefixEqual> stacks;
  stacks.reserve(impl_->sample_keys.size());
  for (const std::vector<uint64_t>* key : impl_->sample_keys) {
    stacks.insert(std::span<const uint64_t>(key->data(), 1 + (*key)[0]));
  }
  return stacks.size();
}
uint64_t ProfileBuilder::location_count() const { return impl_->locations.size(); }
uint64_t ProfileBuilder::function_count() const { return impl_->functions.size(); }

// quipper's Builder::CheckValid: catch caller mistakes before a reader does.
Result<void> ProfileBuilder::Impl::validate() const {
  const std::string where = "profile builder";
  if (!deferred_error.empty()) return make_error(deferred_error, where);
  if (sample_types.empty()) return make_error("no sample types", where);
  for (size_t i = 0; i < locations.size(); ++i) {
    const auto& location = locations[i];
    if (location.key.mapping_id > mappings.size()) {
      return make_error("location " + std::to_string(i + 1) + " names mapping " +
                            std::to_string(location.key.mapping_id) + " but only " +
                            std::to_string(mappings.size()) + " mappings exist",
                        where);
    }
    for (const auto& line : location.lines) {
      if (line.function_id == 0 || line.function_id > functions.size()) {
        return make_error("location " + std::to_string(i + 1) + " names unknown function " +
                              std::to_string(line.function_id),
                          where);
      }
    }
  }
  for (size_t i = 0; i < sample_keys.size(); ++i) {
    const auto& key = *sample_keys[i];
    const uint64_t n_locations = key[0];
    for (uint64_t j = 1; j <= n_locations; ++j) {
      if (key[j] == 0 || key[j] > locations.size()) {
        return make_error(
            "sample " + std::to_string(i + 1) + " names unknown location " + std::to_string(key[j]),
            where, "pass ids returned by add_location");
      }
    }
  }
  if (sample_values.size() != sample_keys.size() * sample_types.size()) {
    return make_error("sample value table does not match the sample count", where);
  }
  return {};
}

pprof::Profile ProfileBuilder::Impl::to_proto() const {
  pprof::Profile out;
  // Every string was interned when it was added, so lookups cannot miss.
  auto index_of = [&](const std::string& s) { return string_ids.at(s); };
  for (const auto& type : sample_types) {
    auto* vt = out.add_sample_type();
    vt->set_type(index_of(type.type));
    vt->set_unit(index_of(type.unit));
  }
  out.mutable_period_type()->set_type(index_of(period_type.type));
  out.mutable_period_type()->set_unit(index_of(period_type.unit));
  out.set_period(period);
  out.set_time_nanos(time_nanos);
  out.set_duration_nanos(duration_nanos);
  for (int64_t comment : comments) out.add_comment(comment);

  for (size_t i = 0; i < mappings.size(); ++i) {
    const auto& m = mappings[i];
    auto* pm = out.add_mapping();
    pm->set_id(i + 1);
    pm->set_memory_start(m.memory_start);
    pm->set_memory_limit(m.memory_limit);
    pm->set_file_offset(m.file_offset);
    pm->set_filename(m.filename);
    pm->set_build_id(m.build_id);
    pm->set_has_functions(m.flags & 1);
    pm->set_has_filenames(m.flags & 2);
    pm->set_has_line_numbers(m.flags & 4);
    pm->set_has_inline_frames(m.flags & 8);
  }
  for (size_t i = 0; i < functions.size(); ++i) {
    const auto& f = functions[i];
    auto* pf = out.add_function();
    pf->set_id(i + 1);
    pf->set_name(f.name);
    pf->set_system_name(f.system_name);
    pf->set_filename(f.filename);
    pf->set_start_line(f.start_line);
  }
  for (size_t i = 0; i < locations.size(); ++i) {
    const auto& l = locations[i];
    auto* pl = out.add_location();
    pl->set_id(i + 1);
    pl->set_mapping_id(l.key.mapping_id);
    pl->set_address(l.key.address);
    for (const auto& line : l.lines) {
      auto* pline = pl->add_line();
      pline->set_function_id(line.function_id);
      pline->set_line(line.line);
    }
  }
  const size_t width = sample_types.size();
  for (size_t i = 0; i < sample_keys.size(); ++i) {
    const auto& key = *sample_keys[i];
    auto* ps = out.add_sample();
    const size_t n_locations = key[0];
    for (size_t j = 1; j <= n_locations; ++j) ps->add_location_id(key[j]);
    for (size_t j = 1 + n_locations; j + kWordsPerLabel <= key.size(); j += kWordsPerLabel) {
      auto* label = ps->add_label();
      label->set_key(static_cast<int64_t>(key[j]));
      // pprof: a label carries a string or a number, never both.
      if (key[j + 1] != 0) {
        label->set_str(static_cast<int64_t>(key[j + 1]));
      } else {
        label->set_num(static_cast<int64_t>(key[j + 2]));
        label->set_num_unit(static_cast<int64_t>(key[j + 3]));
      }
    }
    for (size_t v = 0; v < width; ++v) ps->add_value(sample_values[i * width + v]);
  }
  for (const auto& s : strings) out.add_string_table(s);
  return out;
}

Result<std::string> ProfileBuilder::serialize() const {
  if (auto valid = impl_->validate(); !valid) return std::unexpected(valid.error());
  std::string bytes;
  if (!impl_->to_proto().SerializeToString(&bytes)) {
    return make_error("cannot serialize profile", "profile builder");
  }
  return bytes;
}

Result<void> ProfileBuilder::write_gzipped(const std::string& path) const {
  auto bytes = serialize();
  if (!bytes) return std::unexpected(bytes.error());
  auto compressed = gzip_compress(*bytes);
  if (!compressed) {
    auto error = compressed.error();
    error.where = path;
    return std::unexpected(error);
  }
  return write_file_durably(path, *compressed);
}

}  // namespace spanprof::profile
