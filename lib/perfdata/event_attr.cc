#include "perfdata/event_attr.h"

#include <array>
#include <cstring>
#include <string_view>

#include "common/byte_reader.h"
#include "perfdata/perf_abi.h"

namespace spanprof::perfdata {
namespace {

template <class T>
T field_at(std::span<const std::byte> bytes, size_t offset) {
  T value{};
  if (offset + sizeof(T) <= bytes.size()) std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

uint64_t u64_at(std::span<const std::byte> bytes, size_t offset) {
  return field_at<uint64_t>(bytes, offset);
}

// tools/perf/util/evsel.c: evsel__hw_names, evsel__sw_names (by config).
constexpr std::array<std::string_view, 10> kHardwareNames{
    "cycles",       "instructions",  "cache-references",        "cache-misses",
    "branches",     "branch-misses", "bus-cycles",              "stalled-cycles-frontend",
    "stalled-cycles-backend",        "ref-cycles"};
constexpr std::array<std::string_view, 12> kSoftwareNames{
    "cpu-clock",        "task-clock",       "page-faults", "context-switches",
    "cpu-migrations",   "minor-faults",     "major-faults", "alignment-faults",
    "emulation-faults", "dummy",            "bpf-output",   "cgroup-switches"};

// evsel.c evsel__hw_cache, evsel__hw_cache_op, evsel__hw_cache_result and
// evsel__hw_cache_stat (which ops each cache has). config = cache | op << 8 | result << 16.
constexpr std::array<std::string_view, 7> kCacheNames{"L1-dcache", "L1-icache", "LLC", "dTLB",
                                                      "iTLB",      "branch",    "node"};
constexpr std::array<std::string_view, 3> kCacheOpNames{"load", "store", "prefetch"};
constexpr std::array<std::string_view, 3> kCacheOpPlurals{"loads", "stores", "prefetches"};
constexpr unsigned kRead = 1, kWrite = 2, kPrefetch = 4;
constexpr std::array<unsigned, 7> kCacheOps{kRead | kWrite | kPrefetch, kRead | kPrefetch,
                                            kRead | kWrite | kPrefetch, kRead | kWrite | kPrefetch,
                                            kRead, kRead, kRead | kWrite | kPrefetch};

std::string hw_cache_name(uint64_t config) {
  const uint64_t cache = config & 0xff, op = (config >> 8) & 0xff, result = (config >> 16) & 0xff;
  if (config >> 24 != 0 || cache >= kCacheNames.size() || op >= kCacheOpNames.size() ||
      result > 1 || !(kCacheOps[cache] & (1U << op))) {
    return {};
  }
  std::string name(kCacheNames[cache]);
  name += '-';
  // __evsel__hw_cache_type_op_res_name: "L1-dcache-loads", "L1-dcache-load-misses".
  name += result == 0 ? kCacheOpPlurals[op] : kCacheOpNames[op];
  if (result == 1) name += "-misses";
  return name;
}

// evsel.c evsel__add_modifiers: which privilege levels and hosts are counted,
// and the precise_ip level, as perf appends them (":u", ":ppp", ":H").
std::string modifiers(uint64_t flags) {
  auto bit = [flags](int n) { return ((flags >> n) & 1) != 0; };
  const bool exclude_user = bit(4), exclude_kernel = bit(5), exclude_hv = bit(6);
  const bool exclude_host = bit(19), exclude_guest = bit(20);
  const unsigned precise_ip = static_cast<unsigned>((flags >> 15) & 3);
  std::string mods;
  bool exclude_guest_default = false;
  if (exclude_kernel || exclude_user || exclude_hv) {
    if (!exclude_kernel) mods += 'k';
    if (!exclude_user) mods += 'u';
    if (!exclude_hv) mods += 'h';
    exclude_guest_default = true;
  }
  if (precise_ip != 0) {
    mods.append(precise_ip, 'p');
    exclude_guest_default = true;
  }
  if (exclude_host || exclude_guest == exclude_guest_default) {
    if (!exclude_host) mods += 'H';
    if (!exclude_guest) mods += 'G';
  }
  return mods.empty() ? mods : ":" + mods;
}

std::string generic_name(const EventAttr& attr) {
  switch (attr.type) {
    case abi::kTypeHardware:
      if (attr.config < kHardwareNames.size()) return std::string(kHardwareNames[attr.config]);
      return {};
    case abi::kTypeSoftware:
      if (attr.config < kSoftwareNames.size()) return std::string(kSoftwareNames[attr.config]);
      return {};
    case abi::kTypeHwCache:
      return hw_cache_name(attr.config);
    default:
      return {};
  }
}

}  // namespace

std::string event_name(const EventAttr& attr) {
  if (!attr.name.empty()) return attr.name;
  std::string name = generic_name(attr);
  if (name.empty()) return "type " + std::to_string(attr.type) + " config " + std::to_string(attr.config);
  return name + modifiers(attr.flags);
}

EventAttr parse_event_attr(std::span<const std::byte> bytes) {
  namespace off = abi::attr_offset;
  EventAttr attr;
  attr.type = field_at<uint32_t>(bytes, off::kType);
  attr.size = field_at<uint32_t>(bytes, off::kSize);
  attr.config = field_at<uint64_t>(bytes, off::kConfig);
  attr.sample_period_or_freq = field_at<uint64_t>(bytes, off::kSamplePeriod);
  attr.sample_type = field_at<uint64_t>(bytes, off::kSampleType);
  attr.read_format = field_at<uint64_t>(bytes, off::kReadFormat);
  attr.flags = field_at<uint64_t>(bytes, off::kFlags);
  attr.branch_sample_type = field_at<uint64_t>(bytes, off::kBranchSampleType);
  attr.sample_regs_user = field_at<uint64_t>(bytes, off::kSampleRegsUser);
  attr.sample_stack_user = field_at<uint32_t>(bytes, off::kSampleStackUser);
  attr.clockid = field_at<int32_t>(bytes, off::kClockid);
  return attr;
}

void AttrIndex::rebuild(const std::vector<EventAttr>& attrs) {
  attr_count_ = attrs.size();
  by_id_.clear();
  for (size_t i = 0; i < attrs.size(); ++i) {
    for (uint64_t id : attrs[i].ids) by_id_.emplace(id, i);
  }
  id_pos_ = -1;
  is_pos_ = -1;
  sample_id_all_ = false;
  if (attrs.empty()) return;
  // evsel.c __evsel__calc_id_pos / __evsel__calc_is_pos, from the first attr.
  const uint64_t type = attrs.front().sample_type;
  sample_id_all_ = attrs.front().sample_id_all();
  if (type & abi::kSampleIdentifier) {
    id_pos_ = 0;
    is_pos_ = 1;
  } else if (type & abi::kSampleId) {
    id_pos_ = 0;
    for (uint64_t bit : {abi::kSampleIp, abi::kSampleTid, abi::kSampleTime, abi::kSampleAddr}) {
      if (type & bit) ++id_pos_;
    }
    is_pos_ = 1;
    for (uint64_t bit : {abi::kSampleCpu, abi::kSampleStreamId}) {
      if (type & bit) ++is_pos_;
    }
  }
}

void AttrIndex::add_last(const std::vector<EventAttr>& attrs) {
  // The id positions come from the first attr only, so they stay as they are.
  if (attrs.size() <= 1 || attrs.size() != attr_count_ + 1) {
    rebuild(attrs);
    return;
  }
  attr_count_ = attrs.size();
  for (uint64_t id : attrs.back().ids) by_id_.emplace(id, attrs.size() - 1);
}

std::optional<size_t> AttrIndex::by_id(uint64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> AttrIndex::for_sample(std::span<const std::byte> record) const {
  if (attr_count_ == 0) return std::nullopt;
  if (attr_count_ == 1 || id_pos_ < 0) return 0;
  const size_t offset = abi::kRecordHeaderSize + 8 * static_cast<size_t>(id_pos_);
  if (offset + 8 > record.size()) return std::nullopt;
  return by_id(u64_at(record, offset));
}

std::optional<size_t> AttrIndex::for_non_sample(std::span<const std::byte> record) const {
  if (attr_count_ == 0) return std::nullopt;
  if (attr_count_ == 1 || is_pos_ < 0 || !sample_id_all_) return 0;
  const size_t back = 8 * static_cast<size_t>(is_pos_);
  if (back + abi::kRecordHeaderSize > record.size()) return 0;
  return by_id(u64_at(record, record.size() - back)).value_or(0);
}

}  // namespace spanprof::perfdata
