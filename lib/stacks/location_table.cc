#include "stacks/location_table.h"

namespace spanprof::stacks {

size_t LocationTable::FrameKeyHash::operator()(const FrameKey& key) const {
  uint64_t h = reinterpret_cast<uintptr_t>(key.mapping) * 0x9E3779B97F4A7C15ull;
  h ^= key.address + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  h ^= static_cast<uint64_t>(key.pid) * 0xC2B2AE3D27D4EB4Full;
  return static_cast<size_t>(h);
}

uint64_t LocationTable::add(const FrameKey& key, const symbolize::Frames& frames) {
  uint64_t mapping_id = key.mapping ? mapping_id_for(*key.mapping, frames) : 0;
  uint64_t id = builder_.add_location(mapping_id, key.address, frames);
  new_.push_back({id, &frames, key.address});
  return id;
}

uint64_t LocationTable::mapping_id_for(const process::Mapping& mapping,
                                       const symbolize::Frames& frames) {
  if (auto it = mapping_ids_.find(&mapping); it != mapping_ids_.end()) return it->second;
  profile::MappingInfo info;
  info.memory_start = mapping.start;
  info.memory_limit = mapping.end;
  info.file_offset = mapping.pgoff;
  info.filename = mapping.filename;
  info.build_id = mapping.build_id;
  // pprof tools re-symbolize mappings without functions; decided from the
  // first address looked up in the mapping.
  info.has_functions = !frames.empty();
  info.has_filenames = !frames.empty() && !frames.front().file.empty();
  info.has_line_numbers = !frames.empty() && frames.front().line != 0;
  info.has_inline_frames = info.has_line_numbers;
  uint64_t id = builder_.add_mapping(info);
  mapping_ids_.emplace(&mapping, id);
  return id;
}

}  // namespace spanprof::stacks
