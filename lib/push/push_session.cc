#include "push/push_session.h"

#include <fmt/format.h>

#include "common/durable_file.h"
#include "common/json_writer.h"
#include "push/outbox.h"
#include "push/push_state.h"

namespace spanprof::push {

namespace {

std::unexpected<PushFailure> unusable(Error error) {
  return std::unexpected(PushFailure{PushFailureKind::kUnusableInput, std::move(error)});
}

void write_destination(JsonWriter& json, std::string_view key, const DestinationReport& d) {
  json.begin_object(key);
  if (d.plan.configured()) {
    json.field("destination", d.plan.destination);
  } else {
    json.null_field("destination");
  }
  json.field("new_destination", d.plan.new_destination);
  json.field("delivered_earlier", d.plan.delivered_earlier);
  json.field("pending", d.plan.pending);
  json.field("sent", d.sent);
  json.field("retried", d.retried);
  json.field("rejected", d.rejected);
  json.field("left", d.left);
  json.field("profiles", d.profiles);
  // Added with off-CPU pushes; readers of push-summary/2 that do not know it
  // skip it, so the schema stays /2.
  json.begin_object("profiles_by_type");
  for (const auto& [type, count] : d.profiles_by_type) json.field(type, count);
  json.end_object();
  json.field("samples", d.samples);
  json.field("spans", d.spans);
  json.field("bytes", d.bytes);
  json.field("not_forwarded", d.not_forwarded);
  json.field("paced_requests", d.paced_requests);
  json.field("paced_ms", d.paced_ns / 1'000'000);
  json.field("too_old", d.too_old);
  if (d.stop_reason.empty()) {
    json.null_field("stop_reason");
  } else {
    json.field("stop_reason", d.stop_reason);
  }
  json.end_object();
}

}  // namespace

std::expected<PushOutcome, PushFailure> run_push(const std::string& dir,
                                                 const PushSettings& settings,
                                                 const PushObserver& observer) {
  if (dir.empty()) {
    return std::unexpected(PushFailure{PushFailureKind::kUsage,
                                       Error{"give the capture directory DIR", "", ""}});
  }
  auto prepared = prepare_push(settings);
  if (!prepared) return std::unexpected(PushFailure{PushFailureKind::kUsage, prepared.error()});

  PushOutcome outcome;
  Outbox outbox(dir);
  // --reshape reads nothing an earlier push wrote: it also gets DIR out of an
  // outbox or push.json another spanprof version left.
  std::optional<PushState> previous;
  if (!settings.reshape) {
    auto state = read_push_state(dir);
    if (!state) return unusable(state.error());
    previous = std::move(*state);
  }
  if (previous) {
    auto plan = plan_delivery(dir, prepared->delivery);
    if (!plan) return unusable(plan.error());
    // push.json is written after every batch: an outbox that holds another
    // number of them was cut short or changed, and is not the shaped capture.
    uint64_t batches = plan->profiles.batches + plan->traces.batches;
    if (batches != previous->batches) {
      return unusable(Error{
          fmt::format("the outbox holds {} batches, the push that shaped it wrote {}", batches,
                      previous->batches),
          outbox.path(), "shape DIR again with --reshape"});
    }
    ResumedPush resumed;
    resumed.plan = std::move(*plan);
    for (const DestinationPlan* d : {&resumed.plan.profiles, &resumed.plan.traces}) {
      if (d->configured()) resumed.delivered += d->delivered_earlier;
    }
    resumed.pending = resumed.plan.pending();
    resumed.outbox = outbox.path();
    resumed.options_changed =
        settings.shaping_given && previous->fingerprint != options_fingerprint(prepared->shape);
    if (observer.on_resumed) observer.on_resumed(resumed);
    outcome.resumed = std::move(resumed);
  } else {
    if (auto ok = remove_push_state(dir); !ok) return unusable(ok.error());
    if (auto ok = outbox.clear(); !ok) return unusable(ok.error());
    auto shaped = shape_capture(dir, prepared->shape);
    if (!shaped) return unusable(shaped.error());
    if (observer.on_shaped) observer.on_shaped(*shaped);
    outcome.shaped = std::move(*shaped);
  }

  prepared->delivery.on_event = observer.on_event;
  auto delivered = deliver_outbox(dir, prepared->delivery);
  if (!delivered) return unusable(delivered.error());
  outcome.delivery = std::move(*delivered);
  outcome.status = outcome.delivery.any_rejected()    ? PushStatus::kRejected
                   : outcome.delivery.all_delivered() ? PushStatus::kDelivered
                                                      : PushStatus::kIncomplete;
  return outcome;
}

Result<void> write_push_summary(const std::string& path, const DeliveryReport& report,
                                int exit_code) {
  JsonWriter json;
  json.begin_object();
  json.field("schema", "spanprof.push-summary/2");
  json.field("exit_code", exit_code);
  json.field("delivered", report.all_delivered());
  write_destination(json, "profiles", report.profiles);
  write_destination(json, "traces", report.traces);
  json.end_object();
  return write_file_durably(path, json.take());
}

}  // namespace spanprof::push
