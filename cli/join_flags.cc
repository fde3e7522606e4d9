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

}  // namespace spanprof::cli
