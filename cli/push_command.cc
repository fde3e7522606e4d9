#include "cli/push_command.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/report_printer.h"

namespace spanprof::cli {

namespace {

std::string seconds(int64_t ns) { return fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9); }

std::string human_duration(int64_t ns) {
  int64_t s = (ns < 0 ? -ns : ns) / 1'000'000'000;
  if (s >= 86400) return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
  if (s >= 3600) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m {}s", s / 60, s % 60);
  return seconds(ns < 0 ? -ns : ns);
}

// "wall{service_name=cart, service_namespace=shop}": a series as the server
// files it, __name__ first as in a Pyroscope query.
std::string series_name(const push::LabelList& labels) {
  std::string metric, rest;
  for (const auto& [name, value] : labels) {
    if (name == "__name__") {
      metric = value;
      continue;
    }
    if (!rest.empty()) rest += ", ";
    rest += name + "=" + value;
  }
  return metric + "{" + rest + "}";
}

// What a series' samples are: perf samples, or for off-CPU the pieces of the
// off-CPU intervals (split at span and window boundaries).
const char* sample_noun(push::ProfileKind kind) {
  return kind == push::ProfileKind::kOffCpu ? "off-CPU interval pieces" : "samples";
}

void print_shape(const push::ShapeReport& report, const char* who, bool quiet, bool print_join) {
  // The join's diagnostics as `spanprof join` prints them (span lines, notes,
  // warnings); `spanprof run --push` has printed its own join already.
  if (print_join && report.join) {
    print_join_report(*report.join, quiet ? ReportDetail::kQuiet : ReportDetail::kSpanMatch,
                      stdout, stderr);
  }
  // The join's warnings were printed with it (here, or by run's own join).
  size_t skip = std::min(report.join_warnings, report.warnings.size());
  for (size_t i = skip; i < report.warnings.size(); ++i) {
    fmt::print(stderr, "{}: warning: {}\n", who, report.warnings[i]);
  }
  if (!quiet && !report.dropped_label_names.empty()) {
    fmt::print(stderr,
               "{}: sample labels dropped (each would become a series label on the server): {}\n",
               who, fmt::join(report.dropped_label_names, ", "));
  }
  if (quiet) return;
  if (report.shift_ns != 0) {
    fmt::print("shifted by {} to end now (--shift-to-now)\n",
               human_duration(report.shift_ns));
  }
  fmt::print("shaped {} profiles ({} samples) in {} windows", report.profiles, report.samples,
             report.windows);
  if (report.spans_forwarded > 0) {
    fmt::print(", {} spans to forward ({} with pyroscope.profile.id)", report.spans_forwarded,
               report.spans_marked);
  }
  fmt::print(": {} batches in the outbox\n", report.batches);
  for (const push::SeriesReport& series : report.series) {
    fmt::print("  series {}: {} profiles, {} {}\n", series_name(series.labels), series.profiles,
               series.samples, sample_noun(series.kind));
  }
}

void print_destination(const push::DestinationReport& d) {
  if (!d.plan.configured()) {
    if (!d.note.empty()) fmt::print("  {}\n", d.note);
    return;
  }
  std::string by_type;
  if (d.profiles_by_type.size() > 1) {
    for (const auto& [type, count] : d.profiles_by_type) {
      by_type += fmt::format("{}{} {}", by_type.empty() ? " = " : " + ", count, type);
    }
  }
  std::string what = d.spans > 0 || std::string_view(d.name) == "traces"
                         ? fmt::format("{} spans", d.spans)
                         : fmt::format("{} profiles{}, {} pprof samples", d.profiles, by_type,
                                       d.samples);
  fmt::print("  {:<9} -> {}: sent {} batches ({}, {} bytes), {} retries, {} rejected, {} left in the outbox{}\n",
             d.name, d.plan.destination, d.sent, what, d.bytes, d.retried, d.rejected, d.left,
             d.plan.delivered_earlier > 0
                 ? fmt::format(", {} delivered earlier", d.plan.delivered_earlier)
                 : std::string());
  if (d.paced_requests > 0) {
    fmt::print("  {:<9}    paced to the tenant's rate: {} requests waited {:.1f} s in all\n", "",
               d.paced_requests, static_cast<double>(d.paced_ns) / 1e9);
  }
}

void print_resumed(const push::ResumedPush& resumed, const std::string& dir, const char* who,
                   bool quiet) {
  if (resumed.options_changed) {
    fmt::print(stderr,
               "{}: note: {} was shaped by an earlier push with other shaping options; sending "
               "what it left as shaped then (--reshape shapes again with these options)\n",
               who, dir);
  }
  if (quiet) return;
  fmt::print("resuming {}:\n", resumed.outbox);
  for (const push::DestinationPlan* plan : {&resumed.plan.profiles, &resumed.plan.traces}) {
    if (plan->batches == 0 && !plan->configured()) continue;
    fmt::print("  {}\n", plan->summary());
  }
  if (resumed.pending == 0) {
    fmt::print("nothing to send: every destination given has everything (another --server, "
               "--tenant or --traces-endpoint gets all of it)\n");
  }
  std::fflush(stdout);
}

int push_exit_code(push::PushStatus status) {
  switch (status) {
    case push::PushStatus::kDelivered: return kExitOk;
    case push::PushStatus::kIncomplete: return kExitPushIncomplete;
    case push::PushStatus::kRejected: return kExitPushRejected;
  }
  return kExitPushIncomplete;
}

}  // namespace

CLI::App* add_push_command(CLI::App& app, PushCommandOptions& options) {
  CLI::App* push = app.add_subcommand(
      "push",
      "Send DIR's span profiles to Grafana Pyroscope (and, with --traces-endpoint, its spans to "
      "Tempo or any OTLP/HTTP endpoint). Every request is written to DIR/outbox first and "
      "removed when the server acknowledges it; running push again sends what is left");
  push->footer(
      "Exit codes: 0 everything delivered; 5 some batches not delivered but retriable (they are "
      "in DIR/outbox: run spanprof push DIR again); 6 a server refused a batch (4xx; it stays in "
      "the outbox); 1 bad options; 2 unusable capture (e.g. older than --max-age without "
      "--shift-to-now).\n"
      "Credentials are never taken on the command line: use --basic-auth-env, --basic-auth-file, "
      "--token-env or --token-file (and the --traces- ones).\n"
      "Example: spanprof push capture --server http://localhost:4040 --traces-endpoint "
      "http://localhost:4318/v1/traces");
  push->add_option("DIR", options.capture_dir, "Capture directory (spanprof run's output)")
      ->type_name("DIR")
      ->required();
  push->add_option("--server", options.flags.settings.server, "Grafana Pyroscope URL, e.g. http://localhost:4040")
      ->type_name("URL");
  add_push_flags(*push, options.flags, false);
  push->add_flag("-q,--quiet", options.flags.quiet, "Print only warnings, errors and the outcome");
  return push;
}

push::PushObserver push_observer(const std::string& dir, const PushFlags& flags, const char* who) {
  push::PushObserver observer;
  observer.on_shaped = [who, quiet = flags.quiet,
                       print_join = flags.print_join](const push::ShapeReport& report) {
    print_shape(report, who, quiet, print_join);
    std::fflush(stdout);
  };
  observer.on_resumed = [&dir, who, quiet = flags.quiet](const push::ResumedPush& resumed) {
    print_resumed(resumed, dir, who, quiet);
  };
  observer.on_event = [who](const std::string& line) { fmt::print(stderr, "{}: {}\n", who, line); };
  return observer;
}

int print_push_outcome(const std::expected<push::PushOutcome, push::PushFailure>& outcome,
                       const std::string& dir, const PushFlags& flags, const char* who) {
  if (!outcome) {
    fmt::print(stderr, "{}: error: {}\n", who, outcome.error().error.to_string());
    return outcome.error().kind == push::PushFailureKind::kUsage ? kExitUsage : kExitUnusableInput;
  }
  const push::DeliveryReport& report = outcome->delivery;
  int code = push_exit_code(outcome->status);
  if (outcome->resumed && outcome->resumed->pending == 0) return code;  // nothing was pending
  for (const push::DestinationReport* d : {&report.profiles, &report.traces}) {
    if (!d->stop_reason.empty()) fmt::print(stderr, "{}: error: {}: {}\n", who, d->name, d->stop_reason);
  }
  fmt::print("{}: {}\n", who,
             code == kExitOk ? "everything delivered"
             : code == kExitPushRejected
                 ? "a server refused a batch; it stays in the outbox (see the error above)"
                 : fmt::format("not everything delivered; run `spanprof push {}` again to send "
                               "what is left",
                               dir));
  print_destination(report.profiles);
  print_destination(report.traces);
  if (!flags.summary_json.empty()) {
    if (auto ok = push::write_push_summary(flags.summary_json, report, code); !ok) {
      fmt::print(stderr, "{}: warning: {}\n", who, ok.error().to_string());
    }
  }
  std::fflush(stdout);
  return code;
}

int run_push_command(PushCommandOptions& options) {
  const char* who = "spanprof push";
  PushFlags& flags = options.flags;
  flags.settings.shaping_given = shaping_given(flags);
  auto outcome = push::run_push(options.capture_dir, flags.settings,
                                push_observer(options.capture_dir, flags, who));
  return print_push_outcome(outcome, options.capture_dir, flags, who);
}

bool shaping_given(const PushFlags& flags) {
  return std::any_of(flags.shaping_options.begin(), flags.shaping_options.end(),
                     [](const CLI::Option* o) { return o->count() > 0; });
}

}  // namespace spanprof::cli