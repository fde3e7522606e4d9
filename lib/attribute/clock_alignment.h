// Sample clock -> Unix time.
//
// Takes: the capture's event attr (clockid) and CLOCK_DATA. Gives: Unix
// nanoseconds for a sample timestamp, the time base span times use.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::attribute {

class ClockAlignment {
 public:
  // Fails when the samples cannot be put on the wall clock: perf's default
  // local_clock, or no CLOCK_DATA for the attr's clock. The hint says how to
  // record (-k monotonic). offset_ns is added to every converted time
  // (--clock-offset, for known skew).
  // fallback stands in for a missing CLOCK_DATA when it describes the attr's clock.
  static Result<ClockAlignment> from_capture(const perfdata::CaptureInfo& capture,
                                             const perfdata::EventAttr& attr,
                                             int64_t offset_ns = 0,
                                             const perfdata::ClockData* fallback = nullptr);

  int64_t to_unix_ns(uint64_t sample_time) const {
    return static_cast<int64_t>(sample_time) + delta_ns_;
  }

  // Unix time minus sample time (tod_ns - clockid_ns + offset).
  int64_t delta_ns() const { return delta_ns_; }

 private:
  explicit ClockAlignment(int64_t delta_ns) : delta_ns_(delta_ns) {}
  int64_t delta_ns_ = 0;
};

}  // namespace spanprof::attribute
