// One activation file (docs/activations.md, version 1): the header and the
// records a process wrote, each a switch of the span current on one thread.
//
// Takes: the file's bytes (untrusted). Gives: the records in file order, what
// was damaged (a torn tail, records of another process), or an Error when the
// header is unusable (the file is then skipped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "spans/span_set.h"

namespace spanprof::activations {

// The format's constants, as docs/activations.md gives them.
inline constexpr std::string_view kMagic{"SPANACT\0", 8};
inline constexpr uint16_t kVersion = 1;
inline constexpr uint16_t kHeaderSize = 40;  // version 1's; later ones may be longer
inline constexpr uint16_t kRecordSize = 40;  // version 1's; later ones may be longer
inline constexpr uint16_t kClockMonotonic = 1;

struct ActivationRecord {
  uint64_t time_ns = 0;  // CLOCK_MONOTONIC
  uint32_t pid = 0;
  uint32_t tid = 0;
  spans::TraceId trace_id{};
  uint64_t span_id = 0;  // big-endian, as spans::Span::span_id

  // All-zero ids: no span is current from time_ns on.
  bool is_none() const;
};

struct ActivationFile {
  uint32_t pid = 0;
  // The clock pair read when the file was created; 0 when the writer left it out.
  uint64_t created_monotonic_ns = 0;
  uint64_t created_realtime_ns = 0;
  std::vector<ActivationRecord> records;  // file order, records of other pids dropped
  uint64_t torn_bytes = 0;                // a partial record at the end (a crash mid-write)
  uint64_t records_wrong_pid = 0;         // records naming another process than the header
};

// Errors (the file is skipped): shorter than a header, another magic, an
// unknown version or clock, a record or header size under version 1's.
Result<ActivationFile> parse_activation_file(std::span<const std::byte> bytes,
                                             std::string_view where);

}  // namespace spanprof::activations
