// Sending DIR/outbox: every pending batch, in id order, to where its kind
// says (the Pyroscope server, or the traces endpoint), acknowledged (removed)
// only on a 2xx.
//
// Takes: the capture dir and where/how to send. Gives: per destination what was
// sent, retried, rejected and left in the outbox. Retriable failures (transport
// errors, 408, 429, 5xx) are retried per RetryPolicy; when a request gives up,
// or a server refuses a batch (any other 4xx), that destination stops and its
// remaining batches stay pending for the next `spanprof push DIR`. Delivery is
// at least once: a crash between a server's 2xx and the acknowledgement sends
// that batch again next time.
#pragma once

#include <cstdint>
#include <functional>
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

struct DeliveryOptions {
  DestinationOptions profiles;  // kPyroscopePush and kPyroscopeIngest batches
  DestinationOptions traces;    // kOtlpTraces batches
  HttpOptions http;
  RetryOptions retry;
  uint64_t retry_seed = 0;  // 0: random
  // One line per retry or failure, for the user (never holds credentials).
  std::function<void(const std::string&)> on_event;
};

struct DestinationReport {
  explicit DestinationReport(const char* destination) : name(destination) {}
  const char* name;          // "profiles", "traces"
  uint64_t sent = 0;         // batches acknowledged by the server
  uint64_t retried = 0;      // attempts that were retried
  uint64_t rejected = 0;     // batches a server refused (4xx); kept in the outbox
  uint64_t left = 0;         // batches still pending after this run (rejected included)
  uint64_t profiles = 0;     // in the sent batches
  uint64_t samples = 0;
  uint64_t spans = 0;
  uint64_t bytes = 0;
  // Why this destination stopped, one line; empty when everything was sent.
  std::string stop_reason;
  bool stopped_by_rejection = false;
};

struct DeliveryReport {
  DestinationReport profiles{"profiles"};
  DestinationReport traces{"traces"};
  bool all_delivered() const { return profiles.left == 0 && traces.left == 0; }
  bool any_rejected() const { return profiles.rejected > 0 || traces.rejected > 0; }
};

// An error is an unusable outbox (unreadable, damaged entry); what a server or
// the network did is in the report.
Result<DeliveryReport> deliver_outbox(const std::string& dir, const DeliveryOptions& options);

// The one-line message of a refused request: the Connect error's "message"
// (JSON {"code","message"}), else the body's first line; bounded, printable.
std::string server_message(const HttpResponse& response);

}  // namespace spanprof::push
