// Reading sched:sched_switch's raw record (PERF_SAMPLE_RAW) with the format
// the capture itself holds.
//
// Takes: CaptureInfo::tracepoints (from TRACING_DATA) and a sample's raw
// bytes. Gives: the event's id (attr.config of its PERF_TYPE_TRACEPOINT attr)
// and, per sample, prev_state, prev_pid and next_pid, every read bounds
// checked. Field offsets come from the format, never from a fixed layout
// (FACTS, "Scheduler events": prev_state (long) @32 on x86-64 6.x).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "perfdata/capture_info.h"

namespace spanprof::offcpu {

struct SchedSwitchFields {
  uint64_t prev_state = 0;  // as state_from_prev_state reads it
  uint32_t prev_pid = 0;    // the tid leaving the CPU (the kernel's pid is a tid)
  uint32_t next_pid = 0;    // the tid coming in
};

class SchedSwitchFormat {
 public:
  // The sched:sched_switch format among the capture's tracepoints. Error when
  // it is missing or lacks prev_state, prev_pid or next_pid of a usable size.
  static Result<SchedSwitchFormat> find(const std::vector<perfdata::TracepointFormat>& formats);

  uint64_t id() const { return id_; }
  // Error when the record is too short for a field, or its common_type names
  // another event.
  Result<SchedSwitchFields> decode(std::span<const std::byte> raw) const;

 private:
  struct Field {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  uint64_t id_ = 0;
  Field common_type_;  // size 0: the format has none
  Field prev_state_;
  Field prev_pid_;
  Field next_pid_;
};

}  // namespace spanprof::offcpu
