#include "push/push_plan.h"

#include <time.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include <fmt/format.h>

#include "capture/capture_dir.h"
#include "join/capture_inputs.h"
#include "perfdata/reader.h"
#include "profile/gzip.h"
#include "push/ingest_request.h"
#include "push/outbox.h"
#include "push/profile_windows.h"
#include "push/push_state.h"
#include "push/series_labels.h"
#include "push/trace_forwarding.h"
#include "pyroscope_push.pb.h"

namespace spanprof::push {

namespace {

int64_t realtime_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// "2h 5m 3s", "1h", "45s", "800ms": how far off a capture is, for the user.
std::string human_duration(int64_t ns) {
  if (ns < 0) ns = -ns;
  int64_t s = ns / 1'000'000'000;
  if (s == 0) return fmt::format("{}ms", ns / 1'000'000);
  std::string out;
  for (auto [unit, name] : {std::pair<int64_t, const char*>{86400, "d"}, {3600, "h"}, {60, "m"},
                            {1, "s"}}) {
    if (s < unit) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}{}", s / unit, name);
    s %= unit;
  }
  return out;
}

// RFC 4122 version 4: the id Pyroscope's RawSample carries.
std::string random_uuid(std::mt19937_64& random) {
  uint64_t hi = random(), lo = random();
  hi = (hi & 0xffffffffffff0fffull) | 0x0000000000004000ull;
  lo = (lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffull);
}

std::string batch_id(uint64_t number, const char* what) {
  return fmt::format("{:06}-{}", number, what);
}

// One kind's windows, fed by the join (profile_windows.h).
struct KindWindows {
  ProfileKind kind;
  std::unique_ptr<ProfileWindows> windows;
};

class BatchWriter {
 public:
  BatchWriter(Outbox& outbox, ShapeReport& report) : outbox_(outbox), report_(report) {}

  Result<void> write(BatchInfo info, std::string body, const char* what) {
    info.id = batch_id(++count_, what);
    info.body_bytes = body.size();
    Batch batch{std::move(info), std::move(body)};
    if (auto ok = outbox_.write(batch); !ok) return ok;
    ++report_.batches;
    return {};
  }

 private:
  Outbox& outbox_;
  ShapeReport& report_;
  uint64_t count_ = 0;
};

// Pyroscope's rate limiter charges a profile's uncompressed size plus its
// series' label bytes (pkg/distributor/distributor.go): what delivery paces by.
uint64_t charged_bytes(const WindowedProfile& profile, const LabelList& series) {
  return profile.pprof.size() + label_bytes(series);
}

// One PushRequest per profile: one series, one RawSample.
Result<void> write_push_batches(const std::vector<WindowedProfile>& profiles,
                                const LabelList& series, const ProfileKindInfo& kind,
                                std::mt19937_64& random, BatchWriter& writer) {
  for (const WindowedProfile& profile : profiles) {
    auto compressed = profile::gzip_compress(profile.pprof);
    if (!compressed) return std::unexpected(compressed.error());
    pyroscope::PushRequest request;
    auto* s = request.add_series();
    for (const auto& [name, value] : series) {
      auto* label = s->add_labels();
      label->set_name(name);
      label->set_value(value);
    }
    auto* raw = s->add_samples();
    raw->set_raw_profile(std::move(*compressed));
    raw->set_id(random_uuid(random));
    std::string body;
    if (!request.SerializeToString(&body)) return make_error("cannot serialize a PushRequest");
    BatchInfo info;
    info.kind = BatchKind::kPyroscopePush;
    info.path_and_query = "/push.v1.PusherService/Push";
    info.content_type = "application/proto";
    info.profiles = 1;
    info.samples = profile.samples;
    info.uncompressed_bytes = charged_bytes(profile, series);
    info.window_start_ns = profile.start_ns;
    info.window_end_ns = profile.end_ns;
    info.profile_type = kind.metric_name;
    if (auto ok = writer.write(info, std::move(body), kind.batch_suffix); !ok) return ok;
  }
  return {};
}

Result<void> write_ingest_batches(const std::vector<WindowedProfile>& profiles,
                                  const LabelList& series, const ProfileKindInfo& kind,
                                  BatchWriter& writer) {
  for (const WindowedProfile& profile : profiles) {
    auto compressed = profile::gzip_compress(profile.pprof);
    if (!compressed) return std::unexpected(compressed.error());
    BatchInfo info;
    info.kind = BatchKind::kPyroscopeIngest;
    info.path_and_query = ingest_path_and_query(series, profile.start_ns, profile.end_ns);
    info.content_type = "application/octet-stream";
    info.profiles = 1;
    info.samples = profile.samples;
    // /ingest becomes a PushRequest on the server, charged the same way.
    info.uncompressed_bytes = charged_bytes(profile, series);
    info.window_start_ns = profile.start_ns;
    info.window_end_ns = profile.end_ns;
    info.profile_type = kind.metric_name;
    if (auto ok = writer.write(info, std::move(*compressed), kind.batch_suffix); !ok) return ok;
  }
  return {};
}

// For /ingest, a name derived from the capture is made to fit (a given
// --service-name that does not was refused by check_shape_options).
ServiceKey fit_for_ingest(const ServiceKey& service, std::vector<std::string>& warnings) {
  ServiceKey fitted{sanitize_ingest_app_name(service.service_name),
                    sanitize_ingest_value(service.service_namespace)};
  if (fitted.service_name != service.service_name) {
    warnings.push_back(fmt::format(
        "service name '{}' sent through /ingest as '{}' (/ingest takes only letters, digits and "
        "_ . - /; --protocol push keeps it)",
        service.service_name, fitted.service_name));
  }
  if (fitted.service_namespace != service.service_namespace) {
    warnings.push_back(fmt::format(
        "service_namespace '{}' sent through /ingest as '{}' (/ingest's name{{k=v}} syntax; "
        "--protocol push keeps it)",
        service.service_namespace, fitted.service_namespace));
  }
  return fitted;
}

// perf.data's HEADER_HOSTNAME, for --host-label.
Result<std::string> capture_hostname(const std::string& perf_data) {
  auto reader = perfdata::Reader::open(perf_data);
  if (!reader) return std::unexpected(reader.error());
  std::string host = (*reader)->info().hostname;
  if (host.empty()) {
    return make_error("--host-label: the capture names no host (perf.data has no HOSTNAME "
                      "header)",
                      perf_data, "leave out --host-label, or give --label hostname=NAME");
  }
  return host;
}

}  // namespace

std::string options_fingerprint(const ShapeOptions& options) {
  std::string text = fmt::format(
      "protocol={};service={};span_name={};trace_id={};host={};scope={};shift={};max_age={};"
      "future={};window={};samples={};profile_bytes={};traces_request_bytes={};kernel={};"
      "kernel_frames={};clock_offset={};buildid={};perf_maps={};tid_attr={};given={}",
      static_cast<int>(options.protocol), options.service_name, options.span_name_label,
      options.trace_id_label, options.host_label, options.join.matching.span_scope.value_or(""),
      options.shift_to_now, options.max_age_ns, options.max_future_ns, options.limits.window_ns,
      options.limits.max_samples, options.limits.max_profile_bytes,
      options.limits.max_traces_request_bytes, static_cast<int>(options.join.kernel_symbols),
      options.join.include_kernel_frames, options.join.clock_offset_ns,
      options.join.symbolizer.build_id_cache_dir, options.join.symbolizer.perf_map_dir,
      options.join.span_reader.tid_attribute, options.join.matching.as_flags());
  // Only a narrowed --profiles enters the text: outboxes shaped before it
  // existed (all the capture had) keep their fingerprint.
  if (std::string kinds = options.profiles.to_string(); kinds != ProfileSelection{}.to_string()) {
    text += ";profiles=" + kinds;
  }
  for (const auto& [name, value] : options.labels) text += ";label=" + name + "=" + value;
  // FNV-1a, 64 bits: a change detector, not a security measure.
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

Result<void> check_shape_options(const ShapeOptions& options) {
  SeriesLabelInputs inputs;
  inputs.service_name = options.service_name.empty() ? "service" : options.service_name;
  inputs.hostname = options.host_label ? "host" : "";
  inputs.user_labels = options.labels;
  inputs.span_name_label = options.span_name_label;
  inputs.for_ingest = options.protocol == Protocol::kIngest;
  inputs.host_label = options.host_label;
  auto labels = series_labels(inputs);
  if (!labels) return std::unexpected(labels.error());
  if (options.max_age_ns <= 0 || options.max_future_ns < 0) {
    return make_error("the age limits must be positive", "--max-age");
  }
  const ShapeLimits& limits = options.limits;
  if (limits.window_ns <= 0 || limits.max_samples == 0 || limits.max_profile_bytes == 0 ||
      limits.max_traces_request_bytes == 0) {
    return make_error("the shaping limits must be positive", "push");
  }
  return {};
}

Result<ShapeReport> shape_capture(const std::string& dir, const ShapeOptions& options) {
  // Bad options are reported before the (slow) join.
  const bool for_ingest = options.protocol == Protocol::kIngest;
  if (auto checked = check_shape_options(options); !checked) {
    return std::unexpected(checked.error());
  }

  auto capture = capture::open_capture(dir);
  if (!capture) return std::unexpected(capture.error());
  Outbox outbox(dir);
  auto pending = outbox.pending();
  if (!pending) return std::unexpected(pending.error());
  if (!pending->empty()) {
    return make_error(fmt::format("{} batches from an earlier push are still pending",
                                  pending->size()),
                      outbox.path(), "send them with `spanprof push DIR`, or drop them with --reshape");
  }

  // The span-matching options given to push, else those the capture's last
  // join recorded (join_options_for says which in a note).
  join::JoinOptions join = join::join_options_for(*capture, options.join);
  join.output_path.clear();
  join.summary_path.clear();
  join.write_profile = false;
  std::string hostname;
  if (options.host_label) {
    auto host = capture_hostname(join.perf_data_path);
    if (!host) return std::unexpected(host.error());
    hostname = std::move(*host);
  }
  // One set of windows per kind the join can give. The CPU windows are always
  // fed: they name the processes for the other kinds, also when --profiles
  // leaves CPU out.
  std::vector<KindWindows> kinds;
  for (const ProfileKindInfo& info : profile_kinds()) {
    if (info.kind != ProfileKind::kCpu && !options.profiles.has(info.kind)) continue;
    kinds.push_back({info.kind, std::make_unique<ProfileWindows>(WindowOptions{
                                    options.limits.window_ns, options.span_name_label,
                                    options.trace_id_label, info.kind})});
  }
  for (KindWindows& k : kinds) {
    join::SampleSink* sink = k.windows.get();
    if (k.kind == ProfileKind::kCpu) join.sample_sink = sink;
    if (k.kind == ProfileKind::kOffCpu) join.off_cpu_sink = sink;
    if (k.kind == ProfileKind::kWall) join.wall_sink = sink;
  }
  auto joined = join::run_join(join);
  if (!joined) return std::unexpected(joined.error());

  ShapeReport report;
  for (const Warning& warning : joined->warnings) report.warnings.push_back(warning.to_string());
  if (joined->spans && joined->spans->join_error) {
    report.warnings.push_back(joined->spans->join_error->to_string());
  }
  report.join_warnings = report.warnings.size();

  // The kinds that are sent: selected, with samples, and (off-CPU) a protocol
  // that can name them.
  std::vector<const KindWindows*> sent;
  const bool all_selected = options.profiles.cpu && options.profiles.off_cpu &&
                            options.profiles.wall;
  for (const KindWindows& k : kinds) {
    if (!options.profiles.has(k.kind)) continue;
    const ProfileKindInfo& info = kind_info(k.kind);
    if (k.windows->samples() == 0) {
      if (!all_selected) {
        report.warnings.push_back(fmt::format(
            "--profiles {}: the capture has no {} samples{}", info.option_name, info.metric_name,
            k.kind == ProfileKind::kCpu ? "" : " (record with `spanprof run --off-cpu`)"));
      }
      continue;
    }
    if (k.kind == ProfileKind::kOffCpu && for_ingest) {
      report.warnings.push_back(fmt::format(
          "{} off-CPU samples not sent: /ingest names a profile by its sample types and would "
          "file off_cpu under process_cpu (use --protocol push to send them)",
          k.windows->samples()));
      continue;
    }
    sent.push_back(&k);
  }
  std::optional<int64_t> first_ns, last_ns;
  uint64_t untimed = 0;
  for (const KindWindows* k : sent) {
    untimed += k->windows->samples_without_time();
    if (!k->windows->first_ns()) continue;
    first_ns = std::min(first_ns.value_or(INT64_MAX), *k->windows->first_ns());
    last_ns = std::max(last_ns.value_or(INT64_MIN), *k->windows->last_ns());
  }
  if (sent.empty()) return make_error("no profile data to push", join.perf_data_path);
  if (!first_ns) {
    return make_error("the capture has no clock data: its samples cannot be placed in time",
                      join.perf_data_path,
                      "record with `spanprof run` (perf record -k CLOCK_MONOTONIC and the clock "
                      "header) so samples get wall-clock times");
  }
  if (untimed > 0) {
    report.warnings.push_back(fmt::format("{} samples without a time were left out", untimed));
  }

  const int64_t now = options.now_unix_ns != 0 ? options.now_unix_ns : realtime_now_ns();
  const int64_t window_ns = std::max<int64_t>(options.limits.window_ns, 1);
  int64_t shift = 0;
  if (options.shift_to_now) {
    // A whole number of windows keeps the windows aligned; the last sample
    // lands within one window before now.
    shift = floor_to_multiple(now - *last_ns, window_ns);
  }
  const int64_t first_start = floor_to_multiple(*first_ns, window_ns) + shift;
  const int64_t last_time = *last_ns + shift;
  if (options.shift_to_now && now - first_start > options.max_age_ns) {
    return make_error(
        fmt::format("even moved to now, the capture's first profile starts {} ago: it spans "
                    "longer than the oldest profile the server accepts ({})",
                    human_duration(now - first_start),
                    human_duration(options.max_age_ns)),
        dir, "record a shorter capture, or give --max-age if the server accepts older profiles");
  }
  if (now - first_start > options.max_age_ns) {
    return make_error(
        fmt::format("the capture is too old for the server: its first profile starts {} ago, "
                    "the limit is {}",
                    human_duration(now - first_start), human_duration(options.max_age_ns)),
        dir,
        "add --shift-to-now to move profiles and spans to now together (the offset is recorded), "
        "or --max-age if the server accepts older profiles");
  }
  if (last_time - now > options.max_future_ns) {
    return make_error(
        fmt::format("the capture lies in the future: its last sample is {} ahead of this "
                    "machine's clock, the server accepts {}",
                    human_duration(last_time - now), human_duration(options.max_future_ns)),
        dir, "check the clocks of both machines, or add --shift-to-now");
  }

  ServiceNaming naming;
  naming.forced_service_name = options.service_name;
  if (joined->spans) naming.services_by_pid = joined->spans->services_by_pid;
  naming.executable_name = capture->executable_name();
  // The CPU windows name the processes; every kind files them alike.
  naming.process_services = kinds.front().windows->process_services(naming);

  // Every series is shaped before the first batch is written: an error leaves
  // the outbox empty.
  struct Shaped {
    ProfileKind kind;
    LabelList labels;
    std::vector<WindowedProfile> profiles;
  };
  std::vector<Shaped> shaped;
  std::set<int64_t> windows;
  std::set<std::string> span_ids;
  for (const KindWindows* k : sent) {
    const ProfileKindInfo& info = kind_info(k->kind);
    ProfileWindows& kind_windows = *k->windows;
    std::vector<ServiceKey> services = kind_windows.assign_series(naming);
    for (size_t i = 0; i < services.size(); ++i) {
      ServiceKey service =
          for_ingest ? fit_for_ingest(services[i], report.warnings) : services[i];
      SeriesLabelInputs inputs;
      inputs.metric_name = info.metric_name;
      inputs.service_name = service.service_name;
      inputs.service_namespace = service.service_namespace;
      inputs.hostname = for_ingest ? sanitize_ingest_value(hostname) : hostname;
      inputs.user_labels = options.labels;
      inputs.span_name_label = options.span_name_label;
      inputs.for_ingest = for_ingest;
      inputs.host_label = options.host_label;
      inputs.kept_label = info.kept_label;
      auto labels = series_labels(inputs);
      if (!labels) return std::unexpected(labels.error());
      size_t overhead = label_bytes(*labels);
      if (overhead >= options.limits.max_profile_bytes) {
        return make_error(fmt::format("the series labels of service '{}' take {} bytes, the "
                                      "whole profile size limit ({})",
                                      service.service_name, overhead,
                                      options.limits.max_profile_bytes),
                          "--label", "give shorter labels");
      }
      ProfileLimits limits{options.limits.max_samples,
                           options.limits.max_profile_bytes - overhead};
      auto profiles = kind_windows.build(i, shift, limits);
      if (!profiles && k->kind == ProfileKind::kCpu) return std::unexpected(profiles.error());
      if (!profiles) {
        return make_error(fmt::format("{} profile: {}", info.metric_name,
                                      profiles.error().message),
                          profiles.error().where, profiles.error().hint);
      }
      shaped.push_back({k->kind, std::move(*labels), std::move(*profiles)});
    }
    windows.merge(kind_windows.windows());
    span_ids.insert(kind_windows.labelled_span_ids().begin(),
                    kind_windows.labelled_span_ids().end());
    report.span_names_truncated += kind_windows.span_names_truncated();
    for (const std::string& name : kind_windows.dropped_label_names()) {
      if (std::find(report.dropped_label_names.begin(), report.dropped_label_names.end(), name) ==
          report.dropped_label_names.end()) {
        report.dropped_label_names.push_back(name);
      }
    }
  }
  std::sort(report.dropped_label_names.begin(), report.dropped_label_names.end());
  if (for_ingest && hostname != sanitize_ingest_value(hostname)) {
    report.warnings.push_back(fmt::format(
        "hostname '{}' sent through /ingest as '{}' (/ingest's name{{k=v}} syntax)", hostname,
        sanitize_ingest_value(hostname)));
  }
  if (report.span_names_truncated > 0) {
    uint64_t samples_cut = 0;
    for (const KindWindows* k : sent) samples_cut += k->windows->samples_with_truncated_span_name();
    report.warnings.push_back(fmt::format(
        "{} span names longer than {} bytes were cut to that length on {} samples (the server "
        "rejects a profile with a longer label value)",
        report.span_names_truncated, kMaxLabelValueBytes, samples_cut));
  }
  if (options.profiles.cpu && joined->event.sample_unit != "cpu/nanoseconds") {
    report.warnings.push_back(fmt::format(
        "the profiled event is {}, not cpu-clock: the server files it under process_cpu",
        joined->event.name));
  }

  report.shift_ns = shift;
  report.windows = windows.size();
  for (const Shaped& series : shaped) {
    SeriesReport counts{series.kind, series.labels, series.profiles.size(), 0};
    for (const auto& profile : series.profiles) counts.samples += profile.events;
    report.profiles += counts.profiles;
    report.samples += counts.samples;
    report.series.push_back(std::move(counts));
  }
  if (report.profiles == 0) return make_error("no profile data to push", join.perf_data_path);

  BatchWriter writer(outbox, report);
  std::mt19937_64 random(std::random_device{}());
  for (const Shaped& series : shaped) {
    const ProfileKindInfo& info = kind_info(series.kind);
    Result<void> written =
        for_ingest ? write_ingest_batches(series.profiles, series.labels, info, writer)
                   : write_push_batches(series.profiles, series.labels, info, random, writer);
    if (!written) return std::unexpected(written.error());
  }

  // The spans are always shaped when there are any: delivery decides whether
  // a traces endpoint gets them.
  if (!join.span_files.empty()) {
    ForwardOptions forward;
    forward.shift_ns = shift;
    // Marked when any kind has samples of it: a span that only slept has
    // off-CPU and wall samples but no CPU sample.
    forward.marked = &span_ids;
    forward.max_request_bytes = options.limits.max_traces_request_bytes;
    auto forwarded = forward_spans(join.span_files, forward);
    if (!forwarded) return std::unexpected(forwarded.error());
    for (auto& request : forwarded->requests) {
      BatchInfo info;
      info.kind = BatchKind::kOtlpTraces;
      info.content_type = "application/x-protobuf";
      info.spans = request.spans;
      if (auto ok = writer.write(info, std::move(request.body), "traces"); !ok) {
        return std::unexpected(ok.error());
      }
    }
    report.spans_forwarded = forwarded->spans;
    report.spans_marked = forwarded->marked;
    for (auto& warning : forwarded->warnings) report.warnings.push_back(std::move(warning));
  }

  PushState state{options_fingerprint(options), realtime_now_ns(), report.batches, shift};
  if (auto ok = write_push_state(dir, state); !ok) return std::unexpected(ok.error());
  if (auto ok = capture::record_push(dir, capture::RecordedPush{shift, state.shaped_at_unix_ns});
      !ok) {
    report.warnings.push_back(ok.error().to_string());
  }
  report.join = std::move(*joined);
  return report;
}

}  // namespace spanprof::push
