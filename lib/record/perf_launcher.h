// `perf record` as the parent of the profiled command: finding perf, checking
// that this user may profile with the requested event, building the command
// line, and finding the command's pid under perf.
//
//   perf record -F HZ -g -k monotonic --buildid-mmap -N -o DIR/perf.data [-e EVENT] -- CMD...
//
// With off_cpu, every switch-out is a sample and the switches are recorded too:
//
//   perf record -c 1 -e cpu-clock/freq=HZ/ -e sched:sched_switch/call-graph=dwarf,stack-size=N/
//               --switch-events -g -k monotonic ... -m PAGES -- CMD...
//
// FACTS (perf 6.1): -F and -c together are refused, and -F would put the
// tracepoint in frequency mode too, which thins a busy thread's switches; so
// the period is 1 for all events and the sampling event carries its own
// freq term. Tracepoint terms accept only call-graph and stack-size.
//
// -k monotonic: the sample clock spans can be aligned with (FACTS: -k realtime
// only works with software events). -N: no ~/.debug cache, --buildid-mmap: build
// ids in the MMAP2 records instead.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace spanprof::record {

// The tracepoint --off-cpu samples at every switch-out.
inline constexpr std::string_view kSwitchTracepoint = "sched:sched_switch";
// Bytes of user stack copied at each switch-out with dwarf stacks: perf's own
// default; about 8.6 KB of perf.data per switch (docs/off-cpu.md has the figures).
inline constexpr int kOffCpuStackBytes = 8192;
// perf's -m with --off-cpu, pages per CPU (2 MiB): on 8 threads switching ~13k/s
// each with dwarf stacks, perf's default 128 lost 1-4% of the records, 512 about
// 0.01% (docs/off-cpu.md); beyond that perf's writer, not the buffer, is the limit.
inline constexpr int kOffCpuMmapPages = 512;

struct PerfOptions {
  int frequency_hz = 999;
  std::string call_graph = "fp";  // "fp" (-g) or "dwarf[,STACK_BYTES]"
  std::string event;              // "" leaves perf's default (cycles, or cpu-clock without a PMU)
  bool user_space_only = false;   // --all-user: set when perf_event_paranoid forbids kernel samples
  // --off-cpu: sched:sched_switch at every switch-out and --switch-events, with
  // the sampling event (cpu-clock unless event is set) at frequency_hz.
  bool off_cpu = false;
  // How sched_switch takes its stacks: "dwarf[,STACK_BYTES]" (the default:
  // frame pointers lose the caller of libc's blocking wrappers, FACTS) or "fp".
  std::string off_cpu_stacks = "dwarf";
  int mmap_pages = 0;  // perf -m, pages per CPU (a power of 2); 0: perf's own, or kOffCpuMmapPages
};

// Fails with the install command when perf is not in PATH.
Result<std::string> find_perf();

// What perf_event_paranoid lets this process profile.
struct PerfAccess {
  int paranoid = 2;
  bool privileged = false;      // root, CAP_PERFMON or CAP_SYS_ADMIN
  bool kernel_allowed = false;  // kernel samples of its own processes
  std::string explanation;      // for the user, when !privileged and kernel samples are barred
};

// Fails, explaining the setting and the fix, when no profiling is allowed at all.
Result<PerfAccess> check_perf_access();

// Checks that frequency, call graphs, ring buffer and events are usable values.
Result<void> validate_options(const PerfOptions& options);

// With off_cpu: the sampling event with its freq term ("cpu-clock/freq=999/",
// "cycles/freq=999/u", "cpu/event=0x3c,freq=999/"), and the sched_switch event
// with its stack terms ("sched:sched_switch/call-graph=dwarf,stack-size=8192/").
std::string off_cpu_sampling_event(const PerfOptions& options);
std::string off_cpu_switch_event(const PerfOptions& options);

// The full argv, perf_path first.
std::vector<std::string> perf_record_argv(const std::string& perf_path, const PerfOptions& options,
                                          const std::string& output_path,
                                          const std::vector<std::string>& command);

// Records `true` with the same options into scratch_path (removed afterwards):
// fails with perf's own message when the event is unknown or not permitted, or
// when perf would silently replace the requested event (cycles without a PMU).
Result<void> preflight(const std::string& perf_path, const PerfOptions& options,
                       const std::string& scratch_path);

// "perf version 6.1.192", or "" when perf does not say.
std::string perf_version(const std::string& perf_path);

// The command perf runs: perf's child once it has exec'd (its executable is no
// longer perf's), or 0. Best effort: needs /proc/PID/task/TID/children.
pid_t find_workload_pid(pid_t perf_pid);

// perf's child whether or not it has exec'd yet, or 0.
pid_t find_child_pid(pid_t perf_pid);

}  // namespace spanprof::record
