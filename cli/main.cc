// spanprof: span profiles for any Linux program, from perf captures.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/dump_command.h"
#include "cli/exit_codes.h"
#include "cli/join_command.h"
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (join->parsed()) return run_join_command(join_options);
  if (dump->parsed()) return run_dump_command(dump_options);
  if (run->parsed()) return run_run_command(run_options);
  return kExitUsage;
}
