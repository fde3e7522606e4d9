// spanprof join: a perf capture and its spans in, a span-labelled pprof out.
//
// Drives the pipeline: perf.data records in time order -> threads & mappings ->
// symbolized stacks -> span attribution -> profile builder -> pprof writer.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "activations/activation_set.h"
#include "attribute/coarse_clock_repair.h"
#include "attribute/match_diagnosis.h"
#include "attribute/span_attribution.h"
#include "attribute/span_index.h"
#include "attribute/span_tree.h"
#include "capture/capture_record.h"
#include "common/result.h"
#include "common/warning.h"
#include "join/namespace_mapping.h"
#include "join/span_time.h"
#include "offcpu/switch_pairing.h"
#include "perfdata/reader.h"
#include "process/process_table.h"
#include "profile/profile_builder.h"
#include "spans/span_reader.h"
#include "stacks/hot_functions.h"
#include "stacks/stack_resolver.h"
#include "symbolize/symbolizer.h"

namespace spanprof::join {

enum class KernelSymbols { kAuto, kAlways, kNever };

// One labelled sample as it enters the profile, with its time: lets a caller
// (spanprof push) cut the join's samples into time windows.
struct SampleEvent {
  std::optional<int64_t> unix_ns;  // absent when the capture has no clock data
  int64_t period = 0;
  std::span<const uint64_t> location_ids;  // ids of the profile's locations, leaf first
  std::span<const profile::Label> labels;
  // What the profile's */count columns add: 1 per perf sample; an off-CPU
  // interval split at span boundaries counts its switch on its first piece only.
  uint32_t count = 1;
  uint32_t pid = 0;
  uint32_t tid = 0;
  // The innermost span the sample fell in (an index of the joined SpanSet,
  // as on_spans gives it); attribute::kNoSpan outside spans or without any.
  uint32_t span = attribute::kNoSpan;
};

class SampleSink {
 public:
  virtual ~SampleSink() = default;
  virtual void on_sample(const SampleEvent& sample) = 0;
  // After the last sample, before on_profile, when spans were joined: the
  // spans SampleEvent::span indexes, with their tree.
  virtual void on_spans(const attribute::SpanAttribution& /*attribution*/) {}
  // After the last sample, before the profile is written: the builder holds
  // the locations, functions and mappings the samples' ids refer to.
  virtual void on_profile(const profile::ProfileBuilder& builder) = 0;
};

struct JoinOptions {
  std::string perf_data_path;  // "-" reads a pipe-mode capture from standard input
  std::vector<std::string> span_files;  // OTLP JSON Lines or length-prefixed protobuf
  // Activation files (docs/activations.md) and the notes of writers that gave up.
  std::vector<std::string> activation_files;
  std::vector<std::string> activation_error_notes;
  // DIR/namespace-ids.tsv (capture/namespace_ids.h): spans stamped in a pid
  // namespace are moved to the host's ids before the join; "" for none.
  std::string namespace_ids_path;
  std::string output_path;     // gzipped pprof
  std::string summary_path;    // summary.json; "" writes none
  attribute::SpanScope span_scope = attribute::SpanScope::kRoot;
  int64_t clock_offset_ns = 0;  // added to sample times (known skew against the spans' clock)
  // Used when perf.data has no CLOCK_DATA (a capture cut short): capture.json's clocks.
  std::optional<perfdata::ClockData> fallback_clock;
  spans::SpanReaderOptions span_reader;
  KernelSymbols kernel_symbols = KernelSymbols::kAuto;
  bool include_kernel_frames = true;
  size_t hottest_count = 10;  // functions listed in JoinReport::hottest
  symbolize::SymbolizerOptions symbolizer;
  SampleSink* sample_sink = nullptr;  // also receives every sample (not owned)
  // Off-CPU captures (sched:sched_switch + --switch-events, issue #13): the
  // off-CPU and wall profiles' samples (not owned; null: none). Their
  // SampleEvent::period is nanoseconds (off-CPU, resp. wall); labels are the
  // primary profile's plus thread_state on off-CPU samples.
  SampleSink* off_cpu_sink = nullptr;
  SampleSink* wall_sink = nullptr;
  // --event NAME: the sampling event whose profile goes to output_path; ""
  // takes the capture's first. Every other sampling event gets a profile of
  // its own beside it (capture/layout.h names them).
  std::string event_name;
  bool write_profile = true;          // false: output_path is not written (spanprof push)
  // A capture with no samples gives a report with samples = 0 and a warning
  // instead of an error (spanprof report and export: their files say so).
  bool allow_empty = false;
  // What opening the inputs found worth a warning (capture::Capture's), passed
  // on to JoinReport::warnings.
  std::vector<Warning> input_warnings;
  // The span-matching flags as the user gave them (--tid-attribute,
  // --clock-offset, --spans, --activations, --max-spans, --span-scope; absent
  // = not given). apply_span_matching (join/capture_inputs.h) puts them into
  // the fields above; join_options_for takes capture.json's recorded ones
  // when none is given.
  capture::RecordedJoin matching;
  // Lines worth telling the user that are no warning (JoinReport::notes).
  std::vector<std::string> input_notes;
  // Called as perf.data is read (perfdata::Reader::set_progress): the CLI's
  // progress bar. Not called for small captures.
  perfdata::Reader::Progress progress;
};

struct EventSummary {
  std::string name;
  std::string sample_unit;  // "cpu/nanoseconds" or "events/count"
  uint64_t period = 0;      // profile period, in the unit above
};

// What the activation records did (docs/activations.md).
struct ActivationReport {
  std::vector<std::string> files;
  activations::ActivationStats read;
  attribute::ActivationSampleStats samples;
  uint64_t records_outside_capture = 0;  // more than a second outside the samples' time
  std::vector<Warning> warnings;          // the reader's: files skipped, torn, writers' notes
};

// What happened to the spans; present when span files were given.
struct SpanReport {
  std::vector<std::string> files;
  spans::SpanReadStats read;
  attribute::SpanTreeStats tree;
  attribute::SpanIndexStats index;
  attribute::CoarseClockStats coarse_clock;
  attribute::AttributionSummary attribution;
  // Present when activation files were given.
  std::optional<ActivationReport> activations;
  // Why spans met no sample: span processes whose ids the capture never
  // sampled, and disjoint time ranges (each also a kSpanMatch warning).
  attribute::MatchDiagnosis matching;
  // Present when a namespace-ids file was read.
  std::optional<NamespaceMappingStats> namespace_mapping;
  // Each process's service, from the resources of its spans (process.pid):
  // where a server that files profiles by service puts that process's samples
  // outside any span. Filled by the join (issue #19).
  struct ProcessService {
    std::string service_name;
    std::string service_namespace;  // resource service.namespace, "" when absent
  };
  std::map<uint32_t, ProcessService> services_by_pid;
  // Set when spans could not be joined (no clock data): the profile was written
  // without span labels.
  std::optional<Error> join_error;
};

// The off-CPU join's outcome (docs/off-cpu.md); present when the capture has
// switch records and sched:sched_switch samples (spanprof run --off-cpu).
struct OffCpuReport {
  std::string off_cpu_path;  // "" when not written (spanprof push)
  std::string wall_path;     // "" when not written
  std::string wall_missing;  // why there is no wall profile; "" when there is one
  offcpu::PairingStats pairing;
  stacks::StackStats stacks;  // of the switch-out stacks
  uint64_t sched_switch_samples = 0;
  uint64_t samples_state_undecoded = 0;  // raw data not decodable: state unknown
  std::string format_problem;  // why sched_switch's format is unusable ("" when it is)
  uint64_t switch_records = 0;
  uint64_t idle_switch_records = 0;  // of the idle task (tid 0): not a thread of the app
  uint64_t idle_samples = 0;         // sched_switch samples of the idle task: left out
  uint64_t records_without_time = 0; // switch records and samples with no time: left out
  uint64_t pieces = 0;               // off-CPU samples after splitting at span boundaries
  std::array<int64_t, kThreadStates> off_cpu_ns{};  // complete intervals, by offcpu::ThreadState
  std::array<uint64_t, kThreadStates> intervals{};
  int64_t off_cpu_ns_in_spans = 0;
  int64_t wall_cpu_ns = 0;  // CPU samples' periods in the wall profile
  uint64_t wall_cpu_samples = 0;
  std::vector<stacks::HotFunction> hottest;  // by off-CPU time
  std::optional<SpanTimeReport> span_time;   // with spans and a clock
};

// A sampling event other than the main one: its own profile beside it.
struct OtherEventReport {
  EventSummary event;
  std::string output_path;  // "" when not written
  uint64_t samples = 0;
  int64_t total_weight = 0;
  uint64_t pprof_samples = 0;
};

struct JoinReport {
  std::string output_path;
  std::string summary_path;
  EventSummary event;
  uint64_t samples = 0;          // samples written to the profile
  int64_t total_weight = 0;      // sum of sample values in the event's unit
  uint64_t samples_other_events = 0;  // samples of the other events (in their own profiles)
  std::vector<OtherEventReport> other_events;
  std::optional<OffCpuReport> off_cpu;
  uint64_t pprof_samples = 0;    // pprof samples after merging: distinct (stack, label set) pairs
  uint64_t unique_stacks = 0;    // distinct location sequences among them, whatever their labels
  uint64_t threads = 0;
  std::optional<int64_t> start_unix_ns;  // when the capture has clock data
  int64_t duration_ns = 0;
  bool kernel_symbols_used = false;
  perfdata::ReadStats read;
  process::ProcessTableStats processes;
  symbolize::SymbolizerStats symbols;
  stacks::StackStats stacks;
  std::vector<stacks::HotFunction> hottest;  // by self weight, in the event's unit
  std::optional<SpanReport> spans;
  std::vector<Warning> warnings;
  // Informational lines: e.g. the span-matching options taken from capture.json.
  std::vector<std::string> notes;
  // No samples at all (only with JoinOptions::allow_empty; the rest is unset).
  bool empty = false;
};

// Errors: the capture cannot be opened or holds nothing usable (no samples), a
// span file cannot be opened, or the output cannot be written. Damage after
// usable data, bad span lines and a failed span join are reported, not fatal.
Result<JoinReport> run_join(const JoinOptions& options);

}  // namespace spanprof::join
