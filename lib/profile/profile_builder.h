// pprof profile builder: owns deduplication of strings, mappings, functions,
// locations and samples, validates itself, writes gzipped profile.proto.
//
// Takes: mappings, symbolized locations and labelled samples. Gives: a pprof
// file that `go tool pprof` and Grafana Pyroscope read. Memory grows with unique
// stacks x label sets, never with the number of samples added.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "symbolize/frame.h"

namespace spanprof::profile {

struct ValueType {
  std::string type;  // e.g. "samples", "cpu"
  std::string unit;  // e.g. "count", "nanoseconds"
};

struct MappingInfo {
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  std::string filename;
  std::string build_id;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

class ProfileBuilder;

// What a location holds, as add_location got it: views into the builder's
// strings, valid while it lives.
struct LocationLine {
  std::string_view function;
  std::string_view file;
  int64_t line = 0;
};
struct LocationInfo {
  std::string_view mapping;  // the mapping's file name ("" without a mapping)
  uint64_t address = 0;
  std::vector<LocationLine> lines;  // innermost first; empty when unsymbolized
};

// Locations of one builder re-numbered into another, each copied once.
class LocationImporter {
 public:
  LocationImporter(const ProfileBuilder& from, ProfileBuilder& to) : from_(from), to_(to) {}
  // ids of `from` (leaf first) -> ids of `to`, into out (cleared first).
  void map(std::span<const uint64_t> ids, std::vector<uint64_t>& out);

 private:
  const ProfileBuilder& from_;
  ProfileBuilder& to_;
  std::vector<uint64_t> ids_;  // by id of `from`; 0 = not copied yet
};

// A sample label: a string value, or a number (str empty) with an optional unit.
struct Label {
  std::string key;
  std::string str;
  int64_t num = 0;
  std::string num_unit;
};

class ProfileBuilder {
 public:
  // sample_types: the value columns of every sample (e.g. samples/count, cpu/nanoseconds).
  ProfileBuilder(std::vector<ValueType> sample_types, ValueType period_type, int64_t period);
  ~ProfileBuilder();
  ProfileBuilder(const ProfileBuilder&) = delete;
  ProfileBuilder& operator=(const ProfileBuilder&) = delete;

  // Deduplicated: the same MappingInfo gives the same id. Ids start at 1.
  uint64_t add_mapping(const MappingInfo& mapping);

  // Deduplicated by (mapping_id, address). mapping_id 0 = none. frames innermost
  // first; empty frames leave the location unsymbolized (address only).
  uint64_t add_location(uint64_t mapping_id, uint64_t address, const symbolize::Frames& frames);

  // The id here of location `location_id` of `from` (another builder): its
  // mapping, functions and lines are copied (deduplicated like add_location).
  // Lets several profiles of one join share one symbolization.
  uint64_t import_location(const ProfileBuilder& from, uint64_t location_id);

  // Adds values to the sample with these locations (leaf first) and labels;
  // identical (locations, labels) are merged by summing values.
  void add_sample(std::span<const uint64_t> location_ids, std::span<const Label> labels,
                  std::span<const int64_t> values);

  void set_time_nanos(int64_t unix_ns);
  void set_duration_nanos(int64_t ns);
  void add_comment(std::string_view comment);

  uint64_t sample_count() const;    // distinct samples after merging
  // Distinct location sequences among the samples, whatever their labels.
  // Walks every sample: call once, after the last add_sample.
  uint64_t stack_count() const;
  uint64_t location_count() const;
  // Location location_id (1..location_count()); empty when out of range.
  LocationInfo location(uint64_t location_id) const;
  uint64_t function_count() const;

  // Checks internal consistency (ids in range, value counts), then serializes,
  // gzips and writes path atomically (temp file + rename).
  Result<void> write_gzipped(const std::string& path) const;

  // Uncompressed serialized profile.proto bytes.
  Result<std::string> serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spanprof::profile
