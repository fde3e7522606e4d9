// The Collector fileexporter's `proto` format: repeated {4-byte big-endian
// length, TracesData protobuf}. A message that does not decode is counted and
// skipped; a length past the end of the stream ends it.
#pragma once

#include <string_view>

#include "spans/byte_source.h"
#include "spans/span_builder.h"

namespace spanprof::spans {

inline constexpr size_t kDefaultMaxMessageBytes = size_t{256} << 20;

// Returns an error only when the stream fails mid-way (earlier messages are kept).
Result<void> read_otlp_proto_messages(ByteSource& source, SpanBuilder& builder,
                                      SpanReadStats& stats,
                                      size_t max_message_bytes = kDefaultMaxMessageBytes);

// One message held in memory (an OTLP/HTTP protobuf body about to be appended
// to a proto span file), decoded exactly as read_otlp_proto_messages decodes a
// message of a file. Fails, with the problem it would report, when that
// message would be counted bad; its spans are then not added.
Result<void> decode_otlp_proto_message(std::string_view bytes, const SpanReaderOptions& options,
                                       SpanSet& out, SpanReadStats& stats,
                                       size_t max_message_bytes = kDefaultMaxMessageBytes);

}  // namespace spanprof::spans
