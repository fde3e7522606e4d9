#include "cli/report_printer.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include "join/report_counters.h"

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

// Every counter of the section the terminal shows, when non-zero.
void print_counters(std::FILE* out, const join::JoinReport& report, join::CounterSection section,
                    bool quiet) {
  for (const join::ReportCounter& counter : join::report_counters(section)) {
    if (counter.display == join::CounterDisplay::kJsonOnly) continue;
    if (counter.display == join::CounterDisplay::kUnlessQuiet && quiet) continue;
    uint64_t value = counter.value(report);
    if (value > 0) fmt::print(out, "  {:<10} {} {}\n", counter.tag, grouped(value), counter.wording);
  }
}

void print_spans(const join::JoinReport& report, bool quiet, std::FILE* out, std::FILE* err) {
  const join::SpanReport& spans = *report.spans;
  const attribute::AttributionSummary& summary = spans.attribution;
  if (!quiet && !spans.join_error) {
    fmt::print(out, "  spans      {} read from {} file(s); {} of samples inside spans\n",
               grouped(spans.read.spans), spans.files.size(),
               share(static_cast<int64_t>(summary.samples_in_spans), static_cast<int64_t>(summary.samples)));
    if (!summary.by_name.empty()) {
      fmt::print(out, "  span names by CPU (self, total incl. child spans on the thread, spans):\n");
      size_t shown = 0;
      for (const attribute::SpanCpu& cpu : summary.by_name) {
        if (++shown > 10) break;
        fmt::print(out, "    {:>6} {:>6}  {} ({})\n", share(cpu.self, report.total_weight),
                   share(cpu.total, report.total_weight), cpu.name, grouped(cpu.spans));
      }
    }
  }
  if (summary.spans_without_samples > 0 && !spans.join_error) {
    fmt::print(out, "  spans      {} got no sample ({} shorter than the {} sampling period)",
               grouped(summary.spans_without_samples),
               grouped(summary.spans_without_samples_shorter_than_period),
               duration(static_cast<int64_t>(report.event.period)));
    if (!summary.longest_without_samples.empty()) {
      const auto& longest = summary.longest_without_samples.front();
      fmt::print(out, "; longest: {} {}", longest.name, duration(longest.duration_ns));
    }
    const attribute::MatchDiagnosis& matching = spans.matching;
    if (!matching.unmatched.empty() || matching.spans_end_before_samples_ns > 0 ||
        matching.spans_start_after_samples_ns > 0) {
      fmt::print(out, "; why: the warnings below");
    }
    if (report.off_cpu) fmt::print(out, " (CPU samples: their off-CPU time is below)");
    fmt::print(out, "\n");
  }
  print_counters(out, report, join::CounterSection::kSpans, quiet);
  if (spans.activations && !quiet && !spans.join_error) {
    const join::ActivationReport& activations = *spans.activations;
    fmt::print(out, "  activations {} records from {} file(s) on {} threads decided {} samples ({} in "
               "spans)\n",
               grouped(activations.read.records), grouped(activations.read.files),
               grouped(activations.samples.join.threads), grouped(activations.samples.samples),
               grouped(activations.samples.samples_in_spans));
  }
  for (const std::string& problem : spans.read.problems) fmt::print(err, "warning: {}\n", problem);
  if (spans.join_error) {
    fmt::print(err, "error: {}\n", spans.join_error->to_string());
  }
}

// Dwarf captures: frames found, then every non-zero reason an unwind stopped early.
void print_unwind(const join::JoinReport& report, bool quiet, std::FILE* out) {
  if (!join::has_unwind(report)) return;
  const unwind::UnwindStats& unwind = report.stacks.unwind;
  if (!quiet) {
    fmt::print(out, "  unwind     {} samples unwound with dwarf, {} return addresses, {} CFI rules\n",
               grouped(unwind.samples), grouped(unwind.frames), grouped(unwind.rules));
  }
  print_counters(out, report, join::CounterSection::kUnwindStops, quiet);
  print_counters(out, report, join::CounterSection::kUnwind, quiet);
}

std::string off_cpu_states(const std::array<int64_t, join::kThreadStates>& ns) {
  std::string text;
  constexpr const char* kWords[] = {"sleeping", "blocked on I/O", "waiting for a CPU",
                                    "in another state"};
  for (size_t i = 0; i < join::kThreadStates; ++i) {
    if (ns[i] <= 0) continue;
    if (!text.empty()) text += ", ";
    text += duration(ns[i]) + " " + kWords[i];
  }
  return text.empty() ? "none" : text;
}

// Off-CPU captures: where the time off the CPU went, overall and per span.
void print_off_cpu(const join::JoinReport& report, bool quiet, std::FILE* out) {
  const join::OffCpuReport& off = *report.off_cpu;
  if (!quiet) {
    int64_t total = 0;
    for (int64_t ns : off.off_cpu_ns) total += ns;
    fmt::print(out, "  off-cpu    {} intervals, {} off-CPU: {}", grouped(off.pairing.intervals),
               duration(total), off_cpu_states(off.off_cpu_ns));
    if (report.spans && !report.spans->join_error) {
      fmt::print(out, "; {} inside spans", share(off.off_cpu_ns_in_spans, total));
    }
    fmt::print(out, "\n");
    if (!off.wall_missing.empty()) fmt::print(out, "  wall       no wall profile: {}\n", off.wall_missing);
    if (!off.hottest.empty() && total > 0) {
      fmt::print(out, "  hottest off-CPU functions (self, total):\n");
      size_t shown = 0;
      for (const stacks::HotFunction& fn : off.hottest) {
        if (++shown > 5) break;
        fmt::print(out, "    {:>6} {:>6}  {}\n", share(fn.self, total), share(fn.total, total),
                   fn.name);
      }
    }
    if (off.span_time && !off.span_time->by_name.empty()) {
      const join::SpanTimeReport& time = *off.span_time;
      fmt::print(out, "  span names by duration (spans: duration = CPU + off-CPU + unaccounted):\n");
      size_t shown = 0;
      for (const join::SpanTimeByName& entry : time.by_name) {
        if (++shown > 10) break;
        const join::SpanTimeTotals& t = entry.totals;
        int64_t off_ns = 0;
        for (int64_t ns : t.off_cpu_ns) off_ns += ns;
        // CPU is sampled: its estimate may exceed what the switches leave.
        std::string rest = t.unaccounted_ns >= 0
                               ? duration(t.unaccounted_ns) + " unaccounted"
                               : "0 unaccounted (the sampled CPU is " +
                                     duration(-t.unaccounted_ns) + " over)";
        std::string cpu = time.cpu_measured ? duration(t.cpu_ns) + " CPU"
                                            : std::string("CPU not measured");
        fmt::print(out, "    {} ({}): {} = {} + {} off-CPU + {}\n", entry.name, grouped(t.spans),
                   duration(t.duration_ns), cpu, duration(off_ns), rest);
      }
      fmt::print(out, "  slowest spans:\n");
      shown = 0;
      for (const join::SlowSpan& slow : time.slowest) {
        if (++shown > 5) break;
        fmt::print(out, "    {}\n", slow.line);
      }
    }
  }
  print_counters(out, report, join::CounterSection::kOffCpu, quiet);
}

}  // namespace

void print_join_report(const join::JoinReport& report, bool quiet) {
  print_join_report(report, quiet, stdout, stderr);
}

void print_join_report(const join::JoinReport& report, bool quiet, std::FILE* out, std::FILE* err) {
  print_join_report(report, quiet ? ReportDetail::kQuiet : ReportDetail::kFull, out, err);
}

void print_join_report(const join::JoinReport& report, ReportDetail detail, std::FILE* out,
                       std::FILE* err) {
  bool quiet = detail == ReportDetail::kQuiet;
  if (!quiet) {
    for (const std::string& note : report.notes) fmt::print(out, "note: {}\n", note);
  }
  if (detail == ReportDetail::kSpanMatch) {
    if (report.spans) print_spans(report, false, out, err);
    for (const Warning& warning : report.warnings) fmt::print(err, "warning: {}\n", warning.to_string());
    return;
  }
  if (!quiet) {
    fmt::print(out, "spanprof join: wrote {}", report.output_path);
    if (report.off_cpu && !report.off_cpu->off_cpu_path.empty()) {
      fmt::print(out, ", {}", report.off_cpu->off_cpu_path);
      if (!report.off_cpu->wall_path.empty()) fmt::print(out, ", {}", report.off_cpu->wall_path);
    }
    if (!report.summary_path.empty()) fmt::print(out, " and {}", report.summary_path);
    fmt::print(out, "\n");
    for (const join::OtherEventReport& other : report.other_events) {
      if (other.output_path.empty()) continue;
      fmt::print(out, "  also       {} samples of {} in {}\n", grouped(other.samples),
                 other.event.name, other.output_path);
    }
    fmt::print(out, "  event      {} (period {} {})\n", report.event.name, grouped(report.event.period),
               report.event.sample_unit == "cpu/nanoseconds" ? "ns" : "events");
    fmt::print(out, "  samples    {} from {} threads, {} distinct stacks, {} pprof samples (stack x labels)\n",
               grouped(report.samples), grouped(report.threads), grouped(report.unique_stacks),
               grouped(report.pprof_samples));
    if (report.start_unix_ns) {
      fmt::print(out, "  time       {}, {:.3f} s\n", utc_time(*report.start_unix_ns),
                 static_cast<double>(report.duration_ns) / 1e9);
    } else {
      fmt::print(out, "  time       {:.3f} s (no clock data: record with -k monotonic for wall time)\n",
                 static_cast<double>(report.duration_ns) / 1e9);
    }
    // Unsymbolized addresses are a loss: the counter lines below print them.
    const symbolize::SymbolizerStats& sym = report.symbols;
    fmt::print(out, "  symbols    {} addresses symbolized, {} inlined frames\n",
               grouped(sym.addresses_symbolized), grouped(sym.inlined_frames));
    if (!report.hottest.empty()) {
      fmt::print(out, "  hottest functions (self, total):\n");
      for (const stacks::HotFunction& fn : report.hottest) {
        fmt::print(out, "    {:>6} {:>6}  {}\n", share(fn.self, report.total_weight),
                   share(fn.total, report.total_weight), fn.name);
      }
    }
  }

  // Every non-zero loss counter, quiet or not.
  print_counters(out, report, join::CounterSection::kLosses, quiet);
  print_unwind(report, quiet, out);
  if (report.spans) print_spans(report, quiet, out, err);
  if (report.off_cpu) print_off_cpu(report, quiet, out);
  for (const Warning& warning : report.warnings) fmt::print(err, "warning: {}\n", warning.to_string());
}

}  // namespace spanprof::cli
