#include "cli/join_command.h"

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/join_flags.h"
#include "cli/report_printer.h"
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
  join->add_option("--kernel-symbols", options.kernel_symbols,
                   "Symbolize kernel frames from /proc/kallsyms: auto (only for captures of "
                   "this machine's running kernel), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_val("auto");
  join->add_flag("--no-kernel", options.no_kernel, "Drop kernel frames from stacks");
  join->add_option("--buildid-dir", options.join.symbolizer.build_id_cache_dir,
                   "perf's build-id cache, searched when a binary's path no longer matches "
                   "(default $HOME/.debug)");
  join->add_flag("--debuginfod", options.join.symbolizer.debuginfod,
                 "Let elfutils fetch missing debug info from the servers in DEBUGINFOD_URLS");
  join->add_option("--perf-map-dir", options.join.symbolizer.perf_map_dir,
                   "Where perf-PID.map files of JIT runtimes are")
      ->default_val("/tmp");
  join->add_flag("-q,--quiet", options.quiet, "Print only losses, warnings and errors");
  return join;
}

int run_join_command(JoinCommandOptions& options) {
  join::JoinOptions& join = options.join;
  if (options.capture_dir.empty() && join.perf_data_path.empty()) {
    fmt::print(stderr, "spanprof join: error: give a capture directory DIR or --perf-data FILE\n");
    return kExitUsage;
  }
  join.include_kernel_frames = !options.no_kernel;
  // With DIR, join_options_for applies them (or capture.json's recorded ones).
  if (options.capture_dir.empty()) join::apply_span_matching(join.matching, join);
  join.kernel_symbols = options.kernel_symbols == "always"  ? join::KernelSymbols::kAlways
                        : options.kernel_symbols == "never" ? join::KernelSymbols::kNever
                                                            : join::KernelSymbols::kAuto;
  if (options.capture_dir.empty() && join.output_path.empty()) join.output_path = "profile.pb.gz";
  auto report = options.capture_dir.empty() ? join::run_join(join)
                                            : run::join_capture_dir(options.capture_dir, join);
  if (!report) {
    fmt::print(stderr, "spanprof join: error: {}\n", report.error().to_string());
    return kExitUnusableInput;
  }
  print_join_report(*report, options.quiet);
  return join_exit_code(*report);
}

int join_exit_code(const join::JoinReport& report) {
  return report.spans && report.spans->join_error ? kExitSpansNotJoined : kExitOk;
}

}  // namespace spanprof::cli
