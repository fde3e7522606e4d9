// OpenTelemetry span files -> SpanSet.
//
// Takes: OTLP JSON Lines files (one TracesData per line, plain or gzip), and the
// Collector fileexporter's `proto` format (4-byte big-endian length-prefixed
// TracesData messages, plain or gzip). Gives: spans appended to a SpanSet. A bad
// line or message is counted and reported; the rest of the file is still used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "spans/span_set.h"

namespace spanprof::spans {

struct SpanReaderOptions {
  // Attribute holding the OS thread id. Empty: thread.os_id, then thread.native_id.
  std::string tid_attribute;
  // Spans kept from all files together; the rest are counted and reported. 0: no limit.
  size_t max_spans = size_t{1} << 22;
};

struct SpanReadStats {
  uint64_t files = 0;
  uint64_t lines = 0;                   // JSON lines, or proto messages
  uint64_t bad_lines = 0;               // lines/messages that did not decode: skipped
  uint64_t spans = 0;                   // spans read
  uint64_t bad_spans = 0;               // spans skipped: missing or malformed ids, bad times
  uint64_t spans_end_before_start = 0;  // kept, with end = start
  uint64_t spans_without_os_tid = 0;    // no thread.os_id/native_id (thread.id may still help)
  uint64_t files_cut_short = 0;         // corrupt gzip data or a read error: the rest was skipped
  uint64_t spans_over_limit = 0;        // past max_spans: skipped (also counted in bad_spans)
  // First problems, one line each, with file and line number or byte offset.
  std::vector<std::string> problems;
};

// Appends the spans of path to out. Format is detected from the content: gzip
// magic first, then length-prefixed protobuf when the first byte is under 0x10
// (a length under 256 MiB), else JSON Lines. Fails only when the file cannot be
// opened or read at all; damage inside it is counted in stats.
Result<void> read_span_file(const std::string& path, const SpanReaderOptions& options, SpanSet& out,
                            SpanReadStats& stats);

}  // namespace spanprof::spans
