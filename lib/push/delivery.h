// Sending DIR/outbox: to each destination (the Pyroscope server for profile
// batches, the traces endpoint for trace batches) every batch of its class its
// ledger does not hold yet, in id order; each 2xx is recorded in that ledger
// (outbox.h). Batches stay in the outbox, so another destination later gets
// them all.
//
// Takes: the capture dir and where/how to send. Gives: per destination what it
// had before (delivered earlier, pending, new), what was sent, retried, refused
// and left. Retriable failures (transport errors, 408, 429, 5xx) are retried per
// RetryPolicy; when a request gives up, or a server refuses a batch (any other
// 4xx), that destination stops and its remaining batches stay pending for the
// next `spanprof push DIR`. Delivery is at least once: a crash between a
// server's 2xx and the ledger's fsync sends that batch again next time.
//
// Before each profile request, delivery:
// - refuses a batch whose window started more than max_age_ns ago: Pyroscope
//   answers it with a permanent 400 (validation: "outside of ingestion window"),
//   so the destination stops with the fix, `--reshape --shift-to-now`;
// - refuses a batch whose uncompressed bytes exceed burst_bytes: the server's
//   token bucket can never hold it;
// - waits until a client-side token bucket (token_bucket.h; rate_bytes_per_s,
//   burst_bytes) holds the batch's uncompressed bytes, so our own requests do
//   not trip the tenant's limiter.
//
// Why a 429 is safe to retry: Pyroscope charges each profile of a request to
// the tenant's bucket on its own and stores the ones that pass even when it
// answers 429 for the request. Shaping puts ONE profile in each request, so a
// 429 means that profile was not stored, and sending it again stores it once.
// The retry honours Retry-After, and the local bucket is drained first: the
// tenant's budget is being spent by someone else, so the next requests wait for
// their bytes. A batch with several profiles (only in a hand-made outbox) is not
// retried after a 429: some of its profiles may be stored, a retry would store
// them twice, and the destination stops saying so.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "push/credentials.h"
#include "push/http_client.h"
#include "push/retry_policy.h"

namespace spanprof::push {

struct DestinationOptions {
  std::string url;     // server base URL, or the traces endpoint as given; "" = not configured
  std::string tenant;  // X-Scope-OrgID, "" = none
  Credentials credentials;
};

// The clocks delivery reads and how it waits; an empty function is the real one
// (CLOCK_MONOTONIC, CLOCK_REALTIME, std::this_thread::sleep_for). Tests replace them.
struct DeliveryClock {
  std::function<int64_t()> steady_ns;
  std::function<int64_t()> unix_ns;  // staleness and Retry-After dates
  std::function<void(int64_t)> sleep_ns;
};

inline constexpr uint64_t kDefaultRateBytesPerS = 4u << 20;  // Pyroscope's ingestion_rate_mb 4
inline constexpr uint64_t kDefaultBurstBytes = 2u << 20;     // its ingestion_burst_size_mb 2

struct DeliveryOptions {
  DestinationOptions profiles;  // kPyroscopePush and kPyroscopeIngest batches
  DestinationOptions traces;    // kOtlpTraces batches
  HttpOptions http;
  RetryOptions retry;
  uint64_t retry_seed = 0;  // 0: random
  // Pacing of profile requests (--rate-limit BYTES_PER_S, --burst BYTES): the
  // tenant's ingestion limit, over uncompressed pprof bytes. rate 0 = no pacing
  // and no burst check (a server without a limit).
  uint64_t rate_bytes_per_s = kDefaultRateBytesPerS;
  uint64_t burst_bytes = kDefaultBurstBytes;
  // A profile batch whose window started longer ago than this is not sent
  // (--max-age; Pyroscope's reject_older_than, 1 h). 0 = no check.
  int64_t max_age_ns = 3600'000'000'000;
  // Pacing never waits longer than this for one request: a lower --rate-limit
  // stops the destination with a reason instead of sleeping for hours.
  int64_t max_pace_wait_ns = 600'000'000'000;
  DeliveryClock clock;
  // One line per retry or failure, for the user (never holds credentials).
  std::function<void(const std::string&)> on_event;
};

// One destination before anything is sent.
struct DestinationPlan {
  explicit DestinationPlan(const char* kind) : name(kind) {}
  const char* name;          // "profiles", "traces"
  std::string destination;   // "http://b:4040 (tenant t)"; "" = not configured
  bool new_destination = false;  // no ledger: never pushed to from this outbox
  uint64_t batches = 0;      // of this class in the outbox
  uint64_t delivered_earlier = 0;
  uint64_t pending = 0;      // batches - delivered_earlier: what this push sends
  uint64_t pending_spans = 0;  // in the pending (or, not configured, all) trace batches
  bool configured() const { return !destination.empty(); }
  // One line: "profiles -> http://b:4040: 3 pending (new destination)",
  // "traces -> http://t:4318/v1/traces: 0 pending, 2 delivered earlier", or
  // "traces: 2 batches (40 spans) not forwarded: no --traces-endpoint; a later
  // push with it sends them".
  std::string summary() const;
};

struct DeliveryPlan {
  DestinationPlan profiles{"profiles"};
  DestinationPlan traces{"traces"};
  uint64_t pending() const {
    return (profiles.configured() ? profiles.pending : 0) +
           (traces.configured() ? traces.pending : 0);
  }
};

struct DestinationReport {
  explicit DestinationReport(const char* destination) : name(destination), plan(destination) {}
  const char* name;          // "profiles", "traces"
  DestinationPlan plan;      // what it had before this push
  uint64_t sent = 0;         // batches acknowledged by the server now
  uint64_t retried = 0;      // attempts that were retried
  // Batches a server refused (4xx), or would refuse (too old, over the burst,
  // a 429 on a request of several profiles); kept in the outbox.
  uint64_t rejected = 0;
  uint64_t left = 0;         // batches still pending for this destination (rejected included)
  uint64_t not_forwarded = 0;  // trace batches kept because no --traces-endpoint was given
  uint64_t profiles = 0;     // in the sent batches
  // The same profiles by their series' __name__ (process_cpu, off_cpu, wall).
  std::map<std::string, uint64_t> profiles_by_type;
  uint64_t samples = 0;
  uint64_t spans = 0;
  uint64_t bytes = 0;
  uint64_t paced_requests = 0;  // requests that waited for the local token bucket
  int64_t paced_ns = 0;         // total time they waited
  // Why this destination stopped, one line; empty when everything was sent.
  std::string stop_reason;
  bool stopped_by_rejection = false;
  bool too_old = false;  // stopped because a batch is older than the server keeps
  // Not an error: "2 batches (40 spans) not forwarded: no --traces-endpoint; ...".
  std::string note;
};

struct DeliveryReport {
  DestinationReport profiles{"profiles"};
  DestinationReport traces{"traces"};
  // Trace batches without a --traces-endpoint are not "left": they are noted.
  bool all_delivered() const { return profiles.left == 0 && traces.left == 0; }
  bool any_rejected() const { return profiles.rejected > 0 || traces.rejected > 0; }
};

// What each destination has and lacks, reading the outbox and its ledgers only.
Result<DeliveryPlan> plan_delivery(const std::string& dir, const DeliveryOptions& options);

// An error is an unusable outbox (unreadable, damaged entry or ledger, another
// version's schema); what a server or the network did is in the report.
Result<DeliveryReport> deliver_outbox(const std::string& dir, const DeliveryOptions& options);

// The one-line message of a refused request: the Connect error's "message"
// (JSON {"code","message"}), else the body's first line; bounded, printable.
std::string server_message(const HttpResponse& response);

// A refusal that says the profile is older than the server accepts
// (Pyroscope's NotInIngestionWindow, "out of bounds", "too old").
bool says_too_old(std::string_view message);

}  // namespace spanprof::push
