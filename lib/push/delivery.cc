#include "push/delivery.h"

#include <simdjson.h>

#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "push/outbox.h"

namespace spanprof::push {

namespace {

constexpr size_t kMaxMessageChars = 300;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

struct Sender {
  const DeliveryOptions& options;
  HttpClient client{options.http};
  RetryPolicy policy{options.retry,
                     options.retry_seed != 0 ? options.retry_seed : std::random_device{}()};

  void event(const std::string& line) const {
    if (options.on_event) options.on_event(line);
  }

  // Sends one batch until it is acknowledged, refused, or retrying gives up.
  // Returns true when the server took it.
  bool send(const BatchInfo& info, const std::string& body, const DestinationOptions& where,
            DestinationReport& report) {
    std::string url = join_url(where.url, info.path_and_query);
    std::vector<std::string> headers = where.credentials.header_lines;
    headers.push_back("Content-Type: " + info.content_type);
    if (!where.tenant.empty()) headers.push_back("X-Scope-OrgID: " + where.tenant);
    const auto& secrets = where.credentials.secrets;

    int64_t started = steady_ms();
    for (int attempt = 1;; ++attempt) {
      auto response = client.post(url, headers, body);
      AttemptOutcome outcome;
      std::string failure;
      if (!response) {
        outcome.transport_error = true;
        outcome.permanent = client.last_failure_permanent();
        failure = response.error().to_string();
      } else if (is_success(response->status)) {
        return true;
      } else {
        outcome.status = response->status;
        outcome.retry_after = response->retry_after;
        std::string message = server_message(*response);
        failure = fmt::format("HTTP {}{}{}", response->status, message.empty() ? "" : ": ",
                              message);
      }
      failure = scrub_secrets(std::move(failure), secrets);
      auto delay = policy.next_delay_ms(attempt, outcome, steady_ms() - started, unix_ms());
      if (!delay) {
        if (outcome.transport_error && outcome.permanent) {
          report.stop_reason = fmt::format(
              "cannot send {}: {} (left in the outbox; fix the cause, then run spanprof push "
              "again)",
              describe(info), failure);
        } else if (!is_retriable(outcome)) {
          report.rejected += 1;
          report.stopped_by_rejection = true;
          report.stop_reason = fmt::format(
              "{} refused {}: {} (the batch stays in the outbox; fix the cause, then run "
              "spanprof push again)",
              where.url, describe(info), failure);
        } else {
          report.stop_reason = fmt::format(
              "gave up on {} after {} attempts in {:.1f} s: {} (left in the outbox; run "
              "spanprof push again)",
              describe(info), attempt, static_cast<double>(steady_ms() - started) / 1000.0,
              failure);
        }
        return false;
      }
      report.retried += 1;
      event(fmt::format("{} batch {}: {}; retrying in {:.1f} s (attempt {} of {})", report.name,
                        info.id, failure, static_cast<double>(*delay) / 1000.0, attempt + 1,
                        policy.options().max_attempts));
      std::this_thread::sleep_for(std::chrono::milliseconds(*delay));
    }
  }
};

}  // namespace

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

Result<DeliveryReport> deliver_outbox(const std::string& dir, const DeliveryOptions& options) {
  Outbox outbox(dir);
  auto pending = outbox.pending();
  if (!pending) return std::unexpected(pending.error());

  DeliveryReport report;
  Sender sender{options};
  for (const BatchInfo& info : *pending) {
    bool traces = info.kind == BatchKind::kOtlpTraces;
    DestinationReport& dest = traces ? report.traces : report.profiles;
    const DestinationOptions& where = traces ? options.traces : options.profiles;
    if (where.url.empty()) {
      dest.left += 1;
      if (dest.stop_reason.empty()) {
        dest.stop_reason = traces ? "no --traces-endpoint given: trace batches stay in the outbox"
                                  : "no server given: profile batches stay in the outbox";
      }
      continue;
    }
    if (!dest.stop_reason.empty()) {
      dest.left += 1;
      continue;
    }
    auto body = outbox.read_body(info);
    if (!body) return std::unexpected(body.error());
    if (!sender.send(info, *body, where, dest)) {
      dest.left += 1;
      continue;
    }
    if (auto ok = outbox.acknowledge(info); !ok) return std::unexpected(ok.error());
    dest.sent += 1;
    dest.profiles += info.profiles;
    dest.samples += info.samples;
    dest.spans += info.spans;
    dest.bytes += body->size();
  }
  return report;
}

}  // namespace spanprof::push
