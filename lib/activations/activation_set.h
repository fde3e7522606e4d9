// All activation files of a capture, grouped by thread.
//
// Takes: the paths of DIR/activations-*.bin and of the writers' error notes
// (DIR/activations-*.error). Gives: per (pid, tid) the records sorted by time,
// what was read and what was damaged, and a warning per file that could not be
// used. Never fails: a bad file is skipped and reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "activations/activation_file.h"
#include "common/warning.h"

namespace spanprof::activations {

struct ThreadActivations {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::vector<ActivationRecord> records;  // sorted by time (stable: file order on ties)
  // CLOCK_REALTIME minus CLOCK_MONOTONIC when its file was created, when the
  // writer recorded the pair: the way to Unix time for a capture whose samples
  // are not on CLOCK_MONOTONIC.
  std::optional<int64_t> realtime_minus_monotonic_ns;
};

struct ActivationStats {
  uint64_t files = 0;           // read and used
  uint64_t files_skipped = 0;   // unreadable, or an unusable header
  uint64_t writer_errors = 0;   // error notes left by writers that gave up
  uint64_t records = 0;         // kept
  uint64_t threads = 0;
  uint64_t torn_bytes = 0;      // partial records at files' ends, dropped
  uint64_t files_torn = 0;
  uint64_t records_wrong_pid = 0;      // naming another process than their file (which is skipped)
  uint64_t records_out_of_order = 0;   // earlier than their thread's previous record: sorted in
};

struct ActivationSet {
  std::vector<ThreadActivations> threads;  // sorted by (pid, tid)
  ActivationStats stats;
  std::vector<Warning> warnings;  // kActivations

  bool empty() const { return threads.empty(); }
};

ActivationSet load_activations(const std::vector<std::string>& files,
                               const std::vector<std::string>& error_notes);

}  // namespace spanprof::activations
