#include "cli/push_command.h"

#include "cli/join_flags.h"

// The push options shared by `spanprof push` and `spanprof run --push`.
namespace spanprof::cli {

namespace {

void add_credential_flags(CLI::App& cmd, push::CredentialSources& sources, const std::string& prefix,
                          const std::string& group, const std::string& what) {
  cmd.add_option("--" + prefix + "basic-auth-env", sources.basic_auth_env,
                 "HTTP basic auth for " + what + " from two environment variables")
      ->type_name("USER_VAR:PASS_VAR")
      ->group(group);
  cmd.add_option("--" + prefix + "basic-auth-file", sources.basic_auth_file,
                 "HTTP basic auth for " + what + " from a file holding user:password")
      ->type_name("FILE")
      ->group(group);
  cmd.add_option("--" + prefix + "token-env", sources.token_env,
                 "Bearer token for " + what + " from an environment variable")
      ->type_name("VAR")
      ->group(group);
  cmd.add_option("--" + prefix + "token-file", sources.token_file,
                 "Bearer token for " + what + " from a file")
      ->type_name("FILE")
      ->group(group);
  std::string header_flag = prefix.empty() ? "-H,--header" : "--" + prefix + "header";
  cmd.add_option(header_flag, sources.headers,
                 "Extra header for " + what + " (repeatable); not for credentials")
      ->type_name("'K: V'")
      ->allow_extra_args(false)
      ->group(group);
}

// The symbolizing options of `spanprof join`, with the same names and
// meanings, so a capture pushes as it joins; the span-matching ones are
// join_flags.h's.
void add_join_flags(CLI::App& cmd, push::PushSettings& settings, const std::string& group) {
  add_span_matching_flags(cmd, settings.matching, group);
  cmd.add_option("--kernel-symbols", settings.kernel_symbols,
                 "Symbolize kernel frames from /proc/kallsyms: auto, always, never")
      ->type_name("auto|always|never")
      ->default_val("auto")
      ->group(group);
  cmd.add_option("--perf-map-dir", settings.perf_map_dir, "Where perf-PID.map files of JIT runtimes are")
      ->type_name("DIR")
      ->default_val("/tmp")
      ->group(group);
  cmd.add_flag("--debuginfod", settings.debuginfod,
               "Let elfutils fetch missing debug info from the servers in DEBUGINFOD_URLS")
      ->group(group);
}

}  // namespace

void add_push_flags(CLI::App& cmd, PushFlags& flags, bool in_run) {
  const std::string shaping = "Push: what is sent";
  cmd.add_option("--traces-endpoint", flags.settings.traces_endpoint,
                 "Also forward the spans as OTLP/HTTP protobuf to this URL (e.g. "
                 "http://tempo:4318/v1/traces), with pyroscope.profile.id on profiled spans")
      ->type_name("URL")
      ->group(shaping);
  // Options after this one change what is shaped (--traces-endpoint is needed
  // again to resume, so it does not count as a change).
  size_t options_before = cmd.get_options().size();
  const std::string transport = "Push: delivery";
  const std::string creds = "Push: credentials (from environment variables or files only)";
  cmd.add_option("--protocol", flags.settings.protocol,
                 "push: POST /push.v1.PusherService/Push (binary protobuf); ingest: POST "
                 "/ingest?format=pprof")
      ->type_name("push|ingest")
      ->default_val("push")
      ->group(shaping);
  cmd.add_option("--service-name", flags.settings.service_name,
                 "Series label service_name (default: the resource service.name of the spans "
                 "on most samples, else the executable's name, else the most common thread name)")
      ->type_name("NAME")
      ->group(shaping);
  cmd.add_option("--label", flags.settings.labels, "Extra series label (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->group(shaping);
  cmd.add_option("--profiles", flags.settings.profiles,
                 "Which profiles to send, comma-separated: cpu (the primary profile), off-cpu, "
                 "wall (default: every one the capture has; off-cpu and wall come from "
                 "`spanprof run --off-cpu`). --profiles cpu suits a server that should get CPU "
                 "only")
      ->type_name("LIST")
      ->group(shaping);
  cmd.add_flag("--no-span-name", flags.settings.no_span_name,
               "Do not label samples with span_name (each distinct name is a series on the server)")
      ->group(shaping);
  if (!in_run) {
    cmd.add_flag("--shift-to-now", flags.settings.shift_to_now,
                 "Move profiles and forwarded spans to end now (for captures older than the "
                 "server accepts); the offset is recorded in DIR/push.json and capture.json")
        ->group(shaping);
    cmd.add_option("--max-age", flags.settings.max_age_s,
                   "Oldest profile the server accepts, in seconds (Pyroscope: 3600)")
        ->type_name("S")
        ->default_val(3600)
        ->group(shaping);
    cmd.add_flag("--reshape", flags.settings.reshape,
                 "Drop what a previous push left in DIR/outbox and shape DIR again")
        ->group(shaping);
    cmd.add_option("--buildid-dir", flags.settings.buildid_dir,
                   "Build-id cache to find binaries in (default ~/.debug)")
        ->type_name("DIR")
        ->group(shaping);
    cmd.add_flag("--no-kernel", flags.settings.no_kernel, "Drop kernel frames from stacks")->group(shaping);
    add_join_flags(cmd, flags.settings, "Push: the join (as spanprof join takes it)");
  }
  cmd.add_flag("--no-trace-id-label", flags.settings.no_trace_id_label,
               "Do not label samples with trace_id (Pyroscope up to v2.0.6 and 1.x make it a "
               "series label: one series per trace)")
      ->group(shaping);
  cmd.add_flag("--host-label", flags.settings.host_label,
               "Add the series label hostname=<the capture's host, from perf.data>, so hosts "
               "pushing the same service never share a series")
      ->group(shaping);
  cmd.add_option("--max-request-bytes", flags.settings.max_request_bytes,
                 "Uncompressed bytes of one profile (one per request); keep it under the "
                 "tenant's ingestion burst (Pyroscope: 2 MiB)")
      ->type_name("BYTES")
      ->default_val(1u << 20)
      ->group(shaping);
  std::vector<CLI::Option*> all = cmd.get_options();
  flags.shaping_options.assign(all.begin() + static_cast<std::ptrdiff_t>(options_before), all.end());
  cmd.add_option("--tenant", flags.settings.tenant, "X-Scope-OrgID for both destinations")
      ->type_name("ID")
      ->group(transport);
  cmd.add_option("--traces-tenant", flags.settings.traces_tenant,
                 "X-Scope-OrgID for the traces endpoint (default: --tenant)")
      ->type_name("ID")
      ->group(transport);
  cmd.add_option("--cacert", flags.settings.cacert, "PEM CA bundle to verify TLS servers with")
      ->type_name("FILE")
      ->check(CLI::ExistingFile)
      ->group(transport);
  cmd.add_flag("--insecure", flags.settings.insecure, "Do not verify TLS certificates")->group(transport);
  cmd.add_option("--connect-timeout", flags.settings.connect_timeout_s, "Seconds to connect")
      ->type_name("S")
      ->default_val(10)
      ->group(transport);
  cmd.add_option("--timeout", flags.settings.timeout_s, "Seconds for one whole request")
      ->type_name("S")
      ->default_val(60)
      ->group(transport);
  cmd.add_option("--max-attempts", flags.settings.max_attempts,
                 "Attempts per batch on connection errors, timeouts, 408, 429 and 5xx")
      ->type_name("N")
      ->default_val(6)
      ->group(transport);
  cmd.add_option("--max-retry-time", flags.settings.max_retry_time_s,
                 "Seconds after which a batch's retries stop")
      ->type_name("S")
      ->default_val(120)
      ->group(transport);
  cmd.add_option("--rate-limit", flags.settings.rate_limit_bytes_per_s,
                 "Pace profile requests to this many uncompressed bytes per second, the tenant's "
                 "ingestion rate (Pyroscope: 4 MiB/s); 0 sends without pacing")
      ->type_name("BYTES_PER_S")
      ->default_val(4u << 20)
      ->group(transport);
  cmd.add_option("--burst", flags.settings.burst_bytes,
                 "The tenant's ingestion burst in bytes (Pyroscope: 2 MiB)")
      ->type_name("BYTES")
      ->default_val(2u << 20)
      ->group(transport);
  cmd.add_option("--summary-json", flags.summary_json, "Also write the push summary as JSON")
      ->type_name("FILE")
      ->group(transport);
  add_credential_flags(cmd, flags.settings.credentials, "", creds, "the Pyroscope server");
  add_credential_flags(cmd, flags.settings.traces_credentials, "traces-", creds, "the traces endpoint");
}

}  // namespace spanprof::cli
