#include "cli/dump_command.h"

#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "profile/profile_text.h"

namespace spanprof::cli {

CLI::App* add_dump_command(CLI::App& app, DumpCommandOptions& options) {
  CLI::App* dump = app.add_subcommand(
      "dump", "Print a pprof profile as readable text: samples with their labels and stacks");
  dump->add_option("PROFILE", options.profile_path, "pprof file, gzipped or not")->required();
  return dump;
}

int run_dump_command(const DumpCommandOptions& options) {
  std::ifstream in(options.profile_path, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "spanprof dump: error: {}: cannot open\n", options.profile_path);
    return kExitUnusableInput;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto text = profile::profile_to_text(bytes);
  if (!text) {
    fmt::print(stderr, "spanprof dump: error: {}: {}\n", options.profile_path,
               text.error().to_string());
    return kExitUnusableInput;
  }
  fmt::print("{}", *text);
  return kExitOk;
}

}  // namespace spanprof::cli
