// spanprof: span profiles for any Linux program, from perf captures.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/dump_command.h"
#include "cli/exit_codes.h"
#include "cli/join_command.h"
#include "cli/push_command.h"
#include "cli/report_command.h"
#include "cli/run_command.h"
#include "spanprof_version.h"

int main(int argc, char** argv) {
  using namespace spanprof::cli;
  CLI::App app{"spanprof: attribute perf samples to OpenTelemetry spans, write pprof"};
  app.set_version_flag("--version", std::string("spanprof ") + SPANPROF_VERSION);
  app.require_subcommand(1);

  JoinCommandOptions join_options;
  CLI::App* join = add_join_command(app, join_options);
  DumpCommandOptions dump_options;
  CLI::App* dump = add_dump_command(app, dump_options);
  RunCommandOptions run_options;
  CLI::App* run = add_run_command(app, run_options);
  PushCommandOptions push_options;
  CLI::App* push = add_push_command(app, push_options);
  ViewCommandOptions report_options;
  CLI::App* report = add_report_command(app, report_options);
  ViewCommandOptions export_options;
  CLI::App* export_cmd = add_export_command(app, export_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ExtrasError& e) {
    // push and run take credentials only from files and the environment; a
    // mistyped secret-looking argument is still not echoed back to logs.
    if (push->parsed() || run->parsed()) {
      fmt::print(stderr,
                 "spanprof: unexpected arguments (not repeated here, as they may hold secrets); "
                 "see spanprof {} --help\n",
                 push->parsed() ? "push" : "run");
      return kExitUsage;
    }
    app.exit(e);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (join->parsed()) return run_join_command(join_options);
  if (dump->parsed()) return run_dump_command(dump_options);
  if (run->parsed()) return run_run_command(run_options);
  if (push->parsed()) return run_push_command(push_options);
  if (report->parsed()) return run_report_command(report_options);
  if (export_cmd->parsed()) return run_export_command(export_options);
  return kExitUsage;
}
