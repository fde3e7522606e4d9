// An OTLP/HTTP trace receiver on 127.0.0.1, for `spanprof run`.
//
// Takes: POST /v1/traces requests from an unmodified OpenTelemetry SDK
// (application/x-protobuf or application/json, optionally gzip, Content-Length
// or chunked). Gives: every accepted request durably appended to the capture
// directory before it is acknowledged, in formats `spanprof join DIR` reads:
// protobuf bodies to DIR/spans-receiver.pb (4-byte big-endian length-prefixed
// TracesData, the Collector fileexporter's proto format), JSON bodies to
// DIR/spans-receiver.jsonl (one line each).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"

namespace spanprof::receiver {

struct ReceiverOptions {
  std::string output_dir;  // the capture directory
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;                      // 0: an ephemeral port
  uint64_t max_body_bytes = 64ull << 20;  // larger bodies get 413 (after decompression too)
  int read_timeout_ms = 10'000;           // a client silent this long is disconnected
  int max_connections = 64;               // more concurrent connections get 503
};

struct ReceiverStats {
  uint64_t requests = 0;
  uint64_t accepted = 0;          // 200
  uint64_t bad_requests = 0;      // 400: undecodable body, bad framing; 431: huge header section
  uint64_t too_large = 0;         // 413
  uint64_t unsupported_type = 0;  // 415
  uint64_t not_found = 0;         // 404 / 405: other paths or methods
  uint64_t aborted = 0;           // client hung up or timed out mid-request, or never spoke
  uint64_t spans = 0;             // spans in accepted requests
  uint64_t bytes_written = 0;
  uint64_t write_errors = 0;         // 500: the capture file could not be written
  uint64_t refused_connections = 0;  // 503: max_connections reached
};

class OtlpHttpReceiver {
 public:
  // Binds and starts serving on a background thread. Fails (with a hint) when
  // the address cannot be bound or the capture directory is not writable (the
  // span files are created on the first accepted request).
  static Result<std::unique_ptr<OtlpHttpReceiver>> start(const ReceiverOptions& options);

  virtual ~OtlpHttpReceiver() = default;

  virtual uint16_t port() const = 0;
  // e.g. "http://127.0.0.1:43123/v1/traces": the value for OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
  virtual std::string traces_endpoint() const = 0;

  // Stops accepting new connections, finishes requests in flight (bounded by
  // the read timeout), closes the files. Idempotent; the destructor calls it.
  virtual void stop() = 0;

  virtual ReceiverStats stats() const = 0;
};

}  // namespace spanprof::receiver
