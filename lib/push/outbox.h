// DIR/outbox/: every request `spanprof push` will send, written before it is
// sent and removed only when the server acknowledged it.
//
// Takes: shaped batches (request bytes plus where they go). Gives: the pending
// batches in send order, and removal on acknowledgement. A batch is two files,
// written in this order, each through a temporary name and rename(2):
//   <id>.body  the exact bytes to POST
//   <id>.json  what the body is (kind, path, content type, counts)
// A batch is pending while its .json exists; acknowledge() removes .json first,
// so a crash between the two removals leaves only an orphan .body, which
// pending() deletes. Nothing secret is ever written here (no URLs' user info,
// no credentials): the destination and the credentials come from each push.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

enum class BatchKind {
  kPyroscopePush,    // POST {server}/push.v1.PusherService/Push, binary PushRequest
  kPyroscopeIngest,  // POST {server}/ingest?..., raw pprof
  kOtlpTraces,       // POST {traces-endpoint}, ExportTraceServiceRequest protobuf
};

const char* batch_kind_name(BatchKind kind);  // "pyroscope-push", "pyroscope-ingest", "otlp-traces"

struct BatchInfo {
  std::string id;  // file stem; ids sort in send order ("000001-profile", "000002-traces")
  BatchKind kind = BatchKind::kPyroscopePush;
  // Appended to the server URL (push, ingest): "/push.v1.PusherService/Push" or
  // "/ingest?name=...&from=...&until=...&format=pprof". Empty for kOtlpTraces,
  // whose endpoint URL is used as given.
  std::string path_and_query;
  std::string content_type;  // "application/proto", "application/octet-stream", "application/x-protobuf"
  uint64_t profiles = 0;     // pprof profiles in the body
  uint64_t samples = 0;      // pprof samples in the body
  uint64_t spans = 0;        // OTLP spans in the body
  int64_t window_start_ns = 0;  // unix ns covered by the profiles (0 for traces)
  int64_t window_end_ns = 0;
  uint64_t body_bytes = 0;
  // Uncompressed pprof bytes of the profiles in the body: what Pyroscope's
  // per-tenant ingestion rate limit counts (0 for traces).
  uint64_t uncompressed_bytes = 0;
};

struct Batch {
  BatchInfo info;
  std::string body;
};

class Outbox {
 public:
  // DIR/outbox; created on the first write.
  explicit Outbox(std::string capture_dir);

  const std::string& path() const { return path_; }

  // Writes both files durably (fsync of file and directory) before returning.
  Result<void> write(const Batch& batch);

  // Pending batches in id order, bodies not loaded. Removes orphan .body files.
  // A .json that cannot be parsed is an error naming the file.
  Result<std::vector<BatchInfo>> pending() const;

  Result<std::string> read_body(const BatchInfo& info) const;

  // The server acknowledged the batch: remove it.
  Result<void> acknowledge(const BatchInfo& info);

  // Drops every pending batch (push --reshape).
  Result<void> clear();

 private:
  std::string path_;
};

}  // namespace spanprof::push
