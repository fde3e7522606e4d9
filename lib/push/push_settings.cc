#include "push/push_settings.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "binaries/build_id.h"

namespace spanprof::push {

namespace {

Result<void> check_tenant(const std::string& tenant) {
  bool printable =
      std::all_of(tenant.begin(), tenant.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!printable || tenant.size() > 150) {
    return make_error("--tenant and --traces-tenant take one word of at most 150 printable "
                      "characters");
  }
  return {};
}

Result<ShapeOptions> shape_options(const PushSettings& settings) {
  ShapeOptions shape;
  if (settings.protocol == "push") {
    shape.protocol = Protocol::kPush;
  } else if (settings.protocol == "ingest") {
    shape.protocol = Protocol::kIngest;
  } else {
    return make_error(fmt::format("--protocol is push or ingest, not \"{}\"", settings.protocol));
  }
  const std::optional<std::string>& scope = settings.matching.span_scope;
  if (scope && *scope != "root" && *scope != "innermost") {
    return make_error(fmt::format("--span-scope is root or innermost, not \"{}\"", *scope));
  }
  shape.service_name = settings.service_name;
  for (const std::string& label : settings.labels) {
    size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(
          fmt::format("--label \"{}\" is not k=v (example: --label env=staging)", label));
    }
    shape.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
  }
  shape.span_name_label = !settings.no_span_name;
  auto profiles = parse_profile_selection(settings.profiles);
  if (!profiles) return std::unexpected(profiles.error());
  shape.profiles = *profiles;
  shape.shift_to_now = settings.shift_to_now;
  // At most ten years: the nanoseconds must fit in 64 bits.
  if (settings.max_age_s <= 0 || settings.max_age_s > 10 * 366 * 86400) {
    return make_error("--max-age is a positive number of seconds, at most ten years");
  }
  shape.max_age_ns = settings.max_age_s * 1'000'000'000;
  if (auto ok = check_shape_options(shape); !ok) return std::unexpected(ok.error());
  shape.join.include_kernel_frames = !settings.no_kernel;
  // Span matching as `spanprof join` takes it; what is not given comes from the
  // capture's last join (join_options_for).
  shape.join.matching = settings.matching;
  shape.trace_id_label = !settings.no_trace_id_label;
  shape.host_label = settings.host_label;
  if (settings.max_request_bytes < 4096) {
    return make_error("--max-request-bytes is at least 4096 (one profile's uncompressed bytes)");
  }
  shape.limits.max_profile_bytes = static_cast<size_t>(settings.max_request_bytes);
  if (settings.kernel_symbols == "always") {
    shape.join.kernel_symbols = join::KernelSymbols::kAlways;
  } else if (settings.kernel_symbols == "never") {
    shape.join.kernel_symbols = join::KernelSymbols::kNever;
  } else if (settings.kernel_symbols == "auto") {
    shape.join.kernel_symbols = join::KernelSymbols::kAuto;
  } else {
    return make_error(fmt::format("--kernel-symbols is auto, always or never, not \"{}\"",
                                  settings.kernel_symbols));
  }
  shape.join.symbolizer.perf_map_dir = settings.perf_map_dir;
  shape.join.symbolizer.debuginfod = settings.debuginfod;
  // Resolved here, not left to the binary table, so the options fingerprint names it.
  shape.join.symbolizer.build_id_cache_dir =
      settings.buildid_dir.empty() ? binaries::default_build_id_cache_dir() : settings.buildid_dir;
  return shape;
}

Result<DeliveryOptions> delivery_options(const PushSettings& settings) {
  if (!(settings.connect_timeout_s > 0) || !(settings.timeout_s > 0) ||
      settings.timeout_s > 86400 || settings.connect_timeout_s > 86400) {
    return make_error(
        "--connect-timeout and --timeout take seconds, more than 0 and at most 86400");
  }
  if (settings.max_attempts < 1 || settings.max_attempts > 100) {
    return make_error("--max-attempts is 1 to 100");
  }
  if (!(settings.max_retry_time_s >= 0) || settings.max_retry_time_s > 86400) {
    return make_error("--max-retry-time takes seconds, 0 to 86400");
  }
  if (!(settings.rate_limit_bytes_per_s >= 0) || settings.rate_limit_bytes_per_s > 1e12) {
    return make_error("--rate-limit takes bytes per second, 0 (no pacing) or more");
  }
  if (settings.rate_limit_bytes_per_s > 0 && settings.burst_bytes < settings.max_request_bytes) {
    return make_error(fmt::format(
        "--burst {} is below --max-request-bytes {}: a profile that size could never pass the "
        "tenant's bucket (raise --burst to the server's ingestion burst, or lower "
        "--max-request-bytes)",
        settings.burst_bytes, settings.max_request_bytes));
  }
  DeliveryOptions delivery;
  delivery.rate_bytes_per_s = static_cast<uint64_t>(std::llround(settings.rate_limit_bytes_per_s));
  delivery.burst_bytes = settings.burst_bytes;
  delivery.max_age_ns = settings.max_age_s * 1'000'000'000;
  delivery.http.connect_timeout_ms = std::llround(settings.connect_timeout_s * 1000);
  delivery.http.timeout_ms = std::llround(settings.timeout_s * 1000);
  delivery.http.cacert = settings.cacert;
  delivery.http.insecure = settings.insecure;
  delivery.retry.max_attempts = settings.max_attempts;
  delivery.retry.max_total_ms = std::llround(settings.max_retry_time_s * 1000);
  delivery.profiles.url = settings.server;
  delivery.profiles.tenant = settings.tenant;
  delivery.traces.url = settings.traces_endpoint;
  delivery.traces.tenant = settings.traces_tenant.empty() ? settings.tenant : settings.traces_tenant;
  for (const std::string* tenant : {&delivery.profiles.tenant, &delivery.traces.tenant}) {
    if (auto ok = check_tenant(*tenant); !ok) return std::unexpected(ok.error());
  }
  auto credentials = load_credentials(settings.credentials, "--");
  if (!credentials) return std::unexpected(credentials.error());
  auto traces_credentials = load_credentials(settings.traces_credentials, "--traces-");
  if (!traces_credentials) return std::unexpected(traces_credentials.error());
  delivery.profiles.credentials = std::move(*credentials);
  delivery.traces.credentials = std::move(*traces_credentials);
  return delivery;
}

}  // namespace

Result<PreparedPush> prepare_push(const PushSettings& settings) {
  if (settings.server.empty()) {
    return make_error("give the Pyroscope server's URL with --server URL");
  }
  if (auto ok = check_url(settings.server, "--server"); !ok) return std::unexpected(ok.error());
  if (!settings.traces_endpoint.empty()) {
    if (auto ok = check_url(settings.traces_endpoint, "--traces-endpoint"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto shape = shape_options(settings);
  if (!shape) return std::unexpected(shape.error());
  auto delivery = delivery_options(settings);
  if (!delivery) return std::unexpected(delivery.error());
  return PreparedPush{std::move(*shape), std::move(*delivery)};
}

}  // namespace spanprof::push
