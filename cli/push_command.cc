#include "cli/push_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "push/outbox.h"

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

std::string seconds(int64_t ns) { return fmt::format("{:.1f} s", static_cast<double>(ns) / 1e9); }

std::string human_duration(int64_t ns) {
  int64_t s = (ns < 0 ? -ns : ns) / 1'000'000'000;
  if (s >= 86400) return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
  if (s >= 3600) return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m {}s", s / 60, s % 60);
  return seconds(ns < 0 ? -ns : ns);
}

struct Prepared {
  push::ShapeOptions shape;
  push::DeliveryOptions delivery;
};

// Command line -> plain options; an error message (usage) when they do not fit.
std::string prepare(const std::string& dir, PushFlags& flags, Prepared& out) {
  if (dir.empty()) return "give the capture directory DIR";
  if (flags.server.empty()) return "give the Pyroscope server's URL with --server URL";
  if (auto ok = push::check_url(flags.server, "--server"); !ok) return ok.error().to_string();
  if (!flags.traces_endpoint.empty()) {
    if (auto ok = push::check_url(flags.traces_endpoint, "--traces-endpoint"); !ok) {
      return ok.error().to_string();
    }
  }
  push::ShapeOptions& shape = out.shape;
  if (flags.protocol == "push") {
    shape.protocol = push::Protocol::kPush;
  } else if (flags.protocol == "ingest") {
    shape.protocol = push::Protocol::kIngest;
  } else {
    return fmt::format("--protocol is push or ingest, not \"{}\"", flags.protocol);
  }
  if (flags.span_scope != "root" && flags.span_scope != "innermost") {
    return fmt::format("--span-scope is root or innermost, not \"{}\"", flags.span_scope);
  }
  shape.service_name = flags.service_name;
  for (const std::string& label : flags.labels) {
    size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fmt::format("--label \"{}\" is not k=v (example: --label env=staging)", label);
    }
    shape.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
  }
  shape.span_name_label = !flags.no_span_name;
  shape.span_scope = flags.span_scope == "innermost" ? attribute::SpanScope::kInnermost
                                                     : attribute::SpanScope::kRoot;
  shape.forward_traces = !flags.traces_endpoint.empty();
  shape.shift_to_now = flags.shift_to_now;
  if (flags.max_age_s <= 0) return "--max-age must be a positive number of seconds";
  shape.max_age_ns = flags.max_age_s * 1'000'000'000;
  if (auto ok = push::check_shape_options(shape); !ok) return ok.error().to_string();
  shape.join.span_scope = shape.span_scope;
  shape.join.include_kernel_frames = !flags.no_kernel;
  shape.join.symbolizer.build_id_cache_dir = flags.buildid_dir;
  if (shape.join.symbolizer.build_id_cache_dir.empty()) {
    const char* home = std::getenv("HOME");
    shape.join.symbolizer.build_id_cache_dir = std::string(home ? home : "/root") + "/.debug";
  }

  if (!(flags.connect_timeout_s > 0) || !(flags.timeout_s > 0) || flags.timeout_s > 86400 ||
      flags.connect_timeout_s > 86400) {
    return "--connect-timeout and --timeout take seconds, more than 0 and at most 86400";
  }
  if (flags.max_attempts < 1 || flags.max_attempts > 100) return "--max-attempts is 1 to 100";
  if (!(flags.max_retry_time_s >= 0) || flags.max_retry_time_s > 86400) {
    return "--max-retry-time takes seconds, 0 to 86400";
  }
  push::DeliveryOptions& delivery = out.delivery;
  delivery.http.connect_timeout_ms = std::llround(flags.connect_timeout_s * 1000);
  delivery.http.timeout_ms = std::llround(flags.timeout_s * 1000);
  delivery.http.cacert = flags.cacert;
  delivery.http.insecure = flags.insecure;
  delivery.retry.max_attempts = flags.max_attempts;
  delivery.retry.max_total_ms = std::llround(flags.max_retry_time_s * 1000);
  delivery.profiles.url = flags.server;
  delivery.profiles.tenant = flags.tenant;
  delivery.traces.url = flags.traces_endpoint;
  delivery.traces.tenant = flags.traces_tenant.empty() ? flags.tenant : flags.traces_tenant;
  for (const std::string* tenant : {&delivery.profiles.tenant, &delivery.traces.tenant}) {
    bool printable = std::all_of(tenant->begin(), tenant->end(), [](char c) {
      return c > 0x20 && c < 0x7f;
    });
    if (!printable || tenant->size() > 150) {
      return "--tenant and --traces-tenant take one word of at most 150 printable characters";
    }
  }
  return {};
}

void print_shape(const push::ShapeReport& report, const char* who, bool quiet) {
  for (const std::string& warning : report.warnings) {
    fmt::print(stderr, "{}: warning: {}\n", who, warning);
  }
  if (!quiet && !report.dropped_label_names.empty()) {
    fmt::print(stderr,
               "{}: sample labels dropped (each would become a series label on the server): {}\n",
               who, fmt::join(report.dropped_label_names, ", "));
  }
  if (quiet) return;
  if (report.shift_ns != 0) {
    fmt::print("shifted by {} to end now (--shift-to-now)\n",
               human_duration(report.shift_ns));
  }
  fmt::print("shaped {} profiles ({} samples) in {} windows", report.profiles, report.samples,
             report.windows);
  if (report.spans_forwarded > 0) {
    fmt::print(", {} spans to forward ({} with pyroscope.profile.id)", report.spans_forwarded,
               report.spans_marked);
  }
  fmt::print(": {} batches in the outbox\n", report.batches);
}

void print_destination(const push::DestinationReport& d) {
  std::string what = d.spans > 0 || std::string_view(d.name) == "traces"
                         ? fmt::format("{} spans", d.spans)
                         : fmt::format("{} profiles, {} pprof samples", d.profiles, d.samples);
  fmt::print("  {:<9} sent {} batches ({}, {} bytes), {} retries, {} rejected, {} left in the outbox\n",
             d.name, d.sent, what, d.bytes, d.retried, d.rejected, d.left);
}

std::string destination_json(const push::DestinationReport& d) {
  return fmt::format(
      "{{\"sent\":{},\"retried\":{},\"rejected\":{},\"left\":{},\"profiles\":{},\"samples\":{},"
      "\"spans\":{},\"bytes\":{}}}",
      d.sent, d.retried, d.rejected, d.left, d.profiles, d.samples, d.spans, d.bytes);
}

Result<void> write_summary_json(const std::string& path, const push::DeliveryReport& report,
                                int exit_code) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return make_error("cannot write the summary", path, "check the directory");
  out << fmt::format(
      "{{\"schema\":\"spanprof.push-summary/1\",\"exit_code\":{},\"delivered\":{},"
      "\"profiles\":{},\"traces\":{}}}\n",
      exit_code, report.all_delivered() ? "true" : "false", destination_json(report.profiles),
      destination_json(report.traces));
  if (!out.flush()) return make_error("cannot write the summary", path, "check free space");
  return {};
}

}  // namespace

void add_push_flags(CLI::App& cmd, PushFlags& flags, bool in_run) {
  const std::string shaping = "Push: what is sent";
  cmd.add_option("--traces-endpoint", flags.traces_endpoint,
                 "Also forward the spans as OTLP/HTTP protobuf to this URL (e.g. "
                 "http://tempo:4318/v1/traces), with pyroscope.profile.id on profiled spans")
      ->type_name("URL")
      ->group(shaping);
  // Options after this one change what is shaped (--traces-endpoint is needed
  // again to resume, so it does not count as a change).
  size_t options_before = cmd.get_options().size();
  const std::string transport = "Push: delivery";
  const std::string creds = "Push: credentials (from environment variables or files only)";
  cmd.add_option("--protocol", flags.protocol,
                 "push: POST /push.v1.PusherService/Push (binary protobuf); ingest: POST "
                 "/ingest?format=pprof")
      ->type_name("push|ingest")
      ->default_val("push")
      ->group(shaping);
  cmd.add_option("--service-name", flags.service_name,
                 "Series label service_name (default: the spans' resource service.name, else "
                 "the executable's name)")
      ->type_name("NAME")
      ->group(shaping);
  cmd.add_option("--label", flags.labels, "Extra series label (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->group(shaping);
  cmd.add_flag("--no-span-name", flags.no_span_name,
               "Do not label samples with span_name (each distinct name is a series on the server)")
      ->group(shaping);
  if (!in_run) {
    cmd.add_option("--span-scope", flags.span_scope,
                   "Which span labels a sample: root (the thread's local root span, as Grafana's "
                   "integrations do) or innermost")
        ->type_name("root|innermost")
        ->default_val("root")
        ->group(shaping);
  }
  if (!in_run) {
    cmd.add_flag("--shift-to-now", flags.shift_to_now,
                 "Move profiles and forwarded spans to end now (for captures older than the "
                 "server accepts); the offset is recorded in DIR/push.json and capture.json")
        ->group(shaping);
    cmd.add_option("--max-age", flags.max_age_s,
                   "Oldest profile the server accepts, in seconds (Pyroscope: 3600)")
        ->type_name("S")
        ->default_val(3600)
        ->group(shaping);
    cmd.add_flag("--reshape", flags.reshape,
                 "Drop what a previous push left in DIR/outbox and shape DIR again")
        ->group(shaping);
    cmd.add_option("--buildid-dir", flags.buildid_dir,
                   "Build-id cache to find binaries in (default ~/.debug)")
        ->type_name("DIR")
        ->group(shaping);
    cmd.add_flag("--no-kernel", flags.no_kernel, "Drop kernel frames from stacks")->group(shaping);
  }
  std::vector<CLI::Option*> all = cmd.get_options();
  flags.shaping_options.assign(all.begin() + static_cast<std::ptrdiff_t>(options_before), all.end());
  cmd.add_option("--tenant", flags.tenant, "X-Scope-OrgID for both destinations")
      ->type_name("ID")
      ->group(transport);
  cmd.add_option("--traces-tenant", flags.traces_tenant,
                 "X-Scope-OrgID for the traces endpoint (default: --tenant)")
      ->type_name("ID")
      ->group(transport);
  cmd.add_option("--cacert", flags.cacert, "PEM CA bundle to verify TLS servers with")
      ->type_name("FILE")
      ->check(CLI::ExistingFile)
      ->group(transport);
  cmd.add_flag("--insecure", flags.insecure, "Do not verify TLS certificates")->group(transport);
  cmd.add_option("--connect-timeout", flags.connect_timeout_s, "Seconds to connect")
      ->type_name("S")
      ->default_val(10)
      ->group(transport);
  cmd.add_option("--timeout", flags.timeout_s, "Seconds for one whole request")
      ->type_name("S")
      ->default_val(60)
      ->group(transport);
  cmd.add_option("--max-attempts", flags.max_attempts,
                 "Attempts per batch on connection errors, timeouts, 408, 429 and 5xx")
      ->type_name("N")
      ->default_val(6)
      ->group(transport);
  cmd.add_option("--max-retry-time", flags.max_retry_time_s,
                 "Seconds after which a batch's retries stop")
      ->type_name("S")
      ->default_val(120)
      ->group(transport);
  cmd.add_option("--summary-json", flags.summary_json, "Also write the push summary as JSON")
      ->type_name("FILE")
      ->group(transport);
  add_credential_flags(cmd, flags.credentials, "", creds, "the Pyroscope server");
  add_credential_flags(cmd, flags.traces_credentials, "traces-", creds, "the traces endpoint");
}

CLI::App* add_push_command(CLI::App& app, PushCommandOptions& options) {
  CLI::App* push = app.add_subcommand(
      "push",
      "Send DIR's span profiles to Grafana Pyroscope (and, with --traces-endpoint, its spans to "
      "Tempo or any OTLP/HTTP endpoint). Every request is written to DIR/outbox first and "
      "removed when the server acknowledges it; running push again sends what is left");
  push->footer(
      "Exit codes: 0 everything delivered; 5 some batches not delivered but retriable (they are "
      "in DIR/outbox: run spanprof push DIR again); 6 a server refused a batch (4xx; it stays in "
      "the outbox); 1 bad options; 2 unusable capture (e.g. older than --max-age without "
      "--shift-to-now).\n"
      "Credentials are never taken on the command line: use --basic-auth-env, --basic-auth-file, "
      "--token-env or --token-file (and the --traces- ones).\n"
      "Example: spanprof push capture --server http://localhost:4040 --traces-endpoint "
      "http://localhost:4318/v1/traces");
  push->add_option("DIR", options.capture_dir, "Capture directory (spanprof run's output)")
      ->type_name("DIR")
      ->required();
  push->add_option("--server", options.flags.server, "Grafana Pyroscope URL, e.g. http://localhost:4040")
      ->type_name("URL");
  add_push_flags(*push, options.flags, false);
  push->add_flag("-q,--quiet", options.flags.quiet, "Print only warnings, errors and the outcome");
  return push;
}

namespace {

// prepare() plus the credentials; prints the error and returns false when unusable.
bool prepare_all(const std::string& dir, PushFlags& flags, const char* who, Prepared& prepared) {
  if (std::string problem = prepare(dir, flags, prepared); !problem.empty()) {
    fmt::print(stderr, "{}: error: {}\n", who, problem);
    return false;
  }
  auto credentials = push::load_credentials(flags.credentials, "--");
  if (!credentials) {
    fmt::print(stderr, "{}: error: {}\n", who, credentials.error().to_string());
    return false;
  }
  auto traces_credentials = push::load_credentials(flags.traces_credentials, "--traces-");
  if (!traces_credentials) {
    fmt::print(stderr, "{}: error: {}\n", who, traces_credentials.error().to_string());
    return false;
  }
  prepared.delivery.profiles.credentials = std::move(*credentials);
  prepared.delivery.traces.credentials = std::move(*traces_credentials);
  return true;
}

}  // namespace

int check_push_flags(PushFlags& flags, const char* who) {
  Prepared prepared;
  return prepare_all(".", flags, who, prepared) ? kExitOk : kExitUsage;
}

int push_capture(const std::string& dir, PushFlags& flags, const char* who) {
  Prepared prepared;
  if (!prepare_all(dir, flags, who, prepared)) return kExitUsage;

  auto state = push::read_push_state(dir);
  if (!state) {
    fmt::print(stderr, "{}: error: {}\n", who, state.error().to_string());
    return kExitUnusableInput;
  }
  push::Outbox outbox(dir);
  if (*state && !flags.reshape) {
    auto pending = outbox.pending();
    if (!pending) {
      fmt::print(stderr, "{}: error: {}\n", who, pending.error().to_string());
      return kExitUnusableInput;
    }
    const push::PushState& previous = **state;
    uint64_t delivered = previous.batches >= pending->size() ? previous.batches - pending->size() : 0;
    bool shaping_given = std::any_of(flags.shaping_options.begin(), flags.shaping_options.end(),
                                     [](const CLI::Option* o) { return o->count() > 0; });
    if (shaping_given && previous.fingerprint != push::options_fingerprint(prepared.shape)) {
      fmt::print(stderr,
                 "{}: note: {} was shaped by an earlier push with other shaping options; sending "
                 "what it left as shaped then (--reshape shapes again with these options)\n",
                 who, dir);
    }
    if (!flags.quiet) {
      fmt::print("{} batches already delivered, {} pending in {}\n", delivered, pending->size(),
                 outbox.path());
    }
    if (pending->empty()) {
      if (!flags.quiet) fmt::print("nothing to send (--reshape sends DIR again)\n");
      return kExitOk;
    }
  } else {
    if (auto ok = outbox.clear(); !ok) {
      fmt::print(stderr, "{}: error: {}\n", who, ok.error().to_string());
      return kExitUnusableInput;
    }
    auto shaped = push::shape_capture(dir, prepared.shape);
    if (!shaped) {
      fmt::print(stderr, "{}: error: {}\n", who, shaped.error().to_string());
      return kExitUnusableInput;
    }
    print_shape(*shaped, who, flags.quiet);
  }

  prepared.delivery.on_event = [who](const std::string& line) {
    fmt::print(stderr, "{}: {}\n", who, line);
  };
  std::fflush(stdout);
  auto delivered = push::deliver_outbox(dir, prepared.delivery);
  if (!delivered) {
    fmt::print(stderr, "{}: error: {}\n", who, delivered.error().to_string());
    return kExitUnusableInput;
  }
  const push::DeliveryReport& report = *delivered;
  int code = report.any_rejected()      ? kExitPushRejected
             : report.all_delivered() ? kExitOk
                                      : kExitPushIncomplete;
  for (const push::DestinationReport* d : {&report.profiles, &report.traces}) {
    if (!d->stop_reason.empty()) fmt::print(stderr, "{}: error: {}: {}\n", who, d->name, d->stop_reason);
  }
  fmt::print("{}: {}\n", who,
             code == kExitOk ? "everything delivered"
             : code == kExitPushRejected
                 ? "a server refused a batch; it stays in the outbox (see the error above)"
                 : fmt::format("not everything delivered; run `spanprof push {}` again to send "
                               "what is left",
                               dir));
  print_destination(report.profiles);
  if (report.traces.sent + report.traces.left > 0 || !flags.traces_endpoint.empty()) {
    print_destination(report.traces);
  }
  if (!flags.summary_json.empty()) {
    if (auto ok = write_summary_json(flags.summary_json, report, code); !ok) {
      fmt::print(stderr, "{}: warning: {}\n", who, ok.error().to_string());
    }
  }
  std::fflush(stdout);
  return code;
}

int run_push_command(PushCommandOptions& options) {
  return push_capture(options.capture_dir, options.flags, "spanprof push");
}

}  // namespace spanprof::cli
