#include "cli/join_command.h"

#include <cstdlib>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/report_printer.h"

namespace spanprof::cli {

CLI::App* add_join_command(CLI::App& app, JoinCommandOptions& options) {
  CLI::App* join = app.add_subcommand(
      "join", "Turn a perf capture into a symbolized pprof profile (gzipped profile.proto)");
  join->add_option("--perf-data", options.join.perf_data_path,
                   "perf.data written by `perf record` (\"-\" reads a pipe-mode capture from stdin)")
      ->required();
  join->add_option("-o,--output", options.join.output_path, "Output pprof file")
      ->default_val("profile.pb.gz");
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
  join->add_flag("-q,--quiet", options.quiet, "Print only warnings and errors");
  return join;
}

int run_join_command(JoinCommandOptions& options) {
  if (options.join.symbolizer.build_id_cache_dir.empty()) {
    const char* home = std::getenv("HOME");
    options.join.symbolizer.build_id_cache_dir = std::string(home ? home : "/root") + "/.debug";
  }
  options.join.include_kernel_frames = !options.no_kernel;
  options.join.kernel_symbols = options.kernel_symbols == "always" ? join::KernelSymbols::kAlways
                                : options.kernel_symbols == "never" ? join::KernelSymbols::kNever
                                                                    : join::KernelSymbols::kAuto;
  auto report = join::run_join(options.join);
  if (!report) {
    fmt::print(stderr, "spanprof join: error: {}\n", report.error().to_string());
    return kExitUnusableInput;
  }
  print_join_report(*report, options.quiet);
  return kExitOk;
}

}  // namespace spanprof::cli
