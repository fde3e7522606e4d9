#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "cli/progress_bar.h"
#include "cli/join_command.h"
#include "cli/report_command.h"
#include "view/view_session.h"

namespace spanprof::cli {

CLI::App* add_export_command(CLI::App& app, ViewCommandOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write a capture in another viewer's format: firefox (Firefox Profiler), chrome "
      "(Chrome trace JSON: Perfetto, chrome://tracing), folded (one file per span name)");
  cmd->add_option("DIR", options.capture_dir, "Capture directory (as for spanprof join)")
      ->required();
  cmd->add_option("--format", options.format, "firefox, chrome or folded")
      ->required()
      ->check(CLI::IsMember({"firefox", "chrome", "folded"}));
  cmd->add_option("-o,--output", options.output,
                  "The file to write (default DIR/profile.firefox.json, DIR/trace.chrome.json), "
                  "or for folded the directory to fill (default DIR/folded)");
  add_view_join_flags(*cmd, options);
  return cmd;
}

int run_export_command(ViewCommandOptions& options) {
  apply_symbol_flags(options.symbols, options.join);
  const view::ExportFormat format = options.format == "chrome"   ? view::ExportFormat::kChrome
                                    : options.format == "folded" ? view::ExportFormat::kFolded
                                                                 : view::ExportFormat::kFirefox;
  ProgressBar bar("joining");
  options.join.progress = bar.callback();
  auto outcome = view::export_capture_dir(options.capture_dir, options.join, format, options.output);
  bar.clear();
  if (!outcome) {
    fmt::print(stderr, "spanprof export: error: {}\n", outcome.error().to_string());
    return kExitUnusableInput;
  }
  if (!outcome->join.empty) print_join_warnings(outcome->join, options.quiet);
  for (const std::string& note : outcome->exported.notes) fmt::print("note: {}\n", note);
  for (const std::string& file : outcome->exported.files) fmt::print("wrote: {}\n", file);
  return view_exit_code(outcome->join, "export", options.capture_dir);
}

}  // namespace spanprof::cli
