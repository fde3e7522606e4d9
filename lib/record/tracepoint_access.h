// May perf record sched:sched_switch here? `spanprof run --off-cpu` asks before
// the command starts, and says what is missing and how to fix it.
//
// Kernel (kernel/trace/trace_event_perf.c, perf_trace_event_perm): sampling a
// tracepoint's raw fields needs perf_event_paranoid -1 or CAP_PERFMON (or
// CAP_SYS_ADMIN, which implies it). perf also reads the tracepoint's id from
// tracefs (events/sched/sched_switch/id), root-only by default, and mounts
// tracefs itself only when it runs as root.
//
// Takes the facts (probed, or injected by tests); gives ok or one error.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::record {

enum class TracefsState {
  kReadable,  // events/sched/sched_switch/id opens for reading
  kDenied,    // mounted, but this user may not read the id (EACCES)
  kNoEvent,   // mounted and readable, without a sched_switch event
  kMissing,   // not mounted there
};

struct TracefsProbe {
  std::string mount;  // /sys/kernel/tracing or /sys/kernel/debug/tracing
  TracefsState state = TracefsState::kMissing;
};

struct TracepointAccessFacts {
  bool root = false;                // effective uid 0
  bool perf_has_perfmon = false;    // perf gets CAP_PERFMON or CAP_SYS_ADMIN
  bool spanprof_has_perfmon = false;  // spanprof has it effective (perf may not inherit it)
  int paranoid = 2;                 // kernel.perf_event_paranoid
  std::string perf_path;
  std::vector<TracefsProbe> tracefs;  // in perf's order of preference
};

// The facts of this machine and process. perf's capabilities: spanprof's
// ambient set (inherited across exec) and perf's file capabilities (setcap).
TracepointAccessFacts probe_tracepoint_access(const std::string& perf_path);

// Fails with what is missing ("where" names the tracefs file or sysctl) and the
// commands that fix it.
Result<void> check_tracepoint_access(const TracepointAccessFacts& facts);

}  // namespace spanprof::record
