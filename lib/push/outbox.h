// DIR/outbox/: every request `spanprof push` sends, written before anything is
// sent and kept after delivery, with one ledger per destination saying which
// batches that destination acknowledged.
//
// Takes: shaped batches (request bytes plus what they are), and the
// acknowledgements of each destination. Gives: the batches in send order and,
// per destination, the ids it already has, so a push to a new server gets
// everything and a push adding a traces endpoint gets only the spans.
//
// A batch is two files, written in this order, each through a temporary name
// and rename(2):
//   <id>.body  the exact bytes to POST
//   <id>.json  what the body is (schema spanprof.outbox/2: kind, path, content
//              type, profile type, counts, window, uncompressed bytes)
// profile_type (process_cpu, off_cpu, wall) came with off-CPU pushes; it only
// describes the body, which is sent the same way whatever it holds: an entry
// without it is a process_cpu batch (all that earlier versions wrote), and
// earlier versions ignore it. So the schema stays spanprof.outbox/2.
// A batch exists once its .json does; an orphan .body (a crash between the two
// writes) is deleted by batches().
//
// A ledger is delivered-<16 hex>.log, the hex a hash of the destination (see
// Destination::key). Its first line names the destination for humans
// ("# spanprof.delivered/1 profiles http://host:4040 tenant=team-a"): scheme,
// host, port, path and tenant, never user info, query or credentials. Then one
// batch id per line, appended and fsync'd as each acknowledgement arrives. A
// last line without its newline (a crash mid-append) is ignored and cut off
// before the next append; that batch is sent again (at least once).
//
// Nothing secret is ever written here: URLs with user info are refused before
// a push starts, and credentials come from each push's environment.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "push/http_client.h"

namespace spanprof::push {

enum class BatchKind {
  kPyroscopePush,    // POST {server}/push.v1.PusherService/Push, binary PushRequest
  kPyroscopeIngest,  // POST {server}/ingest?..., raw pprof
  kOtlpTraces,       // POST {traces-endpoint}, ExportTraceServiceRequest protobuf
};

const char* batch_kind_name(BatchKind kind);  // "pyroscope-push", "pyroscope-ingest", "otlp-traces"

// What a destination receives: profiles (push and ingest batches go to the
// Pyroscope server) or traces (to the OTLP endpoint).
enum class DeliveryClass { kProfiles, kTraces };
const char* delivery_class_name(DeliveryClass what);  // "profiles", "traces"

struct BatchInfo {
  std::string id;  // file stem; ids sort in send order ("000001-profile", "000002-traces")
  BatchKind kind = BatchKind::kPyroscopePush;
  // Appended to the server URL (push, ingest): "/push.v1.PusherService/Push" or
  // "/ingest?name=...&from=...&until=...&format=pprof". Empty for kOtlpTraces,
  // whose endpoint URL is used as given.
  std::string path_and_query;
  std::string content_type;  // "application/proto", "application/octet-stream", "application/x-protobuf"
  // The series' __name__ for profile batches (process_cpu, off_cpu, wall); ""
  // for traces.
  std::string profile_type;
  uint64_t profiles = 0;     // pprof profiles in the body
  uint64_t samples = 0;      // pprof samples in the body
  uint64_t spans = 0;        // OTLP spans in the body
  int64_t window_start_ns = 0;  // unix ns covered by the profiles (0 for traces)
  int64_t window_end_ns = 0;
  uint64_t body_bytes = 0;
  // Uncompressed pprof bytes of the profiles in the body: what Pyroscope's
  // per-tenant ingestion rate limit counts (0 for traces).
  uint64_t uncompressed_bytes = 0;

  DeliveryClass delivery_class() const {
    return kind == BatchKind::kOtlpTraces ? DeliveryClass::kTraces : DeliveryClass::kProfiles;
  }
};

struct Batch {
  BatchInfo info;
  std::string body;
};

// Who acknowledged a batch: the class of batches, the URL (without user info,
// query or fragment) and the tenant. "http://B" and "http://b:80/" are one
// destination; another path, port or tenant is another.
struct Destination {
  DeliveryClass what = DeliveryClass::kProfiles;
  UrlParts url;
  std::string tenant;  // X-Scope-OrgID, "" = none

  // For people: "http://b:4040" or "http://b:4040 (tenant team-a)".
  std::string describe() const;
  // "profiles http://b:4040/ tenant=team-a": the port always, the ledger's identity.
  std::string canonical() const;
  // 16 lower-case hex digits (FNV-1a 64 of canonical()): the ledger's file name.
  std::string key() const;
};

// url as given by --server or --traces-endpoint (already checked: no user info).
Result<Destination> destination_for(DeliveryClass what, const std::string& url,
                                    const std::string& tenant);

// The acknowledgements of one destination, read from its ledger and appended to.
class DeliveryLedger {
 public:
  const std::set<std::string>& ids() const { return ids_; }
  bool contains(const std::string& id) const { return ids_.count(id) > 0; }
  bool existed() const { return existed_; }  // false: a destination never pushed to
  const std::string& path() const { return path_; }

  // The destination acknowledged batch `id`: appended and fsync'd before returning.
  Result<void> record(const std::string& id);

 private:
  friend class Outbox;
  std::string path_;
  std::string header_;       // the first line, without its newline
  std::set<std::string> ids_;
  bool existed_ = false;
  uint64_t valid_bytes_ = 0;  // whole lines; a torn tail beyond them is cut off on record()
  uint64_t file_bytes_ = 0;
};

class Outbox {
 public:
  // DIR/outbox; created on the first write.
  explicit Outbox(std::string capture_dir);

  const std::string& path() const { return path_; }

  // Writes both files durably (fsync of file and directory) before returning.
  Result<void> write(const Batch& batch);

  // Every batch in id order, bodies not loaded. Removes orphan .body files and
  // interrupted writes. A .json that cannot be parsed is an error naming the
  // file; one written by an older spanprof is an error whose hint says --reshape.
  Result<std::vector<BatchInfo>> batches() const;
  // The name batches() had while delivered batches were removed; shaping calls
  // it to refuse writing into a non-empty outbox.
  Result<std::vector<BatchInfo>> pending() const { return batches(); }

  Result<std::string> read_body(const BatchInfo& info) const;

  // The destination's ledger (empty, existed() false, when it has none). A
  // damaged line or a first line naming another destination is an error.
  Result<DeliveryLedger> ledger(const Destination& destination) const;

  // Drops every batch and every ledger (push --reshape).
  Result<void> clear();

 private:
  std::string path_;
};

}  // namespace spanprof::push
