#include "attribute/clock_alignment.h"

#include <ctime>
#include <string>

namespace spanprof::attribute {

namespace {

const char* clock_name(int32_t clockid) {
  switch (clockid) {
    case CLOCK_REALTIME: return "realtime";
    case CLOCK_MONOTONIC: return "monotonic";
    case CLOCK_MONOTONIC_RAW: return "monotonic_raw";
    case CLOCK_BOOTTIME: return "boottime";
    case CLOCK_TAI: return "tai";
    default: return "unknown";
  }
}

constexpr const char* kRecordHint =
    "record with `perf record -k monotonic` (spanprof run does this) so samples carry a "
    "clock that can be aligned with span times";

}  // namespace

Result<ClockAlignment> ClockAlignment::from_capture(const perfdata::CaptureInfo& capture,
                                                    const perfdata::EventAttr& attr,
                                                    int64_t offset_ns,
                                                    const perfdata::ClockData* fallback) {
  if (!attr.use_clockid()) {
    return make_error("samples use perf's default clock (local_clock), which has no relation to "
                      "wall time", "perf.data", kRecordHint);
  }
  // CLOCK_REALTIME samples already are Unix nanoseconds.
  if (attr.clockid == CLOCK_REALTIME) return ClockAlignment(offset_ns);

  if (!capture.clock_data && fallback != nullptr &&
      static_cast<int32_t>(fallback->clockid) == attr.clockid) {
    return ClockAlignment(static_cast<int64_t>(fallback->tod_ns) -
                          static_cast<int64_t>(fallback->clockid_ns) + offset_ns);
  }
  if (!capture.clock_data) {
    return make_error(std::string("samples use the ") + clock_name(attr.clockid) +
                          " clock but the capture has no CLOCK_DATA reference",
                      "perf.data", kRecordHint);
  }
  const perfdata::ClockData& ref = *capture.clock_data;
  // perf falls back to CLOCK_MONOTONIC in the attr when the requested clock is
  // refused, while CLOCK_DATA still names the requested one (FACTS.md).
  if (static_cast<int32_t>(ref.clockid) != attr.clockid) {
    return make_error(std::string("samples use the ") + clock_name(attr.clockid) +
                          " clock but CLOCK_DATA describes the " +
                          clock_name(static_cast<int32_t>(ref.clockid)) + " clock",
                      "perf.data", kRecordHint);
  }
  // perf script -F +tod: wall = tod_ns + (t - clockid_ns).
  int64_t delta = static_cast<int64_t>(ref.tod_ns) - static_cast<int64_t>(ref.clockid_ns);
  return ClockAlignment(delta + offset_ns);
}

}  // namespace spanprof::attribute
