#include "push/delivery.h"

#include <simdjson.h>

#include <cctype>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "push/outbox.h"
#include "push/token_bucket.h"

namespace spanprof::push {

namespace {

constexpr size_t kMaxMessageChars = 300;

constexpr int64_t kNsPerMs = 1'000'000;

int64_t real_steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t real_unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "1h 12m", "3m 5s", "42.0 s".
std::string human_duration(int64_t ns) {
  int64_t s = (ns < 0 ? -ns : ns) / 1'000'000'000;
  if (s >= 86400) return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
  if (s >= 3600) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m {}s", s / 60, s % 60);
  return fmt::format("{:.1f} s", static_cast<double>(ns < 0 ? -ns : ns) / 1e9);
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string printable_line(std::string_view text) {
  size_t end = text.find_first_of("\r\n");
  text = text.substr(0, end);
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxMessageChars) {
      out += "...";
      break;
    }
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string join_url(const std::string& base, const std::string& path_and_query) {
  if (path_and_query.empty()) return base;
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!path_and_query.starts_with('/')) url += '/';
  return url + path_and_query;
}

std::string describe(const BatchInfo& info) {
  if (info.kind == BatchKind::kOtlpTraces) return fmt::format("batch {} ({} spans)", info.id, info.spans);
  return fmt::format("batch {} ({} profiles, {} samples)", info.id, info.profiles, info.samples);
}

// The bytes a profile batch charges to the tenant's bucket. Outboxes record
// the uncompressed size; a batch without it (0) is charged its body, a lower bound.
uint64_t charged_bytes(const BatchInfo& info) {
  return info.uncompressed_bytes > 0 ? info.uncompressed_bytes : info.body_bytes;
}

struct Sender {
  const DeliveryOptions& options;
  std::string dir;  // for the fixes messages name
  HttpClient client{options.http};
  RetryPolicy policy{options.retry,
                     options.retry_seed != 0 ? options.retry_seed : std::random_device{}()};
  TokenBucket bucket{options.rate_bytes_per_s, options.burst_bytes, steady_ns()};

  int64_t steady_ns() const {
    return options.clock.steady_ns ? options.clock.steady_ns() : real_steady_ns();
  }
  int64_t unix_ns() const { return options.clock.unix_ns ? options.clock.unix_ns() : real_unix_ns(); }
  void sleep_ns(int64_t ns) const {
    if (ns <= 0) return;
    if (options.clock.sleep_ns) {
      options.clock.sleep_ns(ns);
    } else {
      std::this_thread::sleep_for(std::chrono::nanoseconds(ns));
    }
  }

  void event(const std::string& line) const {
    if (options.on_event) options.on_event(line);
  }

  std::string reshape_to_now() const {
    return fmt::format("spanprof push {} --reshape --shift-to-now", dir);
  }

  // The checks a profile batch must pass before it is sent: "" or why the
  // destination stops (the batch would be refused however often it is sent).
  std::string refuse_before_sending(const BatchInfo& info, DestinationReport& report) {
    if (options.max_age_ns > 0 && info.window_start_ns > 0) {
      int64_t age = unix_ns() - info.window_start_ns;
      if (age > options.max_age_ns) {
        report.too_old = true;
        return fmt::format(
            "{} starts {} ago, more than --max-age {}: Pyroscope refuses profiles that old "
            "(a 400 every time); send the whole capture again, moved to now: {}",
            describe(info), human_duration(age), human_duration(options.max_age_ns),
            reshape_to_now());
      }
    }
    if (options.rate_bytes_per_s > 0 && charged_bytes(info) > options.burst_bytes) {
      return fmt::format(
          "{} holds {} uncompressed profile bytes, more than the tenant's burst of {} bytes "
          "(--burst): Pyroscope's rate limiter can never let it through; shape smaller requests "
          "with spanprof push {} --reshape, or give the server's burst with --burst if it is "
          "larger",
          describe(info), charged_bytes(info), options.burst_bytes, dir);
    }
    return {};
  }

  // Waits until the bucket holds the batch's bytes and takes them. Returns ""
  // or why the destination stops (the wait would be longer than allowed).
  std::string pace(const BatchInfo& info, DestinationReport& report) {
    if (!bucket.pacing() || info.delivery_class() != DeliveryClass::kProfiles) return {};
    uint64_t bytes = charged_bytes(info);
    std::optional<int64_t> wait = bucket.wait_ns(bytes, steady_ns());
    if (!wait) return {};  // over the burst: refuse_before_sending stopped it already
    if (*wait > options.max_pace_wait_ns) {
      return fmt::format(
          "{} would wait {} for the local rate limit ({} bytes at --rate-limit {} bytes/s): "
          "raise --rate-limit to the tenant's ingestion rate",
          describe(info), human_duration(*wait), bytes, options.rate_bytes_per_s);
    }
    if (*wait > 0) {
      report.paced_requests += 1;
      report.paced_ns += *wait;
      sleep_ns(*wait);
    }
    bucket.take(bytes, steady_ns());
    return {};
  }

  // Sends one batch until it is acknowledged, refused, or retrying gives up.
  // Returns true when the server took it; otherwise report.stop_reason says why.
  bool send(const BatchInfo& info, const std::string& body, const DestinationOptions& where,
            DestinationReport& report) {
    std::string url = join_url(where.url, info.path_and_query);
    std::vector<std::string> headers = where.credentials.header_lines;
    headers.push_back("Content-Type: " + info.content_type);
    if (!where.tenant.empty()) headers.push_back("X-Scope-OrgID: " + where.tenant);
    const auto& secrets = where.credentials.secrets;
    const bool profiles = info.delivery_class() == DeliveryClass::kProfiles;

    int64_t started = steady_ns();
    auto elapsed_ms = [&] { return (steady_ns() - started) / kNsPerMs; };
    for (int attempt = 1;; ++attempt) {
      if (std::string stop = pace(info, report); !stop.empty()) {
        report.stop_reason = std::move(stop);
        return false;
      }
      auto response = client.post(url, headers, body);
      AttemptOutcome outcome;
      std::string failure;
      std::string message;
      if (!response) {
        outcome.transport_error = true;
        outcome.permanent = client.last_failure_permanent();
        failure = response.error().to_string();
      } else if (is_success(response->status)) {
        return true;
      } else {
        outcome.status = response->status;
        outcome.retry_after = response->retry_after;
        message = server_message(*response);
        failure = fmt::format("HTTP {}{}{}", response->status, message.empty() ? "" : ": ",
                              message);
      }
      failure = scrub_secrets(std::move(failure), secrets);
      if (profiles && outcome.status == 429) {
        bucket.drain(steady_ns());
        if (info.profiles > 1) {
          report.rejected += 1;
          report.stopped_by_rejection = true;
          report.stop_reason = fmt::format(
              "{}: {}; the request holds {} profiles and Pyroscope stores those that passed its "
              "rate limit, so some may be stored already and a retry would store them twice "
              "(left in the outbox; shape one profile per request with spanprof push {} "
              "--reshape)",
              describe(info), failure, info.profiles, dir);
          return false;
        }
      }
      auto delay = policy.next_delay_ms(attempt, outcome, elapsed_ms(), unix_ns() / kNsPerMs);
      if (!delay) {
        if (outcome.transport_error && outcome.permanent) {
          report.stop_reason = fmt::format(
              "cannot send {}: {} (left in the outbox; fix the cause, then run spanprof push "
              "again)",
              describe(info), failure);
        } else if (!is_retriable(outcome)) {
          report.rejected += 1;
          report.stopped_by_rejection = true;
          if (profiles && outcome.status == 400 && says_too_old(message)) {
            report.too_old = true;
            report.stop_reason = fmt::format(
                "{} refused {}: {} (the server keeps no profiles that old; send the whole "
                "capture again, moved to now: {})",
                where.url, describe(info), failure, reshape_to_now());
          } else {
            report.stop_reason = fmt::format(
                "{} refused {}: {} (the batch stays in the outbox; fix the cause, then run "
                "spanprof push again)",
                where.url, describe(info), failure);
          }
        } else {
          report.stop_reason = fmt::format(
              "gave up on {} after {} attempts in {:.1f} s: {} (left in the outbox; run "
              "spanprof push again)",
              describe(info), attempt, static_cast<double>(elapsed_ms()) / 1000.0, failure);
        }
        return false;
      }
      report.retried += 1;
      event(fmt::format("{} batch {}: {}; retrying in {:.1f} s (attempt {} of {})", report.name,
                        info.id, failure, static_cast<double>(*delay) / 1000.0, attempt + 1,
                        policy.options().max_attempts));
      sleep_ns(*delay * kNsPerMs);
    }
  }
};

const DestinationOptions& options_for(const DeliveryOptions& options, DeliveryClass what) {
  return what == DeliveryClass::kTraces ? options.traces : options.profiles;
}

// The destination's plan and ledger (nullopt ledger when not configured).
struct PlannedDestination {
  std::optional<DeliveryLedger> ledger;
  std::vector<const BatchInfo*> pending;
};

Result<PlannedDestination> plan_destination(const Outbox& outbox,
                                            const std::vector<BatchInfo>& batches,
                                            const DeliveryOptions& options, DeliveryClass what,
                                            DestinationPlan& plan) {
  PlannedDestination planned;
  const DestinationOptions& where = options_for(options, what);
  if (!where.url.empty()) {
    auto destination = destination_for(what, where.url, where.tenant);
    if (!destination) return std::unexpected(destination.error());
    auto ledger = outbox.ledger(*destination);
    if (!ledger) return std::unexpected(ledger.error());
    plan.destination = destination->describe();
    plan.new_destination = !ledger->existed();
    planned.ledger = std::move(*ledger);
  }
  for (const BatchInfo& info : batches) {
    if (info.delivery_class() != what) continue;
    plan.batches += 1;
    if (planned.ledger && planned.ledger->contains(info.id)) {
      plan.delivered_earlier += 1;
      continue;
    }
    plan.pending += 1;
    plan.pending_spans += info.spans;
    planned.pending.push_back(&info);
  }
  return planned;
}

}  // namespace

std::string DestinationPlan::summary() const {
  if (!configured()) {
    if (std::string_view(name) == "traces") {
      return fmt::format(
          "traces: {} batches ({} spans) not forwarded: no --traces-endpoint; a later push with "
          "it sends them",
          pending, pending_spans);
    }
    return fmt::format("{}: {} batches not sent: no server given", name, pending);
  }
  std::string line = fmt::format("{} -> {}: {} pending", name, destination, pending);
  if (new_destination) return line + " (new destination)";
  return line + fmt::format(", {} delivered earlier", delivered_earlier);
}

std::string server_message(const HttpResponse& response) {
  std::string_view body = response.body;
  if (body.empty()) return {};
  // Connect unary errors: {"code": "invalid_argument", "message": "..."}.
  if (body.front() == '{') {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view message;
    std::string_view code;
    if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS &&
        root.is_object() && root["message"].get(message) == simdjson::SUCCESS) {
      std::string out = printable_line(message);
      if (root["code"].get(code) == simdjson::SUCCESS && !code.empty()) {
        out = fmt::format("{} ({})", out, printable_line(code));
      }
      return out;
    }
  }
  return printable_line(body);
}

Result<DeliveryPlan> plan_delivery(const std::string& dir, const DeliveryOptions& options) {
  Outbox outbox(dir);
  auto batches = outbox.batches();
  if (!batches) return std::unexpected(batches.error());
  DeliveryPlan plan;
  for (DeliveryClass what : {DeliveryClass::kProfiles, DeliveryClass::kTraces}) {
    DestinationPlan& destination = what == DeliveryClass::kTraces ? plan.traces : plan.profiles;
    auto planned = plan_destination(outbox, *batches, options, what, destination);
    if (!planned) return std::unexpected(planned.error());
  }
  return plan;
}

Result<DeliveryReport> deliver_outbox(const std::string& dir, const DeliveryOptions& options) {
  Outbox outbox(dir);
  auto batches = outbox.batches();
  if (!batches) return std::unexpected(batches.error());

  DeliveryReport report;
  Sender sender{options, dir};
  for (DeliveryClass what : {DeliveryClass::kProfiles, DeliveryClass::kTraces}) {
    DestinationReport& dest = what == DeliveryClass::kTraces ? report.traces : report.profiles;
    auto planned = plan_destination(outbox, *batches, options, what, dest.plan);
    if (!planned) return std::unexpected(planned.error());
    if (!planned->ledger) {
      if (dest.plan.pending == 0) continue;
      if (what == DeliveryClass::kTraces) {
        dest.not_forwarded = dest.plan.pending;
        dest.note = dest.plan.summary();
      } else {
        dest.left = dest.plan.pending;
        dest.stop_reason = "no server given: profile batches stay in the outbox";
      }
      continue;
    }
    DeliveryLedger& ledger = *planned->ledger;
    const DestinationOptions& where = options_for(options, what);
    for (const BatchInfo* info : planned->pending) {
      if (!dest.stop_reason.empty()) {
        dest.left += 1;
        continue;
      }
      if (what == DeliveryClass::kProfiles) {
        if (std::string stop = sender.refuse_before_sending(*info, dest); !stop.empty()) {
          dest.rejected += 1;
          dest.stopped_by_rejection = true;
          dest.stop_reason = std::move(stop);
          dest.left += 1;
          continue;
        }
      }
      auto body = outbox.read_body(*info);
      if (!body) return std::unexpected(body.error());
      if (!sender.send(*info, *body, where, dest)) {
        dest.left += 1;
        continue;
      }
      if (auto ok = ledger.record(info->id); !ok) return std::unexpected(ok.error());
      dest.sent += 1;
      dest.profiles += info->profiles;
      if (info->profiles > 0) dest.profiles_by_type[info->profile_type] += info->profiles;
      dest.samples += info->samples;
      dest.spans += info->spans;
      dest.bytes += body->size();
    }
  }
  return report;
}

bool says_too_old(std::string_view message) {
  std::string text = lower_ascii(message);
  for (std::string_view needle : {"ingestion window", "too old", "out of bounds", "out-of-bounds",
                                  "out_of_bounds", "older than"}) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace spanprof::push
