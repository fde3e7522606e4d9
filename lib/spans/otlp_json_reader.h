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

}  // namespace spanprof::spans
