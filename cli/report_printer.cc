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

}  // namespace

void print_join_report(const join::JoinReport& report, bool quiet) {
  if (!quiet) {
    fmt::print("spanprof join: wrote {}\n", report.output_path);
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
  if (!quiet && read.skipped_records > 0) {
    fmt::print("  skipped    {} records of types spanprof does not use\n", grouped(read.skipped_records));
  }
  for (const std::string& warning : report.warnings) fmt::print(stderr, "warning: {}\n", warning);
}

}  // namespace spanprof::cli
