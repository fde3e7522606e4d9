// OTLP/JSON -> OTLP protobuf, for forwarding spans read from JSON span files:
// the whole TracesData schema (resource, scope, spans with attributes, events,
// links and status), following the OTLP/JSON mapping: ids as hex, 64-bit
// integers as strings or numbers, enums as numbers or their names, bytes as
// base64, keys in lowerCamelCase or as the proto field names. Unknown keys are
// skipped, as protobuf's JSON parser does with ignore_unknown_fields.
#pragma once

#include <string_view>

#include "common/result.h"
#include "otlp_trace.pb.h"

namespace spanprof::push {

// One JSON document (a TracesData object, as one line of the Collector's file
// exporter writes it). Error.where is empty: the caller names file and line.
Result<void> transcode_otlp_json(std::string_view json, otlp::TracesData& out);

}  // namespace spanprof::push
