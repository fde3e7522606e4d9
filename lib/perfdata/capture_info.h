// What a perf.data capture says about itself: its events (attrs) and header features.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spanprof::perfdata {

// perf_event_attr fields spanprof uses. Parsed with the attr's own size (attr_size),
// never sizeof(perf_event_attr).
struct EventAttr {
  uint32_t type = 0;  // PERF_TYPE_*
  uint32_t size = 0;
  uint64_t config = 0;
  uint64_t sample_period_or_freq = 0;
  uint64_t sample_type = 0;  // PERF_SAMPLE_* bits
  uint64_t read_format = 0;
  uint64_t flags = 0;  // the bitfield word at byte 40
  uint64_t branch_sample_type = 0;
  uint64_t sample_regs_user = 0;
  uint32_t sample_stack_user = 0;
  int32_t clockid = 0;
  std::vector<uint64_t> ids;  // sample ids that map to this attr
  // From EVENT_DESC (file mode) or EVENT_UPDATE (pipe mode) when present, e.g.
  // "cpu-clock:ppp"; else a tracepoint's "system:name" from TRACING_DATA.
  std::string name;

  bool freq() const { return (flags >> 10) & 1; }
  bool sample_id_all() const { return (flags >> 18) & 1; }
  bool use_clockid() const { return (flags >> 25) & 1; }
  // --switch-events: the kernel writes PERF_RECORD_SWITCH for the event's tasks.
  bool context_switch() const { return (flags >> 26) & 1; }
  // cpu-clock and task-clock count nanoseconds: their period is CPU time.
  bool is_cpu_clock() const { return type == 1 && (config == 0 || config == 1); }
};

// CLOCK_DATA feature (written with perf record -k): one reference pair.
struct ClockData {
  uint32_t version = 0;
  uint32_t clockid = 0;
  uint64_t tod_ns = 0;      // wall clock (Unix ns) at the reference instant
  uint64_t clockid_ns = 0;  // the sample clock at the same instant
};

// One field of a tracepoint's record, from its format in TRACING_DATA
// (e.g. "field:long prev_state;	offset:32;	size:8;	signed:1;").
struct TracepointField {
  std::string name;  // "prev_state"; arrays keep their name without the [N]
  uint32_t offset = 0;
  uint32_t size = 0;
  bool is_signed = false;
};

// A tracepoint event's format: attr.config of a PERF_TYPE_TRACEPOINT (2) event is its id.
struct TracepointFormat {
  std::string system;  // "sched"
  std::string name;    // "sched_switch"
  uint64_t id = 0;
  std::vector<TracepointField> fields;  // common_* fields included
  const TracepointField* field(std::string_view field_name) const {
    for (const TracepointField& f : fields) {
      if (f.name == field_name) return &f;
    }
    return nullptr;
  }
};

// One entry of the BUILD_ID feature (or a HEADER_BUILD_ID record in pipe mode).
struct BuildIdEntry {
  int32_t pid = 0;
  uint16_t misc = 0;      // cpumode bits tell kernel from user
  std::string build_id;   // lowercase hex
  std::string filename;
};

struct CaptureInfo {
  bool pipe_mode = false;
  uint64_t file_size = 0;  // 0 when read from a pipe
  std::vector<EventAttr> attrs;
  std::vector<BuildIdEntry> build_ids;
  std::optional<ClockData> clock_data;
  std::optional<uint64_t> clockid_res_ns;     // CLOCKID feature
  std::optional<uint64_t> first_sample_time;  // SAMPLE_TIME feature
  std::optional<uint64_t> last_sample_time;
  std::string hostname;    // HOSTNAME feature
  std::string os_release;  // OSRELEASE feature
  std::string perf_version;  // VERSION feature
  std::vector<std::string> cmdline;  // CMDLINE feature
  // Event formats from TRACING_DATA (the file feature, or pipe mode's
  // HEADER_TRACING_DATA record, which arrives before the samples).
  std::vector<TracepointFormat> tracepoints;
  // Header features that could not be decoded and were skipped (one line each).
  std::vector<std::string> warnings;
};

}  // namespace spanprof::perfdata
