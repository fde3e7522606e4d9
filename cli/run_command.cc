#include "cli/run_command.h"


#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/join_command.h"
#include "cli/progress_bar.h"
#include "cli/report_printer.h"
#include "run/run_session.h"

namespace spanprof::cli {

CLI::App* add_run_command(CLI::App& app, RunCommandOptions& options) {
  CLI::App* run = app.add_subcommand(
      "run",
      "Run CMD under `perf record` (spanprof run [OPTIONS] -- CMD [ARGS...]), collect its "
      "OpenTelemetry spans (a file and an OTLP/HTTP receiver), then join them into a "
      "span-labelled pprof. Exits with CMD's status (128+N when signal N killed it)");
  run->footer(
      "The command gets SPANPROF_SPANS_FILE=DIR/spans.jsonl (OTLP JSON Lines) and, with the "
      "receiver, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="
      "http/protobuf (unless already set), SPANPROF_ACTIVATIONS_DIR=DIR, and NODE_OPTIONS with "
      "spanprof's Node hook appended (unless --no-runtime-hooks). SIGINT/SIGTERM sent to spanprof are passed to the "
      "command, so it can flush its spans.\n"
      "Exit codes before the command runs: 1 bad options or DIR not empty, 4 cannot record "
      "(perf missing, not permitted, event unavailable), 126/127 command not executable/found.\n"
      "Example: spanprof run -o capture -- ./server --requests 1000");
  run->add_option("CMD", options.run.command, "The command to record and its arguments, after --")
      ->type_name("CMD")
      ->required();
  run->add_option("-o,--output", options.run.capture_dir,
                  "Capture directory (default ./spanprof-YYYYmmdd-HHMMSS); must be new or empty")
      ->type_name("DIR");
  run->add_flag("--force", options.run.force,
                "Record into a non-empty DIR, replacing the capture files already there");
  run->add_option("-F,--freq", options.run.perf.frequency_hz, "Samples per second per thread")
      ->type_name("HZ")
      ->default_val(999);
  run->add_option("--call-graph", options.run.perf.call_graph,
                  "How perf collects stacks: fp (frame pointers, -g) or dwarf[,SIZE] (copies "
                  "SIZE bytes of stack per sample, default 8192; perf.data ~85x larger, measured)")
      ->type_name("fp|dwarf[,SIZE]")
      ->default_val("fp");
  run->add_option("-e,--event", options.run.perf.event,
                  "perf event to sample (default perf's: cycles, or cpu-clock without a "
                  "hardware PMU); checked before the command runs, never silently replaced")
      ->type_name("EVENT");
  CLI::Option* off_cpu = run->add_flag("--off-cpu", options.run.perf.off_cpu,
                "Also record why threads wait: perf samples sched:sched_switch at every "
                "switch-out (with its stack) and the switches themselves, with -e EVENT "
                "(cpu-clock by default) at -F HZ; the join writes DIR/offcpu.pb.gz and "
                "DIR/wall.pb.gz (docs/off-cpu.md). Needs root, CAP_PERFMON or "
                "kernel.perf_event_paranoid=-1, and a readable tracefs; checked before CMD runs");
  run->add_option("--off-cpu-stacks", options.run.perf.off_cpu_stacks,
                  fmt::format("How sched_switch takes stacks with --off-cpu: dwarf[,SIZE] (copies "
                              "SIZE bytes of user stack per switch, default {}: about {} KB of "
                              "perf.data per switch; frame pointers lose the function that "
                              "called libc's blocking call) or fp (about 0.3 KB per switch)",
                              record::kOffCpuStackBytes, record::kOffCpuStackBytes / 1024 + 1))
      ->type_name("dwarf[,SIZE]|fp")
      ->default_val("dwarf")
      ->needs(off_cpu);
  run->add_option("--mmap-pages", options.run.perf.mmap_pages,
                  fmt::format("perf's ring buffer (-m), pages per CPU, a power of 2 (default: "
                              "perf's, {} with --off-cpu); records perf cannot write in time "
                              "are lost and counted",
                              record::kOffCpuMmapPages))
      ->type_name("PAGES");
  run->add_option("--spans", options.run.spans_file,
                  "Where the command writes OTLP JSON Lines spans (SPANPROF_SPANS_FILE; default "
                  "DIR/spans.jsonl); joined with the spans in DIR")
      ->type_name("FILE");
  run->add_flag("--no-receiver", [&options](int64_t) { options.run.receiver = false; },
                "Do not start the OTLP/HTTP receiver or set OTEL_EXPORTER_OTLP_TRACES_*");
  run->add_flag("--no-runtime-hooks", [&options](int64_t) { options.run.runtime_hooks = false; },
                "Do not load spanprof's Node hook (NODE_OPTIONS --require) that records which "
                "span is current on each thread (docs/activations.md)");
  run->add_flag("--no-namespace-ids", [&options](int64_t) { options.run.namespace_ids = false; },
                "Do not poll the command's threads for their pid-namespace ids (NSpid) into "
                "DIR/namespace-ids.tsv, which lets spans stamped in a container match");
  run->add_flag("--no-report", [&options](int64_t) { options.report = false; },
                "Write no DIR/report.html (the page is written by default from the same join)");
  run->add_flag("--no-join", options.no_join,
                "Only record; run `spanprof join DIR` later");
  run->add_flag("-q,--quiet", options.quiet, "Print only warnings, errors and losses");
  run->add_option("--push", options.push.settings.server,
                  "After the join, push DIR to this Grafana Pyroscope server as `spanprof push "
                  "DIR --server URL` does (with the Push options below); a failed push turns "
                  "exit 0 into 5 or 6, a failing command's status wins")
      ->type_name("URL")
      ->group("Push: what is sent");
  add_push_flags(*run, options.push, true);
  return run;
}

namespace {

int failure_exit_code(record::RunFailureKind kind) {
  switch (kind) {
    case record::RunFailureKind::kBadOptions:
    case record::RunFailureKind::kCaptureDir:
      return kExitUsage;
    case record::RunFailureKind::kCannotRecord:
      return kExitCannotRecord;
    case record::RunFailureKind::kCommandNotFound:
      return kExitCommandNotFound;
    case record::RunFailureKind::kCommandNotExecutable:
      return kExitCommandNotExecutable;
  }
  return kExitCannotRecord;
}

void print_receiver(const record::RunReport& report, bool quiet) {
  if (!report.receiver_stats) return;
  const receiver::ReceiverStats& s = *report.receiver_stats;
  if (!quiet && s.requests > 0) {
    fmt::print(stderr, "spanprof run: the receiver got {} spans in {} requests\n", s.spans,
               s.accepted);
  }
  auto loss = [](uint64_t value, std::string_view what) {
    if (value > 0) fmt::print(stderr, "spanprof run: receiver: {} {}\n", value, what);
  };
  loss(s.bad_requests, "requests refused as undecodable (400)");
  loss(s.too_large, "requests refused as too large (413)");
  loss(s.unsupported_type, "requests of an unsupported content type (415)");
  loss(s.not_found, "requests to other paths or methods (404/405)");
  loss(s.aborted, "requests the client abandoned");
}

void print_recorded(const record::RunReport& report, bool quiet) {
  const record::ExitStatus& status = report.app_status;
  if (report.terminal_signal != 0 && status.signal == report.terminal_signal) {
    fmt::print(stderr,
               "spanprof run: interrupted from the terminal: perf was {} too and passes that on "
               "(exit {}), not the command's own status\n",
               status.describe(), status.shell_code());
  } else if (!quiet || status.shell_code() != 0) {
    fmt::print(stderr, "spanprof run: the command ended: {}{}\n", status.describe(),
               report.app_pid ? fmt::format(" (pid {})", report.app_pid) : "");
  }
  print_receiver(report, quiet);
  std::fflush(stderr);
}

void print_joined(const Result<join::JoinReport>& joined, const std::string& dir, bool quiet) {
  int code = kExitUnusableInput;
  if (joined) {
    print_join_report(*joined, quiet);
    code = join_exit_code(*joined);
  } else {
    fmt::print(stderr, "spanprof join: error: {}\n", joined.error().to_string());
  }
  if (code != kExitOk) {
    fmt::print(stderr,
               "spanprof run: the join did not complete (code {}); the capture is kept: "
               "spanprof join {}\n",
               code, dir);
  }
}

}  // namespace

int run_run_command(RunCommandOptions& options) {
  const char* push_who = "spanprof run: push";
  const bool quiet = options.quiet;
  run::RunSessionOptions session;
  session.record = options.run;
  session.record.on_notice = [quiet](const std::string& text) {
    if (!quiet) fmt::print(stderr, "spanprof run: {}\n", text);
  };
  session.record.on_warning = [](const std::string& text) {
    fmt::print(stderr, "spanprof run: warning: {}\n", text);
  };
  session.join = !options.no_join;
  session.report = options.report;
  options.push.quiet = quiet;
  options.push.print_join = false;  // run prints its own join
  const bool pushing = !options.push.settings.server.empty();
  if (pushing) {
    options.push.settings.shaping_given = shaping_given(options.push);
    session.push = options.push.settings;
  }
  run::RunObserver observer;
  std::string capture_dir;
  observer.on_recorded = [&](const record::RunReport& report) {
    capture_dir = report.capture_dir;
    print_recorded(report, quiet);
    if (options.no_join && !quiet) {
      fmt::print(stderr, "spanprof run: capture in {}; join it with: spanprof join {}\n",
                 report.capture_dir, report.capture_dir);
    }
    if (pushing && options.no_join && !quiet) {
      fmt::print(stderr, "spanprof run: --no-join: pushing anyway (push joins the capture itself)\n");
    }
    std::fflush(stderr);
  };
  ProgressBar bar("joining");
  session.join_options.progress = bar.callback();
  observer.on_joined = [&](const Result<join::JoinReport>& joined) {
    bar.clear();
    print_joined(joined, capture_dir, quiet);
    std::fflush(stdout);
    std::fflush(stderr);
  };
  observer.on_report = [&](const Result<view::ReportWritten>& written) {
    print_report_written(written);
    std::fflush(stdout);
  };
  observer.push = push_observer(capture_dir, options.push, push_who);  // capture_dir: set once recorded

  auto outcome = run::run_session(std::move(session), observer);
  if (!outcome) {
    fmt::print(stderr, "spanprof run: error: {}\n", outcome.error().error.to_string());
    return failure_exit_code(outcome.error().kind);
  }
  int app_code = outcome->recorded.app_status.shell_code();
  if (!outcome->pushed) return app_code;
  int push_code = print_push_outcome(*outcome->pushed, capture_dir, options.push, push_who);
  if (push_code == kExitOk) return app_code;
  if (app_code != 0) {
    fmt::print(stderr,
               "spanprof run: the push did not complete (code {}); exiting with the command's "
               "status {}\n",
               push_code, app_code);
    return app_code;
  }
  fmt::print(stderr, "spanprof run: the command succeeded but the push did not (exit {})\n",
             push_code);
  return push_code;
}

}  // namespace spanprof::cli
