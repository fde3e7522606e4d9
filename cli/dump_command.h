#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace spanprof::cli {

struct DumpCommandOptions {
  std::string profile_path;
};

// `spanprof dump PROFILE`: the profile as stable, readable text.
CLI::App* add_dump_command(CLI::App& app, DumpCommandOptions& options);
int run_dump_command(const DumpCommandOptions& options);

}  // namespace spanprof::cli
