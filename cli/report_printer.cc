#include "cli/report_printer.h"

#include <ctime>
#include <string>

#include <fmt/format.h>

namespace spanprof::cli {

namespace {

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string utc_time(int64_t unix_ns) {
  std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  std::tm tm {};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d} UTC", text, static_cast<int>((unix_ns / 1'000'000) % 1000));
}

std::string share(int64_t part, int64_t whole) {
  if (whole <= 0) return "0.0%";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string duration(int64_t ns) {
  if (ns >= 1'000'000'000) return fmt::format("{:.2f} s", static_cast<double>(ns) / 1e9);
  if (ns >= 1'000'000) return fmt::format("{:.2f} ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.1f} us", static_cast<double>(ns) / 1e3);
}

void print_spans(const join::SpanReport& spans, const join::JoinReport& report, bool quiet) {
  const spans::SpanReadStats& read = spans.read;
  const attribute::AttributionSummary& summary = spans.attribution;
  if (!quiet && !spans.join_error) {
    fmt::print("  spans      {} read from {} file(s); {} of samples inside spans\n",
               grouped(read.spans), spans.files.size(),
               share(static_cast<int64_t>(summary.samples_in_spans), static_cast<int64_t>(summary.samples)));
    if (!summary.by_name.empty()) {
      fmt::print("  span names by CPU (self, total incl. child spans on the thread, spans):\n");
      size_t shown = 0;
      for (const attribute::SpanCpu& cpu : summary.by_name) {
        if (++shown > 10) break;
        fmt::print("    {:>6} {:>6}  {} ({})\n", share(cpu.self, report.total_weight),
                   share(cpu.total, report.total_weight), cpu.name, grouped(cpu.spans));
      }
    }
  }
  if (summary.spans_without_samples > 0 && !spans.join_error) {
    fmt::print("  spans      {} got no sample ({} shorter than the {} sampling period)",
               grouped(summary.spans_without_samples),
               grouped(summary.spans_without_samples_shorter_than_period),
               duration(static_cast<int64_t>(report.event.period)));
    if (!summary.longest_without_samples.empty()) {
      const auto& longest = summary.longest_without_samples.front();
      fmt::print("; longest: {} {}", longest.name, duration(longest.duration_ns));
    }
    fmt::print("\n");
  }
  auto counter = [](uint64_t value, std::string_view what) {
    if (value > 0) fmt::print("  spans      {} {}\n", grouped(value), what);
  };
  counter(read.bad_lines, "lines or messages that did not decode (skipped)");
  counter(read.bad_spans - read.spans_over_limit, "spans with missing or malformed ids (skipped)");
  counter(read.spans_over_limit, "spans past --max-spans (skipped; raise the limit to keep them)");
  counter(read.spans_end_before_start, "spans ending before they start (end set to start)");
  counter(spans.tree.duplicate_span_ids, "spans repeating an earlier span id (dropped)");
  counter(spans.tree.parent_cycles, "parent links cut to break a cycle");
  counter(spans.index.spans_without_thread,
          "spans without an OS thread id: add the attribute thread.os_id (see README, "
          "\"Thread ids in spans\")");
  counter(spans.index.ambiguous_spans,
          "spans overlapping a non-parent span on the same thread (async runtime?): samples "
          "go to the latest started");
  counter(spans.coarse_clock.moved_spans,
          "spans with millisecond start times moved later to where their siblings allow");
  for (const std::string& problem : read.problems) fmt::print(stderr, "warning: {}\n", problem);
  if (spans.join_error) {
    fmt::print(stderr, "error: {}\n", spans.join_error->to_string());
  }
}

// Dwarf captures: frames found, then every non-zero reason an unwind stopped early.
void print_unwind(const unwind::UnwindStats& unwind, bool quiet) {
  if (unwind.samples == 0 && unwind.samples_without_registers == 0 &&
      unwind.samples_other_arch == 0) {
    return;
  }
  if (!quiet) {
    fmt::print("  unwind     {} samples unwound with dwarf, {} return addresses, {} CFI rules\n",
               grouped(unwind.samples), grouped(unwind.frames), grouped(unwind.rules));
  }
  auto stop = [](uint64_t value, std::string_view why) {
    if (value > 0) fmt::print("  unwind     {} stacks stopped early: {}\n", grouped(value), why);
  };
  stop(unwind.stop_stack_exhausted, "the stack copy ended (record with a larger --call-graph dwarf,SIZE)");
  stop(unwind.stop_no_binary, "binary missing, changed or not a file ([vdso] of another kernel)");
  stop(unwind.stop_no_cfi, "no .eh_frame/.debug_frame for the address");
  stop(unwind.stop_jit, "JIT or anonymous code");
  stop(unwind.stop_no_mapping, "address outside every mapping");
  stop(unwind.stop_missing_register, "a needed register was not recorded");
  stop(unwind.stop_bad_cfi, "unreadable or unsupported CFI");
  stop(unwind.stop_depth_cap, "depth cap of 512 frames");
  stop(unwind.stop_sp_not_increasing, "stack pointer did not increase (corrupt stack)");
  if (unwind.samples_without_registers > 0) {
    fmt::print("  unwind     {} samples without user registers kept only their sampled address\n",
               grouped(unwind.samples_without_registers));
  }
  if (unwind.samples_other_arch > 0) {
    fmt::print("  unwind     {} samples not unwound: only x86_64 is unwound (32-bit or other CPU)\n",
               grouped(unwind.samples_other_arch));
  }
}

}  // namespace

void print_join_report(const join::JoinReport& report, bool quiet) {
  if (!quiet) {
    fmt::print("spanprof join: wrote {}", report.output_path);
    if (!report.summary_path.empty()) fmt::print(" and {}", report.summary_path);
    fmt::print("\n");
    fmt::print("  event      {} (period {} {})\n", report.event.name, grouped(report.event.period),
               report.event.sample_unit == "cpu/nanoseconds" ? "ns" : "events");
    fmt::print("  samples    {} from {} threads, {} distinct stacks\n", grouped(report.samples),
               grouped(report.threads), grouped(report.distinct_stacks));
    if (report.start_unix_ns) {
      fmt::print("  time       {}, {:.3f} s\n", utc_time(*report.start_unix_ns),
                 static_cast<double>(report.duration_ns) / 1e9);
    } else {
      fmt::print("  time       {:.3f} s (no clock data: record with -k monotonic for wall time)\n",
                 static_cast<double>(report.duration_ns) / 1e9);
    }
    const symbolize::SymbolizerStats& sym = report.symbols;
    fmt::print("  symbols    {} addresses symbolized, {} left as raw addresses, {} inlined frames\n",
               grouped(sym.addresses_symbolized), grouped(sym.addresses_unsymbolized),
               grouped(sym.inlined_frames));
    if (!report.hottest.empty()) {
      fmt::print("  hottest functions (self, total):\n");
      for (const stacks::HotFunction& fn : report.hottest) {
        fmt::print("    {:>6} {:>6}  {}\n", share(fn.self, report.total_weight),
                   share(fn.total, report.total_weight), fn.name);
      }
    }
  }

  // Every non-zero loss counter, quiet or not.
  const perfdata::ReadStats& read = report.read;
  auto counter = [](uint64_t value, std::string_view what) {
    if (value > 0) fmt::print("  lost       {} {}\n", grouped(value), what);
  };
  counter(read.lost_events, "events (perf ring buffer overflow: PERF_RECORD_LOST; try a lower -F or larger -m)");
  counter(read.lost_samples, "samples (PERF_RECORD_LOST_SAMPLES)");
  counter(read.samples_without_attr, "samples whose event id matched no event");
  counter(read.undecodable_records, "records that did not decode");
  counter(read.forced_flushes, "ordering-buffer overflows (records may be slightly out of order)");
  counter(report.stacks.truncated_stacks, "stacks cut at 1024 frames");
  counter(report.stacks.guest_frames_skipped, "guest (VM) frames skipped");
  counter(report.symbols.binaries_missing, "binaries not found: their frames keep raw addresses");
  counter(report.symbols.binaries_mismatched, "binaries changed since recording: their frames keep raw addresses");
  print_unwind(report.stacks.unwind, quiet);
  if (report.spans) print_spans(*report.spans, report, quiet);
  if (!quiet && read.skipped_records > 0) {
    fmt::print("  skipped    {} records of types spanprof does not use\n", grouped(read.skipped_records));
  }
  for (const std::string& warning : report.warnings) fmt::print(stderr, "warning: {}\n", warning);
}

}  // namespace spanprof::cli
