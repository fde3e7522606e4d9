// `spanprof push DIR` as a library call: shape DIR into its outbox unless an
// earlier push did (then resume), deliver the outbox, report what happened.
// The CLI (and `spanprof run --push`) only prints the outcome and maps it to an
// exit code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "common/result.h"
#include "push/delivery.h"
#include "push/push_plan.h"
#include "push/push_settings.h"

namespace spanprof::push {

// An earlier push shaped DIR: this one sends what each destination lacks.
struct ResumedPush {
  DeliveryPlan plan;       // per destination: delivered earlier, pending, new
  uint64_t delivered = 0;  // batches the configured destinations acknowledged earlier
  size_t pending = 0;      // batches this push sends (plan.pending())
  std::string outbox;
  bool options_changed = false;  // shaping options given that differ from the earlier ones
};

enum class PushStatus {
  kDelivered,   // every configured destination has every batch of its class
  kIncomplete,  // some batches left, retriable: push DIR again
  kRejected,    // a server refused a batch (4xx other than 408/429), or would (too old,
                // over the burst, a 429 on several profiles): pushing again does not help
};

struct PushOutcome {
  std::optional<ShapeReport> shaped;    // this push shaped DIR
  std::optional<ResumedPush> resumed;   // or resumed an earlier push's outbox
  DeliveryReport delivery;
  PushStatus status = PushStatus::kDelivered;
};

enum class PushFailureKind {
  kUsage,           // bad settings or credentials
  kUnusableInput,   // DIR cannot be shaped (no profile data, too old, damaged outbox...)
};

struct PushFailure {
  PushFailureKind kind;
  Error error;
};

struct PushObserver {
  std::function<void(const ShapeReport&)> on_shaped;    // before delivery starts
  std::function<void(const ResumedPush&)> on_resumed;   // before delivery starts
  std::function<void(const std::string&)> on_event;     // retries and failures, one line each
};

std::expected<PushOutcome, PushFailure> run_push(const std::string& dir,
                                                 const PushSettings& settings,
                                                 const PushObserver& observer = {});

// The push summary (--summary-json), schema "spanprof.push-summary/2":
// exit_code, delivered, and per class ("profiles", "traces") its destination
// (as DestinationPlan::destination: no user info, query or credentials; null
// when not configured), new_destination, delivered_earlier, pending, sent,
// retried, rejected, left, not_forwarded, profiles, samples, spans, bytes,
// paced_requests, paced_ms, too_old and stop_reason (null when none).
// Written durably.
Result<void> write_push_summary(const std::string& path, const DeliveryReport& report,
                                int exit_code);

}  // namespace spanprof::push
