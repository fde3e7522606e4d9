#include "perfdata/event_attr.h"

#include <cstring>

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

}  // namespace

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
