// perf.data reader: file mode and pipe mode, records delivered in time order.
//
// Takes: a path (or "-" for standard input). Gives: the capture's CaptureInfo and
// its records, decoded and in time order, streamed to a RecordHandler.
// Memory is bounded by perf's flush rounds, not by the number of samples. A
// finished file-mode capture opened by path is mapped, and records wait for their
// round as views into the mapping, whose pages are given back once dispatched;
// standard input, pipe mode and unfinished captures are read() and copied.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "perfdata/capture_info.h"
#include "perfdata/records.h"

namespace spanprof::perfdata {

struct ReadStats {
  uint64_t records = 0;          // every record framed, inner records of COMPRESSED included
  uint64_t samples = 0;
  uint64_t switches = 0;              // SWITCH and SWITCH_CPU_WIDE records delivered
  uint64_t samples_without_attr = 0;  // sample id matched no attr: dropped
  uint64_t undecodable_records = 0;   // a known type whose body did not parse: dropped
  uint64_t skipped_records = 0;       // types spanprof does not use, skipped by size
  std::map<uint32_t, uint64_t> skipped_by_type;
  uint64_t aux_bytes_skipped = 0;  // AUX area data after AUXTRACE records (not decoded)
  uint64_t compressed_records = 0;
  uint64_t lost_events = 0;   // sum of PERF_RECORD_LOST.lost
  uint64_t lost_samples = 0;  // sum of PERF_RECORD_LOST_SAMPLES.lost
  uint64_t forced_flushes = 0;  // ordering buffer hit its memory cap
  uint64_t bytes_read = 0;
  // Set when the data ended early or turned corrupt: everything before it was
  // still delivered. The message names the byte offset.
  std::optional<Error> damage;
};

class Reader {
 public:
  // Opens the capture and reads its header: in file mode the attrs and features,
  // in pipe mode the HEADER_ATTR, HEADER_FEATURE and other records that open the
  // stream, up to its first time-ordered record (so this waits for perf to start).
  // Fails on a missing or unreadable file, a non-perf file or an unusable header.
  static Result<std::unique_ptr<Reader>> open(const std::string& path);

  virtual ~Reader() = default;

  // In pipe mode this may still grow while records are read (a late HEADER_ATTR,
  // EVENT_UPDATE names, HEADER_BUILD_ID).
  virtual const CaptureInfo& info() const = 0;

  // Streams every record to handler in time order. Returns an error only when
  // nothing could be read; damage later in the data is reported in ReadStats.
  virtual Result<ReadStats> read_records(RecordHandler& handler) = 0;

  // Called while read_records runs, every few MiB: bytes of the data section
  // read so far and its size (0 when unknown: a pipe or an unfinished capture).
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  void set_progress(Progress progress) { progress_ = std::move(progress); }

 protected:
  Progress progress_;
};

}  // namespace spanprof::perfdata
