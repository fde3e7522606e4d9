#include "cli/join_command.h"

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/join_flags.h"
#include "cli/progress_bar.h"
#include "cli/report_printer.h"
#include "capture/layout.h"
#include "join/capture_inputs.h"
#include "run/run_session.h"

namespace spanprof::cli {

CLI::App* add_join_command(CLI::App& app, JoinCommandOptions& options) {
  CLI::App* join = app.add_subcommand(
      "join",
      "Attribute the samples of a perf capture to the spans running on their threads; write "
      "a symbolized, span-labelled pprof (gzipped profile.proto)");
  join->add_option("DIR", options.capture_dir,
                   "Capture directory: reads DIR/perf.data, DIR/spans* and the spans file "
                   "DIR/capture.json names; writes DIR/profile.pb.gz and DIR/summary.json (and "
                   "DIR/offcpu.pb.gz, DIR/wall.pb.gz for an off-CPU capture)");
  join->add_option("--perf-data", options.join.perf_data_path,
                   "perf.data written by `perf record` (\"-\" reads a pipe-mode capture from stdin)");
  join->add_option("-o,--output", options.join.output_path,
                   "Output pprof file (default DIR/profile.pb.gz, or profile.pb.gz)");
  join->add_option("--summary", options.join.summary_path,
                   "Write the summary as JSON here (default DIR/summary.json)");
  join->add_option("--event", options.join.event_name,
                   "The sampling event whose profile goes to the output (default the capture's "
                   "first); every other event gets OUT-EVENT.pb.gz beside it");
  // The span-matching options: DIR/capture.json records the ones given, and a
  // later join of DIR uses those it is not given (docs/samples-meet-spans.md).
  add_span_matching_flags(*join, options.join.matching);
  add_symbol_flags(*join, options.join, options.symbols);
  join->add_flag("--report", options.report,
                 "Also write DIR/report.html, the HTML page of this join (spanprof report DIR "
                 "writes it later)");
  join->add_flag("-q,--quiet", options.quiet, "Print only losses, warnings and errors");
  return join;
}

int run_join_command(JoinCommandOptions& options) {
  join::JoinOptions& join = options.join;
  if (options.capture_dir.empty() && join.perf_data_path.empty()) {
    fmt::print(stderr, "spanprof join: error: give a capture directory DIR or --perf-data FILE\n");
    return kExitUsage;
  }
  apply_symbol_flags(options.symbols, join);
  // With DIR, join_options_for applies them (or capture.json's recorded ones).
  if (options.capture_dir.empty()) join::apply_span_matching(join.matching, join);
  if (options.capture_dir.empty() && join.output_path.empty()) join.output_path = "profile.pb.gz";
  if (options.report && options.capture_dir.empty()) {
    fmt::print(stderr, "spanprof join: error: --report needs a capture directory DIR (with "
                       "--perf-data only, there is none to write report.html into)\n");
    return kExitUsage;
  }
  std::optional<Result<view::ReportWritten>> page;
  const std::string page_path =
      options.report ? capture::path_in(options.capture_dir, capture::kReport) : "";
  ProgressBar bar("joining");
  join.progress = bar.callback();
  auto report = options.capture_dir.empty()
                    ? join::run_join(join)
                    : run::join_capture_dir(options.capture_dir, join, page_path, &page);
  bar.clear();
  if (!report) {
    fmt::print(stderr, "spanprof join: error: {}\n", report.error().to_string());
    return kExitUnusableInput;
  }
  print_join_report(*report, options.quiet);
  int code = join_exit_code(*report);
  if (page) {
    if (int page_code = print_report_written(*page); page_code != kExitOk) return page_code;
  } else if (!options.quiet && !options.capture_dir.empty()) {
    fmt::print("see it in a browser: spanprof report {}\n", options.capture_dir);
  }
  return code;
}

int print_report_written(const Result<view::ReportWritten>& written) {
  if (!written) {
    fmt::print(stderr, "spanprof: error: the report page was not written: {}\n",
               written.error().to_string());
    return kExitUnusableInput;
  }
  for (const std::string& cut : written->cuts) {
    fmt::print("note: {}\n", cut);  // what the page left out is said, also with -q
  }
  fmt::print("report: {} ({:.1f} KB)\n", written->path, static_cast<double>(written->bytes) / 1024.0);
  return kExitOk;
}

int join_exit_code(const join::JoinReport& report) {
  return report.spans && report.spans->join_error ? kExitSpansNotJoined : kExitOk;
}

}  // namespace spanprof::cli
