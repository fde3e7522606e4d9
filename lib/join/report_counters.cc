#include "join/report_counters.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "stacks/callchain_frames.h"
#include "unwind/dwarf_unwinder.h"

namespace spanprof::join {

namespace {

using enum CounterSection;
using enum CounterDisplay;

const SpanReport& spans_of(const JoinReport& report) {
  static const SpanReport kNone;
  return report.spans ? *report.spans : kNone;
}

const ActivationReport& activations_of(const JoinReport& report) {
  static const ActivationReport kNone;
  const SpanReport& spans = spans_of(report);
  return spans.activations ? *spans.activations : kNone;
}

const OffCpuReport& off_cpu_of(const JoinReport& report) {
  static const OffCpuReport kNone;
  return report.off_cpu ? *report.off_cpu : kNone;
}

std::vector<ReportCounter> off_cpu_counters() {
  return {
      {"switch_records", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).switch_records; }},
      {"idle_switch_records", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).idle_switch_records; }},
      {"sched_switch_samples", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).sched_switch_samples; }},
      {"idle_samples", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).idle_samples; }},
      {"records_without_time", kOffCpu, kAlways, "off-cpu",
       "switch records or sched_switch samples have no time: left out",
       [](const JoinReport& r) { return off_cpu_of(r).records_without_time; }},
      {"intervals", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.intervals; }},
      {"pieces", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).pieces; }},
      {"intervals_without_stack", kOffCpu, kAlways, "off-cpu",
       "off-CPU intervals have no stack (no sched_switch sample at their switch-out)",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.intervals_without_stack; }},
      {"samples_unpaired", kOffCpu, kAlways, "off-cpu",
       "sched_switch samples matched no switch-out record (left out)",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.samples_unpaired; }},
      {"samples_state_undecoded", kOffCpu, kAlways, "off-cpu",
       "sched_switch samples too short for prev_state: thread state unknown",
       [](const JoinReport& r) { return off_cpu_of(r).samples_state_undecoded; }},
      {"ins_without_out", kOffCpu, kUnlessQuiet, "off-cpu",
       "threads were off-CPU when the capture began: that time is not counted",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.ins_without_out; }},
      {"cut_capture_end", kOffCpu, kUnlessQuiet, "off-cpu",
       "intervals were still open when the capture ended: not counted",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.cut_capture_end; }},
      {"thread_starts", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.thread_starts; }},
      {"ins_after_in", kOffCpu, kAlways, "off-cpu",
       "switch-ins followed another switch-in (a switch-out record was lost)",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.ins_after_in; }},
      {"out_of_order", kOffCpu, kAlways, "off-cpu",
       "switch records came out of time order: their intervals were not counted",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.out_of_order; }},
      {"cut_thread_exit", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.cut_thread_exit; }},
      {"cut_lost", kOffCpu, kAlways, "off-cpu",
       "intervals overlapped lost records: not counted (their end is unknown; try a larger -m)",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.cut_lost; }},
      {"cut_lost_ns", kOffCpu, kJsonOnly, "", "",
       [](const JoinReport& r) { return off_cpu_of(r).pairing.cut_lost_ns; }},
  };
}

std::vector<ReportCounter> loss_counters() {
  return {
      {"lost_events", kLosses, kAlways, "lost",
       "events (perf ring buffer overflow: PERF_RECORD_LOST; try a lower -F or larger -m)",
       [](const JoinReport& r) { return r.read.lost_events; }},
      {"lost_samples", kLosses, kAlways, "lost", "samples (PERF_RECORD_LOST_SAMPLES)",
       [](const JoinReport& r) { return r.read.lost_samples; }},
      {"samples_without_event", kLosses, kAlways, "lost", "samples whose event id matched no event",
       [](const JoinReport& r) { return r.read.samples_without_attr; }},
      // Not a loss since each event has its own profile; kept for schema 1 readers.
      {"samples_other_events", kLosses, kJsonOnly, "", "",
       [](const JoinReport& r) { return r.samples_other_events; }},
      {"undecodable_records", kLosses, kAlways, "lost", "records that did not decode",
       [](const JoinReport& r) { return r.read.undecodable_records; }},
      {"skipped_records", kLosses, kUnlessQuiet, "skipped", "records of types spanprof does not use",
       [](const JoinReport& r) { return r.read.skipped_records; }},
      {"ordering_overflows", kLosses, kAlways, "lost",
       "ordering-buffer overflows (records may be slightly out of order)",
       [](const JoinReport& r) { return r.read.forced_flushes; }},
      {"truncated_stacks", kLosses, kAlways, "lost",
       fmt::format("stacks cut at the cap of {} frames (a corrupt or runaway-recursive callchain)",
                   stacks::CallchainFrames::kMaxFrames),
       [](const JoinReport& r) { return r.stacks.truncated_stacks; }},
      {"guest_frames_skipped", kLosses, kAlways, "lost", "guest (VM) frames skipped",
       [](const JoinReport& r) { return r.stacks.guest_frames_skipped; }},
      {"binaries_missing", kLosses, kAlways, "lost",
       "binaries not found: their frames keep raw addresses",
       [](const JoinReport& r) { return r.symbols.binaries_missing; }},
      {"binaries_changed", kLosses, kAlways, "lost",
       "binaries changed since recording: their frames keep raw addresses",
       [](const JoinReport& r) { return r.symbols.binaries_mismatched; }},
      {"addresses_unsymbolized", kLosses, kAlways, "symbols",
       "unique addresses left unsymbolized (raw addresses in the profile)",
       [](const JoinReport& r) { return r.symbols.addresses_unsymbolized; }},
      {"frames_outside_mappings", kLosses, kAlways, "symbols",
       "unique frame addresses outside every mapping and perf map (JIT code without a map, or a "
       "broken frame chain)",
       [](const JoinReport& r) { return r.stacks.frames_without_mapping; }},
      {"processes_without_perf_map", kLosses, kAlways, "symbols",
       "processes with such frames and no /tmp/perf-PID.map",
       [](const JoinReport& r) { return r.symbols.perf_maps_missing; }},
      {"perf_map_bad_lines", kLosses, kAlways, "symbols", "malformed perf-PID.map lines skipped",
       [](const JoinReport& r) { return r.symbols.perf_map_bad_lines; }},
  };
}

std::vector<ReportCounter> unwind_counters() {
  return {
      {"samples", kUnwind, kJsonOnly, "", "",
       [](const JoinReport& r) { return r.stacks.unwind.samples; }},
      {"samples_without_registers", kUnwind, kAlways, "unwind",
       "samples without user registers kept only their sampled address",
       [](const JoinReport& r) { return r.stacks.unwind.samples_without_registers; }},
      {"samples_other_arch", kUnwind, kAlways, "unwind",
       "samples not unwound: only x86_64 is unwound (32-bit or other CPU)",
       [](const JoinReport& r) { return r.stacks.unwind.samples_other_arch; }},
      {"frames", kUnwind, kJsonOnly, "", "",
       [](const JoinReport& r) { return r.stacks.unwind.frames; }},
      {"cfi_rules", kUnwind, kJsonOnly, "", "",
       [](const JoinReport& r) { return r.stacks.unwind.rules; }},
  };
}

std::vector<ReportCounter> unwind_stop_counters() {
  constexpr std::string_view kEarly = "stacks stopped early: ";
  return {
      // The clean end of an unwind, not a loss.
      {"end_of_stack", kUnwindStops, kJsonOnly, "", "",
       [](const JoinReport& r) { return r.stacks.unwind.end_of_stack; }},
      {"no_mapping", kUnwindStops, kAlways, "unwind",
       fmt::format("{}address outside every mapping", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_no_mapping; }},
      {"jit", kUnwindStops, kAlways, "unwind", fmt::format("{}JIT or anonymous code", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_jit; }},
      {"no_binary", kUnwindStops, kAlways, "unwind",
       fmt::format("{}binary missing, changed or not a file ([vdso] of another kernel)", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_no_binary; }},
      {"no_cfi", kUnwindStops, kAlways, "unwind",
       fmt::format("{}no .eh_frame/.debug_frame for the address", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_no_cfi; }},
      {"stack_copy_exhausted", kUnwindStops, kAlways, "unwind",
       fmt::format("{}the stack copy ended (record with a larger --call-graph dwarf,SIZE)", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_stack_exhausted; }},
      {"missing_register", kUnwindStops, kAlways, "unwind",
       fmt::format("{}a needed register was not recorded", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_missing_register; }},
      {"bad_cfi", kUnwindStops, kAlways, "unwind",
       fmt::format("{}unreadable or unsupported CFI", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_bad_cfi; }},
      {"depth_cap", kUnwindStops, kAlways, "unwind",
       fmt::format("{}depth cap of {} frames", kEarly, unwind::DwarfUnwinder::kMaxDepth),
       [](const JoinReport& r) { return r.stacks.unwind.stop_depth_cap; }},
      {"sp_not_increasing", kUnwindStops, kAlways, "unwind",
       fmt::format("{}stack pointer did not increase (corrupt stack)", kEarly),
       [](const JoinReport& r) { return r.stacks.unwind.stop_sp_not_increasing; }},
  };
}

std::vector<ReportCounter> span_counters() {
  return {
      {"lines", kSpans, kJsonOnly, "", "", [](const JoinReport& r) { return spans_of(r).read.lines; }},
      {"bad_lines", kSpans, kAlways, "spans", "lines or messages that did not decode (skipped)",
       [](const JoinReport& r) { return spans_of(r).read.bad_lines; }},
      {"files_cut_short", kSpans, kAlways, "spans",
       "span files cut short by corrupt gzip data or a read error (the rest was skipped)",
       [](const JoinReport& r) { return spans_of(r).read.files_cut_short; }},
      {"spans", kSpans, kJsonOnly, "", "", [](const JoinReport& r) { return spans_of(r).read.spans; }},
      // Both reasons together; the terminal lists them apart (bad_ids, spans_over_limit).
      {"bad_spans", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).read.bad_spans; }},
      {"bad_ids", kSpans, kAlways, "spans", "spans with missing or malformed ids (skipped)",
       [](const JoinReport& r) {
         const spans::SpanReadStats& read = spans_of(r).read;
         return read.bad_spans - read.spans_over_limit;
       }},
      {"spans_over_limit", kSpans, kAlways, "spans",
       "spans past --max-spans (skipped; raise the limit to keep them)",
       [](const JoinReport& r) { return spans_of(r).read.spans_over_limit; }},
      {"end_before_start", kSpans, kAlways, "spans",
       "spans ending before they start (end set to start)",
       [](const JoinReport& r) { return spans_of(r).read.spans_end_before_start; }},
      {"duplicate_span_ids", kSpans, kAlways, "spans",
       "spans repeating an earlier span id (dropped)",
       [](const JoinReport& r) { return spans_of(r).tree.duplicate_span_ids; }},
      {"parent_cycles", kSpans, kAlways, "spans", "parent links cut to break a cycle",
       [](const JoinReport& r) { return spans_of(r).tree.parent_cycles; }},
      {"local_roots", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).tree.local_roots; }},
      {"without_thread_id", kSpans, kAlways, "spans",
       "spans without an OS thread id: add the attribute thread.os_id (see README, "
       "\"Thread ids in spans\")",
       [](const JoinReport& r) {
         const SpanReport& spans = spans_of(r);
         return spans.index.spans_without_thread - spans.attribution.spans_placed_by_activation;
       }},
      {"placed_by_activation", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).attribution.spans_placed_by_activation; }},
      {"placed_by_thread_id", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).attribution.spans_placed_by_runtime_thread_id; }},
      {"ambiguous", kSpans, kAlways, "spans",
       "spans overlapping a non-parent span on the same thread (async runtime?): samples there get "
       "the spans' common ancestor or no span labels; activations name the running span "
       "(docs/activations.md)",
       [](const JoinReport& r) {
         const SpanReport& spans = spans_of(r);
         return spans.index.ambiguous_spans -
                std::min(spans.index.ambiguous_spans,
                         spans.attribution.ambiguous_spans_on_activated_threads);
       }},
      {"ambiguous_on_activated_threads", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return spans_of(r).attribution.ambiguous_spans_on_activated_threads;
       }},
      {"samples_by_common_ancestor", kSpans, kAlways, "spans",
       "samples among open spans that do not nest, labelled with their common ancestor",
       [](const JoinReport& r) { return spans_of(r).index.samples_by_common_ancestor; }},
      {"weight_by_common_ancestor", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return static_cast<uint64_t>(spans_of(r).index.weight_by_common_ancestor);
       }},
      {"samples_unlabelled_not_nested", kSpans, kAlways, "spans",
       "samples left without span labels: spans of different traces were open on their thread, "
       "so which one ran is unknown (record activations: docs/activations.md)",
       [](const JoinReport& r) { return spans_of(r).index.samples_unlabelled_not_nested; }},
      {"weight_unlabelled_not_nested", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return static_cast<uint64_t>(spans_of(r).index.weight_unlabelled_not_nested);
       }},
      {"coarse_clock", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).coarse_clock.coarse_spans; }},
      {"concurrent_coarse_clock", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).coarse_clock.concurrent_spans; }},
      {"moved_coarse_clock", kSpans, kAlways, "spans",
       "spans with millisecond start times moved later to where their siblings allow",
       [](const JoinReport& r) { return spans_of(r).coarse_clock.moved_spans; }},
      {"namespace_mapped", kSpans, kAlways, "spans",
       "spans moved to the host's pid and tid by namespace-ids.tsv (the app ran in a pid "
       "namespace)",
       [](const JoinReport& r) {
         const auto& mapping = spans_of(r).namespace_mapping;
         return mapping ? mapping->spans_mapped : 0;
       }},
      // Why spans met no sample; the terminal prints each as a warning (kSpanMatch).
      {"span_processes", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).matching.span_processes; }},
      {"processes_threads_not_sampled", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).matching.processes_threads_not_sampled; }},
      {"processes_wrong_pid", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).matching.processes_wrong_pid; }},
      {"processes_namespaced", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).matching.processes_namespaced; }},
      {"processes_not_in_capture", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).matching.processes_not_in_capture; }},
      {"spans_end_before_samples_ns", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return static_cast<uint64_t>(spans_of(r).matching.spans_end_before_samples_ns);
       }},
      {"spans_start_after_samples_ns", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return static_cast<uint64_t>(spans_of(r).matching.spans_start_after_samples_ns);
       }},
      {"samples_in_spans", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).attribution.samples_in_spans; }},
      {"with_samples", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).attribution.spans_with_samples; }},
      // The terminal prints these two in one sentence with the longest such span.
      {"without_samples", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) { return spans_of(r).attribution.spans_without_samples; }},
      {"without_samples_shorter_than_period", kSpans, kJsonOnly, "", "",
       [](const JoinReport& r) {
         return spans_of(r).attribution.spans_without_samples_shorter_than_period;
       }},
  };
}

// The terminal prints files, records, threads and samples in one sentence;
// warnings tell what the other non-zero ones cost.
std::vector<ReportCounter> activation_counters() {
  return {
      {"files_read", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.files; }},
      {"files_skipped", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.files_skipped; }},
      {"writer_errors", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.writer_errors; }},
      {"records", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.records; }},
      {"threads", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.threads; }},
      {"torn_bytes", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.torn_bytes; }},
      {"records_wrong_pid", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.records_wrong_pid; }},
      {"records_out_of_order", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).read.records_out_of_order; }},
      {"records_outside_capture", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).records_outside_capture; }},
      {"records_unknown_span", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.join.records_unknown_span; }},
      {"threads_without_clock", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.join.threads_without_clock; }},
      {"spans_activated", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.join.spans_activated; }},
      {"unknown_spans", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.join.unknown_spans; }},
      {"samples", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.samples; }},
      {"samples_in_spans", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.samples_in_spans; }},
      {"samples_no_span", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.samples_no_span; }},
      {"samples_before_first", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.samples_before_first; }},
      {"samples_unknown_span", kActivations, kJsonOnly, "", "",
       [](const JoinReport& r) { return activations_of(r).samples.samples_unknown_span; }},
  };
}

}  // namespace

std::span<const ReportCounter> report_counters(CounterSection section) {
  static const std::vector<ReportCounter> kLossCounters = loss_counters();
  static const std::vector<ReportCounter> kUnwindCounters = unwind_counters();
  static const std::vector<ReportCounter> kUnwindStopCounters = unwind_stop_counters();
  static const std::vector<ReportCounter> kSpanCounters = span_counters();
  static const std::vector<ReportCounter> kActivationCounters = activation_counters();
  static const std::vector<ReportCounter> kOffCpuCounters = off_cpu_counters();
  switch (section) {
    case kLosses: return kLossCounters;
    case kUnwind: return kUnwindCounters;
    case kUnwindStops: return kUnwindStopCounters;
    case kSpans: return kSpanCounters;
    case kActivations: return kActivationCounters;
    case kOffCpu: return kOffCpuCounters;
  }
  return {};
}

bool has_unwind(const JoinReport& report) {
  const unwind::UnwindStats& unwind = report.stacks.unwind;
  return unwind.samples > 0 || unwind.samples_without_registers > 0 ||
         unwind.samples_other_arch > 0;
}

}  // namespace spanprof::join
