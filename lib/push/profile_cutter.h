// One pprof profile cut from the join's whole profile: the samples given, and
// only the locations, functions, mappings and strings they use.
//
// Takes: the join's profile (the template), the sample label strings and the
// period type to send; per cut, entries of (key, count, weight) where a key is
//   [location count n, location ids..., span_id, trace_id, span_name, thread_state]
// and the last kLabelWords words index label_strings (0 = no such label).
// Gives: the profile with time_nanos/duration_nanos set, the label keys
// span_id, trace_id, span_name and thread_state (only those used), one value
// per sample type of the template (a */count type gets the entry's count,
// any other its weight: samples/count + cpu/nanoseconds, switches/count +
// off_cpu/nanoseconds, wall/nanoseconds), and has_functions kept only on mappings
// whose every location in it has a line (Pyroscope clears the addresses of a
// has_functions mapping, so unsymbolized frames would show empty), and every
// string as valid UTF-8 (the server refuses a profile with invalid UTF-8).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pprof.pb.h"

namespace spanprof::push {

inline constexpr size_t kLabelWords = 4;  // span_id, trace_id, span_name, thread_state
inline constexpr const char* kLabelKeys[kLabelWords] = {"span_id", "trace_id", "span_name",
                                                      "thread_state"};

// text with every byte that starts no well-formed UTF-8 sequence replaced by
// U+FFFD: every string of a cut profile goes through it.
std::string valid_utf8(std::string_view text);

class ProfileCutter {
 public:
  struct Entry {
    const std::vector<uint64_t>* key;
    int64_t count;
    int64_t weight;
  };

  // The period type a cut profile carries instead of the template's.
  struct PeriodType {
    std::string type;  // "" with unit "": no period type (and period 0)
    std::string unit;
  };

  ProfileCutter(const pprof::Profile& full, const std::vector<std::string>& label_strings,
                std::optional<PeriodType> period_type = std::nullopt);

  pprof::Profile cut(std::span<const Entry> entries, int64_t start_ns, int64_t duration_ns);

 private:
  int64_t add_string(const std::string& s);
  int64_t full_string(int64_t index);

  const pprof::Profile& full_;
  const std::vector<std::string>& label_strings_;
  std::optional<PeriodType> period_type_;
  std::vector<bool> value_is_count_;  // per sample type of the template
  std::unordered_map<uint64_t, int> location_index_, function_index_, mapping_index_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, int64_t> string_ids_;
};

}  // namespace spanprof::push
