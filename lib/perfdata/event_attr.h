// perf_event_attr decoding and the mapping from a record to the event it belongs to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "perfdata/capture_info.h"

namespace spanprof::perfdata {

// Decodes the fields spanprof uses from `bytes` (the attr as stored, of its own
// size). Fields past the end of `bytes` are zero, as the kernel's ABI versioning says.
EventAttr parse_event_attr(std::span<const std::byte> bytes);

// The event's name: the one the capture records (EVENT_DESC in file mode,
// EVENT_UPDATE in pipe mode), else the name perf gives a generic event of this
// type and config with its modifiers (evsel.c evsel__name: "branch-misses",
// "cycles:u", "L1-dcache-load-misses"), else "type T config C".
std::string event_name(const EventAttr& attr);

// Finds the attr of a record. perf's rule (evlist.c, evsel.c id_pos/is_pos):
// with IDENTIFIER the id is the first u64 of a sample and the last u64 of a
// non-sample record; otherwise with ID the position follows from the first attr's
// sample_type; a single attr needs no id.
class AttrIndex {
 public:
  void rebuild(const std::vector<EventAttr>& attrs);
  // rebuild() after one attr was appended, in time proportional to its ids: pipe
  // mode adds attrs one record at a time, and a stream of many would otherwise
  // take quadratic time.
  void add_last(const std::vector<EventAttr>& attrs);

  // Index into the attrs given to rebuild(), or nullopt when no attr matches.
  std::optional<size_t> for_sample(std::span<const std::byte> record) const;
  // For non-sample records: the attr whose sample_id trailer layout applies.
  // Falls back to the first attr (all attrs share the trailer layout in perf).
  std::optional<size_t> for_non_sample(std::span<const std::byte> record) const;
  // The attr that owns sample id `id` (EVENT_UPDATE names events by id).
  std::optional<size_t> by_id(uint64_t id) const;

 private:

  size_t attr_count_ = 0;
  int id_pos_ = -1;  // u64 index from the start of a sample body
  int is_pos_ = -1;  // u64 index from the end of a non-sample record (1 = last)
  bool sample_id_all_ = false;
  std::unordered_map<uint64_t, size_t> by_id_;
};

}  // namespace spanprof::perfdata
