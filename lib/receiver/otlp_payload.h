// OTLP/HTTP request bodies: which encoding, whether they decode, how many spans.
//
// Takes: a decompressed POST /v1/traces body and its Content-Type. Gives: the
// span count of a body that decodes as ExportTraceServiceRequest, the JSON body
// as one line for a JSON Lines file, and the google.rpc.Status body of an error
// response in the request's encoding (OTLP specification, otlp.md "Failures").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace spanprof::receiver {

enum class PayloadFormat { kProtobuf, kJson };

// application/x-protobuf or application/json, parameters ignored.
std::optional<PayloadFormat> payload_format(std::string_view content_type);

// The Content-Type of responses to a request of this format.
std::string_view content_type_of(PayloadFormat format);

// An accepted body must read back from the span file it is appended to, so both
// decode it with the span reader's own decoding (spans/otlp_*_reader.h) and
// fail exactly when the reader would count that message or line bad. The count
// includes spans the reader skips (bad ids or times): they were received.

// Spans in a binary ExportTraceServiceRequest, appended as a TracesData message
// (the two share field 1).
Result<uint64_t> count_protobuf_spans(std::string_view body);

// Spans in a JSON ExportTraceServiceRequest, appended as the line json_line(body).
Result<uint64_t> count_json_spans(std::string_view body);

// A valid JSON body as one JSON Lines line (without the newline): outer
// whitespace trimmed, raw CR and LF (whitespace, as JSON strings cannot hold
// them unescaped) turned into spaces.
std::string json_line(std::string_view body);

// google.rpc.Status{code, message} encoded as `format`.
std::string status_body(PayloadFormat format, int grpc_code, std::string_view message);

}  // namespace spanprof::receiver
