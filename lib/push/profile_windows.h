// The join's samples cut into time windows, each turned into pprof profiles
// the Pyroscope server accepts: only span_id / trace_id / span_name sample
// labels (Pyroscope turns any other sample label into a series label), at most
// ShapeLimits::max_samples samples and max_profile_bytes serialized bytes each.
//
// Takes: every sample of a join (as its SampleSink) and the finished profile
// builder (locations, functions, mappings). Gives: per window, one or more
// uncompressed pprof profiles holding only what their samples refer to.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "join/join.h"

namespace spanprof::push {

struct WindowedProfile {
  int64_t start_ns = 0;  // unix ns, the profile's time_nanos
  int64_t end_ns = 0;    // start_ns + duration_nanos
  std::string pprof;     // uncompressed profile.proto bytes
  uint64_t samples = 0;  // pprof samples (distinct stacks x labels)
  uint64_t events = 0;   // perf samples they sum up
};

class ProfileWindows final : public join::SampleSink {
 public:
  // window_ns > 0; keep_span_name: span_name stays a sample label.
  ProfileWindows(int64_t window_ns, bool keep_span_name);
  ~ProfileWindows() override;

  void on_sample(const join::SampleEvent& sample) override;
  void on_profile(const profile::ProfileBuilder& builder) override;

  uint64_t samples() const { return samples_; }                   // perf samples seen
  uint64_t samples_without_time() const { return untimed_; }      // left out: no clock data
  std::optional<int64_t> first_ns() const;                         // earliest sample time
  std::optional<int64_t> last_ns() const;                          // latest sample time
  size_t window_count() const { return windows_.size(); }
  // Sample label names seen and not sent (pid, tid, thread_name, ...), sorted.
  std::vector<std::string> dropped_label_names() const;
  // span_id values of the samples kept (16 hex), to mark the forwarded spans.
  const std::set<std::string>& labelled_span_ids() const { return span_ids_; }
  // service_name sample label seen on most samples ("" when none).
  std::string dominant_service_name() const;
  std::string dominant_thread_name() const;

  // The profiles of every window in time order, times moved by shift_ns (a
  // multiple of window_ns, so the windows stay aligned). Fails when the
  // builder was not seen or one sample alone exceeds max_profile_bytes.
  Result<std::vector<WindowedProfile>> build(int64_t shift_ns, size_t max_samples,
                                             size_t max_profile_bytes) const;

 private:
  struct Window;
  struct Template;

  uint32_t intern(std::string_view text);

  int64_t window_ns_;
  bool keep_span_name_;
  std::vector<std::string> strings_;  // sample label values, index 0 = ""
  std::unordered_map<std::string, uint32_t> string_ids_;
  std::map<int64_t, std::unique_ptr<Window>> windows_;  // by window start
  std::set<std::string> dropped_;
  std::set<std::string> span_ids_;
  std::map<std::string, uint64_t> services_;
  std::map<std::string, uint64_t> thread_names_;
  std::unique_ptr<Template> template_;
  std::optional<Error> template_error_;
  std::vector<uint64_t> key_;  // scratch
  uint64_t samples_ = 0;
  uint64_t untimed_ = 0;
  int64_t first_ns_ = INT64_MAX;
  int64_t last_ns_ = INT64_MIN;
};

// floor(value / step) * step, also for negative values.
int64_t floor_to_multiple(int64_t value, int64_t step);

}  // namespace spanprof::push
