#include "cli/join_flags.h"

namespace spanprof::cli {

void add_span_matching_flags(CLI::App& cmd, capture::RecordedJoin& matching,
                             const std::string& group) {
  std::vector<CLI::Option*> added;
  added.push_back(cmd.add_option("--spans", matching.span_files,
                                 "OTLP span file (JSON Lines or length-prefixed protobuf, plain "
                                 "or gzip); repeatable; replaces DIR's")
                      ->type_name("FILE")
                      ->allow_extra_args(false));
  added.push_back(cmd.add_option("--activations", matching.activation_files,
                                 "Activation file (activations-PID.bin, docs/activations.md): "
                                 "which span is current on each thread; repeatable; replaces "
                                 "DIR's")
                      ->type_name("FILE")
                      ->allow_extra_args(false));
  added.push_back(cmd.add_option("--span-scope", matching.span_scope,
                                 "Which span the span_id/span_name/trace_id labels name: root "
                                 "(default: the local root, as Grafana's span profiles expect) "
                                 "or innermost")
                      ->type_name("root|innermost")
                      ->check(CLI::IsMember({"root", "innermost"})));
  added.push_back(cmd.add_option("--tid-attribute", matching.tid_attribute,
                                 "Span attribute holding the OS thread id (default thread.os_id, "
                                 "then thread.native_id)")
                      ->type_name("NAME"));
  added.push_back(cmd.add_option("--max-spans", matching.max_spans,
                                 "Spans kept from all span files together, about 200 bytes each; "
                                 "the rest are counted and reported (0: no limit; default "
                                 "4194304)")
                      ->type_name("N"));
  added.push_back(cmd.add_option("--clock-offset", matching.clock_offset_ns,
                                 "Nanoseconds added to sample times to correct a known skew "
                                 "against the spans' clock")
                      ->type_name("NS"));
  if (!group.empty()) {
    for (CLI::Option* option : added) option->group(group);
  }
}

void add_symbol_flags(CLI::App& cmd, join::JoinOptions& join, SymbolFlags& flags) {
  cmd.add_option("--kernel-symbols", flags.kernel_symbols,
                 "Symbolize kernel frames from /proc/kallsyms: auto (only for captures of "
                 "this machine's running kernel), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->default_val("auto");
  cmd.add_flag("--no-kernel", flags.no_kernel, "Drop kernel frames from stacks");
  cmd.add_option("--buildid-dir", join.symbolizer.build_id_cache_dir,
                 "perf's build-id cache, searched when a binary's path no longer matches "
                 "(default $HOME/.debug)");
  cmd.add_flag("--debuginfod", join.symbolizer.debuginfod,
               "Let elfutils fetch missing debug info from the servers in DEBUGINFOD_URLS");
  cmd.add_option("--perf-map-dir", join.symbolizer.perf_map_dir,
                 "Where perf-PID.map files of JIT runtimes are")
      ->default_val("/tmp");
}

void apply_symbol_flags(const SymbolFlags& flags, join::JoinOptions& join) {
  join.include_kernel_frames = !flags.no_kernel;
  join.kernel_symbols = flags.kernel_symbols == "always"  ? join::KernelSymbols::kAlways
                        : flags.kernel_symbols == "never" ? join::KernelSymbols::kNever
                                                          : join::KernelSymbols::kAuto;
}

}  // namespace spanprof::cli
