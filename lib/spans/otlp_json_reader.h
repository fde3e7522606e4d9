// OTLP JSON Lines (OpenTelemetry protocol/file-exporter.md): one TracesData
// object per line. Follows the OTLP/JSON rules: hex ids, int64 as a string or
// a number, lowerCamelCase keys (snake_case accepted too), unknown fields
// ignored. A line that does not decode is counted and skipped.
#pragma once

#include "spans/byte_source.h"
#include "spans/line_splitter.h"
#include "spans/span_builder.h"

namespace spanprof::spans {

// Reads every line of source into builder. Returns an error only when the
// stream fails mid-way (the lines before it are kept).
Result<void> read_otlp_json_lines(ByteSource& source, SpanBuilder& builder, SpanReadStats& stats,
                                  size_t max_line_bytes = kDefaultMaxLineBytes);

// One line held in memory (an OTLP/HTTP JSON body about to be appended to a
// JSON Lines file), decoded exactly as read_otlp_json_lines decodes a line of
// a file. Fails, with the problem the file reader would report, when that line
// would be counted bad or skipped (a blank line, a newline inside); its spans
// are then dropped from out. json needs no padding: it is copied.
Result<void> decode_otlp_json_document(std::string_view json, const SpanReaderOptions& options,
                                       SpanSet& out, SpanReadStats& stats,
                                       size_t max_line_bytes = kDefaultMaxLineBytes);

}  // namespace spanprof::spans
