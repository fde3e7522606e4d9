#include "cli/report_command.h"

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "cli/join_command.h"
#include "cli/report_printer.h"
#include "view/view_session.h"

namespace spanprof::cli {

void add_view_join_flags(CLI::App& cmd, ViewCommandOptions& options) {
  add_span_matching_flags(cmd, options.join.matching, "Span matching (as for spanprof join)");
  add_symbol_flags(cmd, options.join, options.symbols);
  cmd.add_flag("-q,--quiet", options.quiet,
               "Print only the output, the losses, warnings and errors (not the join's summary)");
}

void print_join_warnings(const join::JoinReport& report, bool quiet) {
  print_join_report(report, quiet ? ReportDetail::kQuiet : ReportDetail::kFull, stdout, stderr);
}

CLI::App* add_report_command(CLI::App& app, ViewCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page of a capture: the span table, flame graphs (whole, per "
      "span name, per span, per time range) and a timeline per thread; opens from disk");
  cmd->add_option("DIR", options.capture_dir, "Capture directory (as for spanprof join)")
      ->required();
  cmd->add_option("-o,--output", options.output, "The page to write (default DIR/report.html)");
  add_view_join_flags(*cmd, options);
  return cmd;
}

int run_report_command(ViewCommandOptions& options) {
  apply_symbol_flags(options.symbols, options.join);
  ProgressBar bar("joining");
  options.join.progress = bar.callback();
  auto outcome = view::report_capture_dir(options.capture_dir, options.join, options.output);
  bar.clear();
  if (!outcome) {
    fmt::print(stderr, "spanprof report: error: {}\n", outcome.error().to_string());
    return kExitUnusableInput;
  }
  if (!outcome->join.empty) print_join_warnings(outcome->join, options.quiet);
  for (const std::string& cut : outcome->report.cuts) fmt::print("note: {}\n", cut);
  fmt::print("report: {} ({:.1f} KB); open it in a browser\n", outcome->report.path,
             static_cast<double>(outcome->report.bytes) / 1024.0);
  return view_exit_code(outcome->join, "report", options.capture_dir);
}

int view_exit_code(const join::JoinReport& report, const char* command, const std::string& dir) {
  if (report.empty) {
    fmt::print(stderr, "spanprof {}: error: {}: the capture holds no samples (the file written says so)\n",
               command, dir);
    return kExitUnusableInput;
  }
  return join_exit_code(report);
}

}  // namespace spanprof::cli
