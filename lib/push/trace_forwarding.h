// The capture's spans, forwarded whole to an OTLP endpoint (Tempo): read from
// the span files (OTLP JSON Lines or length-prefixed protobuf), times moved by
// the push's shift, the attribute pyroscope.profile.id = span id added to each
// span whose id was sent as a sample's span_id (Grafana's "Profiles for this
// span" link), and cut into ExportTraceServiceRequest bodies of bounded size.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

inline constexpr const char* kProfileIdAttribute = "pyroscope.profile.id";

struct ForwardOptions {
  int64_t shift_ns = 0;                            // added to every span, event time
  const std::set<std::string>* marked = nullptr;   // span ids (16 hex) to mark
  size_t max_request_bytes = 4u << 20;
};

struct ForwardedRequest {
  std::string body;  // ExportTraceServiceRequest protobuf
  uint64_t spans = 0;
};

struct ForwardResult {
  std::vector<ForwardedRequest> requests;
  uint64_t spans = 0;
  uint64_t marked = 0;
  std::vector<std::string> warnings;  // lines or messages that could not be forwarded
};

// Errors: a span file cannot be opened or read. A line or message that does
// not decode is left out and reported in warnings (as `spanprof join` counts it).
Result<ForwardResult> forward_spans(const std::vector<std::string>& span_files,
                                    const ForwardOptions& options);

}  // namespace spanprof::push
