// spanprof join: a perf capture in, a symbolized pprof out.
//
// Drives the pipeline: perf.data records in time order -> threads & mappings ->
// symbolized stacks -> (span attribution) -> profile builder -> pprof writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "perfdata/reader.h"
#include "process/process_table.h"
#include "stacks/hot_functions.h"
#include "stacks/stack_resolver.h"
#include "symbolize/symbolizer.h"

namespace spanprof::join {

enum class KernelSymbols { kAuto, kAlways, kNever };

struct JoinOptions {
  std::string perf_data_path;  // "-" reads a pipe-mode capture from standard input
  std::string output_path;     // gzipped pprof
  KernelSymbols kernel_symbols = KernelSymbols::kAuto;
  size_t hottest_count = 10;  // functions listed in JoinReport::hottest
  bool include_kernel_frames = true;
  symbolize::SymbolizerOptions symbolizer;
};

struct EventSummary {
  std::string name;
  std::string sample_unit;  // "cpu/nanoseconds" or "events/count"
  uint64_t period = 0;      // profile period, in the unit above
};

struct JoinReport {
  std::string output_path;
  EventSummary event;
  uint64_t samples = 0;          // samples written to the profile
  uint64_t samples_other_events = 0;  // samples of a second event, not in the profile
  int64_t total_weight = 0;      // sum of sample values in the event's unit
  uint64_t distinct_stacks = 0;  // pprof samples after merging
  uint64_t threads = 0;
  std::optional<int64_t> start_unix_ns;  // when the capture has clock data
  int64_t duration_ns = 0;
  bool kernel_symbols_used = false;
  perfdata::ReadStats read;
  process::ProcessTableStats processes;
  symbolize::SymbolizerStats symbols;
  stacks::StackStats stacks;
  std::vector<stacks::HotFunction> hottest;  // by self weight, in the event's unit
  std::vector<std::string> warnings;  // one line each
};

// Errors: the capture cannot be opened or holds nothing usable (no samples), or
// the output cannot be written. Damage after usable data is a warning.
Result<JoinReport> run_join(const JoinOptions& options);

}  // namespace spanprof::join
