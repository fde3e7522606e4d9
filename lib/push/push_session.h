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

// An earlier push shaped DIR: this one sends what it left.
struct ResumedPush {
  uint64_t delivered = 0;  // batches the earlier pushes got acknowledged
  size_t pending = 0;
  std::string outbox;
  bool options_changed = false;  // shaping options given that differ from the earlier ones
};

enum class PushStatus {
  kDelivered,   // nothing left in the outbox
  kIncomplete,  // some batches left, retriable: push DIR again
  kRejected,    // a server refused a batch (4xx other than 408/429)
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

// The push summary (--summary-json), schema "spanprof.push-summary/1":
// exit_code, delivered, and per destination sent/retried/rejected/left/
// profiles/samples/spans/bytes. Written durably.
Result<void> write_push_summary(const std::string& path, const DeliveryReport& report,
                                int exit_code);

}  // namespace spanprof::push
