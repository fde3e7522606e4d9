// Helpers for the report tests: the terminal summary as text, summary.json parsed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "cli/report_printer.h"
#include "join/join.h"

namespace spanprof::report_test {

struct Printed {
  std::string out;  // the summary (stdout)
  std::string err;  // warnings and errors (stderr)
};

inline Printed print(const join::JoinReport& report, cli::ReportDetail detail) {
  char* out_text = nullptr;
  char* err_text = nullptr;
  size_t out_size = 0;
  size_t err_size = 0;
  std::FILE* out = open_memstream(&out_text, &out_size);
  std::FILE* err = open_memstream(&err_text, &err_size);
  EXPECT_TRUE(out != nullptr && err != nullptr);
  Printed printed;
  if (out == nullptr || err == nullptr) return printed;
  cli::print_join_report(report, detail, out, err);
  std::fclose(out);
  std::fclose(err);
  printed.out.assign(out_text, out_size);
  printed.err.assign(err_text, err_size);
  std::free(out_text);
  std::free(err_text);
  return printed;
}

inline Printed print(const join::JoinReport& report, bool quiet) {
  return print(report, quiet ? cli::ReportDetail::kQuiet : cli::ReportDetail::kFull);
}

// A report as run_join fills it for a capture with no losses.
inline join::JoinReport clean_report() {
  join::JoinReport report;
  report.output_path = "out/profile.pb.gz";
  report.event = {"cpu-clock", "cpu/nanoseconds", 1'000'000};
  report.samples = 40;
  report.total_weight = 40'000'000;
  report.threads = 2;
  report.pprof_samples = 6;
  report.unique_stacks = 2;
  report.duration_ns = 1'000'000'000;
  return report;
}

}  // namespace spanprof::report_test
