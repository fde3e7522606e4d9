#include "record/recording.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "capture/capture_dir.h"
#include "capture/layout.h"
#include "perfdata/reader.h"
#include "record/child_env.h"
#include "record/runtime_hooks.h"
#include "record/subprocess.h"
#include "record/tracepoint_access.h"
#include "record/workload_wait.h"
#include "spanprof_version.h"

namespace spanprof::record {

namespace {

// perf record's own failures (bad options, events it cannot open) exit with 255.
constexpr int kPerfFailureCode = 255;

constexpr const char* kTracesEndpointVar = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
constexpr const char* kTracesProtocolVar = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";

std::unexpected<RunFailure> fail(RunFailureKind kind, Error error) {
  return std::unexpected(RunFailure{kind, std::move(error)});
}

std::string kernel_release() {
  utsname name{};
  return ::uname(&name) == 0 ? name.release : "";
}

std::string absolute_path(const std::string& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// A --spans file outside DIR left by an earlier run would be appended to and joined.
Result<void> clear_spans_file(const std::string& path, bool force,
                              const std::function<void(const std::string&)>& notice) {
  std::error_code error;
  if (!std::filesystem::exists(path, error) || std::filesystem::file_size(path, error) == 0) {
    return {};
  }
  if (!force) {
    return make_error("the spans file exists already: the command would add to it", path,
                      "choose another --spans FILE, or add --force to replace it");
  }
  if (!std::filesystem::remove(path, error)) {
    return make_error("cannot remove the earlier spans file: " + error.message(), path);
  }
  notice("--force: removed the earlier spans file " + path);
  return {};
}

// Points the command's OpenTelemetry SDK at the receiver, unless the user chose
// an endpoint already. Returns whether the receiver's endpoint is in env.
bool point_sdk_at_receiver(ChildEnv& env, const std::string& endpoint,
                           const std::function<void(const std::string&)>& notice,
                           const std::function<void(const std::string&)>& warn) {
  if (auto user_endpoint = env.get(kTracesEndpointVar)) {
    warn(fmt::format("{} is already set ({}): kept, so OTLP spans go there, not to spanprof's "
                       "receiver; unset it to have them joined",
                       kTracesEndpointVar, *user_endpoint));
    return false;
  }
  env.set(kTracesEndpointVar, endpoint);
  if (auto protocol = env.get(kTracesProtocolVar)) {
    if (*protocol != "http/protobuf" && *protocol != "http/json") {
      warn(fmt::format("{}={} kept, but the receiver speaks OTLP/HTTP only (http/protobuf or "
                         "http/json)",
                         kTracesProtocolVar, *protocol));
    }
  } else {
    env.set(kTracesProtocolVar, "http/protobuf");
  }
  if (auto generic = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    notice(fmt::format("OTEL_EXPORTER_OTLP_ENDPOINT={} stays for metrics and logs; traces go to "
                       "spanprof's receiver ({})",
                       *generic, endpoint));
  }
  return true;
}

// capture.json's spans.file: relative to DIR when inside it, so a moved
// directory keeps it.
std::string spans_file_for_record(const std::string& dir, const std::string& spans_file) {
  std::filesystem::path relative = std::filesystem::path(spans_file).lexically_relative(dir);
  if (!relative.empty() && *relative.begin() != "..") return relative.string();
  return spans_file;
}

capture::RecordedOptions recorded_options(const PerfOptions& perf) {
  capture::RecordedOptions recorded;
  recorded.frequency_hz = perf.frequency_hz;
  recorded.call_graph = perf.call_graph;
  recorded.event = perf.event;
  recorded.user_space_only = perf.user_space_only;
  recorded.off_cpu = perf.off_cpu;
  if (perf.off_cpu) recorded.off_cpu_stacks = perf.off_cpu_stacks;
  return recorded;
}

capture::RecordedReceiverStats recorded_stats(const receiver::ReceiverStats& s) {
  return capture::RecordedReceiverStats{s.requests,         s.accepted,  s.bad_requests,
                                        s.too_large,        s.unsupported_type, s.not_found,
                                        s.aborted,          s.spans,     s.bytes_written};
}

capture::RecordedExit recorded_exit(const ExitStatus& status, int terminal_signal) {
  capture::RecordedExit exit;
  if (status.signal == 0) exit.code = status.code;
  exit.signal = status.signal;
  exit.shell_code = status.shell_code();
  exit.terminal_signal = terminal_signal;
  return exit;
}

// The rate perf sampled at: -F as the kernel's perf_event_max_sample_rate let
// it (perf throttles a larger -F and says so), from perf.data's first
// frequency-mode event. Absent when perf.data cannot be read (cut short).
std::optional<int64_t> sampled_frequency_hz(const std::string& perf_data) {
  auto reader = perfdata::Reader::open(perf_data);
  if (!reader) return std::nullopt;
  for (const perfdata::EventAttr& attr : (*reader)->info().attrs) {
    if (attr.freq() && attr.sample_period_or_freq > 0) {
      return static_cast<int64_t>(attr.sample_period_or_freq);
    }
  }
  return std::nullopt;
}

// Until perf runs, a failure gives the directory back: the claim
// (capture.json in state "preparing") is removed, so the same -o works again.
class DirectoryClaim {
 public:
  explicit DirectoryClaim(std::string dir) : dir_(std::move(dir)) {}
  ~DirectoryClaim() {
    if (!kept_) ::unlink((dir_ + "/" + std::string(capture::kCaptureJson)).c_str());
  }
  DirectoryClaim(const DirectoryClaim&) = delete;
  DirectoryClaim& operator=(const DirectoryClaim&) = delete;
  void keep() { kept_ = true; }

 private:
  std::string dir_;
  bool kept_ = false;
};

}  // namespace

std::expected<RunReport, RunFailure> record_command(RunOptions options) {
  auto notice = [&options](const std::string& text) {
    if (options.on_notice) options.on_notice(text);
  };
  auto warn = [&options](const std::string& text) {
    if (options.on_warning) options.on_warning(text);
  };
  if (options.command.empty()) {
    return fail(RunFailureKind::kBadOptions,
                Error{"no command to record", "", "spanprof run [OPTIONS] -- CMD [ARGS...]"});
  }
  if (auto valid = validate_options(options.perf); !valid) {
    return fail(RunFailureKind::kBadOptions, valid.error());
  }
  auto perf_path = find_perf();
  if (!perf_path) return fail(RunFailureKind::kCannotRecord, perf_path.error());
  auto access = check_perf_access();
  if (!access) return fail(RunFailureKind::kCannotRecord, access.error());
  if (options.perf.off_cpu) {
    auto tracepoint = check_tracepoint_access(probe_tracepoint_access(*perf_path));
    if (!tracepoint) return fail(RunFailureKind::kCannotRecord, tracepoint.error());
  }
  // With --off-cpu allowed, perf may sample the kernel (paranoid -1 or
  // CAP_PERFMON), and --all-user would exclude sched_switch, a kernel event.
  if (!access->kernel_allowed && !options.perf.user_space_only && !options.perf.off_cpu) {
    options.perf.user_space_only = true;
    warn(access->explanation + "; recording user space only (perf record --all-user)");
  }
  if (auto program = find_executable(options.command[0]); !program) {
    bool not_executable = program.error().message == "not executable";
    return fail(not_executable ? RunFailureKind::kCommandNotExecutable
                               : RunFailureKind::kCommandNotFound,
                program.error());
  }

  if (!options.spans_file.empty()) {
    if (auto cleared = clear_spans_file(absolute_path(options.spans_file), options.force, notice);
        !cleared) {
      return fail(RunFailureKind::kCaptureDir, cleared.error());
    }
  }
  const bool default_dir = options.capture_dir.empty();
  if (default_dir) options.capture_dir = capture::default_capture_dir_name(std::time(nullptr));
  auto dir = capture::create_capture_dir(options.capture_dir, options.force, default_dir);
  if (!dir) return fail(RunFailureKind::kCaptureDir, dir.error());
  DirectoryClaim claim(dir->path);
  if (!dir->removed.empty()) {
    notice(fmt::format("--force: removed the earlier capture's {}", fmt::join(dir->removed, ", ")));
  }
  const std::string perf_data = dir->path + "/" + std::string(capture::kPerfData);
  auto checked =
      preflight(*perf_path, options.perf, dir->path + "/" + std::string(capture::kPreflightData));
  if (!checked) return fail(RunFailureKind::kCannotRecord, checked.error());

  RunReport report;
  report.capture_dir = dir->path;
  report.spans_file = options.spans_file.empty()
                          ? dir->path + "/" + std::string(capture::kDefaultSpansFile)
                          : absolute_path(options.spans_file);
  report.perf_command = perf_record_argv(*perf_path, options.perf, perf_data, options.command);

  // Before any thread starts, so that none of them takes these signals.
  BlockedSignals signals;

  ChildEnv env = ChildEnv::inherited();
  env.set("SPANPROF_SPANS_FILE", report.spans_file);
  report.node_hook = apply_runtime_hooks(env, dir->path, options.runtime_hooks, warn).node_hook;
  capture::CaptureRecord record;
  record.command = options.command;
  record.perf_command = report.perf_command;
  record.perf_version = perf_version(*perf_path);
  record.kernel_release = kernel_release();
  record.spanprof_version = SPANPROF_VERSION;
  record.options = recorded_options(options.perf);
  record.spans_file = spans_file_for_record(dir->path, report.spans_file);
  if (options.receiver) record.receiver = capture::RecordedReceiver{};

  std::unique_ptr<receiver::OtlpHttpReceiver> otlp_receiver;
  if (options.receiver) {
    receiver::ReceiverOptions receiver_options;
    receiver_options.output_dir = dir->path;
    auto started = receiver::OtlpHttpReceiver::start(receiver_options);
    if (!started) {
      Error error = started.error();
      if (error.hint.empty()) error.hint = "--no-receiver records without it";
      return fail(RunFailureKind::kCannotRecord, error);
    }
    otlp_receiver = std::move(*started);
    report.receiver_endpoint = otlp_receiver->traces_endpoint();
    record.receiver->endpoint = report.receiver_endpoint;
    record.receiver->endpoint_in_app_env =
        point_sdk_at_receiver(env, report.receiver_endpoint, notice, warn);
  }

  record.clocks_start = capture::ClockPair::now();
  if (auto written = capture::write_capture_record(dir->path, record); !written) {
    return fail(RunFailureKind::kCaptureDir, written.error());
  }
  notice(fmt::format("recording into {}: {}", dir->path, fmt::join(report.perf_command, " ")));
  if (record.receiver && record.receiver->endpoint_in_app_env) {
    notice(fmt::format("spans: {} (SPANPROF_SPANS_FILE) and OTLP/HTTP at {}", report.spans_file,
                       report.receiver_endpoint));
  } else {
    notice(fmt::format("spans: {} (SPANPROF_SPANS_FILE)", report.spans_file));
  }

  if (!report.node_hook.empty()) {
    notice(fmt::format("activations: Node processes load {} (--no-runtime-hooks: off)",
                       report.node_hook));
  }
  auto perf_pid = spawn(report.perf_command, env.entries());
  if (!perf_pid) return fail(RunFailureKind::kCannotRecord, perf_pid.error());
  claim.keep();
  record.perf_pid = *perf_pid;

  WaitCallbacks callbacks;
  callbacks.on_notice = notice;
  callbacks.on_app_pid = [&](pid_t pid) {
    report.app_pid = pid;
    record.app_pid = pid;
    if (auto written = capture::write_capture_record(dir->path, record); !written) {
      warn("cannot update capture.json: " + written.error().to_string());
    }
  };
  std::optional<NamespaceIdPoller> namespace_poller;
  if (options.namespace_ids) {
    namespace_poller.emplace(dir->path + "/" + std::string(capture::kNamespaceIds));
    callbacks.on_tick = [&](pid_t app_pid) {
      if (auto polled = namespace_poller->poll(app_pid); !polled) {
        warn("namespace ids not recorded (spans stamped in a pid namespace will not match): " +
             polled.error().to_string());
      }
    };
  }
  WaitResult waited = wait_forwarding_signals(*perf_pid, signals, callbacks);
  if (namespace_poller) {
    const NamespacePollStats& polls = namespace_poller->stats();
    report.namespace_polls = polls;
    if (polls.threads_written > 0) {
      notice(fmt::format("namespace ids: {} threads ran in a pid namespace, recorded in {} "
                         "({} polls, slowest {:.2f} ms, {:.1f} ms in all)",
                         polls.threads_written, capture::kNamespaceIds, polls.polls,
                         static_cast<double>(polls.slowest_poll_ns) / 1e6,
                         static_cast<double>(polls.total_poll_ns) / 1e6));
    }
  }
  report.app_status = waited.status;
  report.terminal_signal = waited.terminal_signal;
  record.clocks_end = capture::ClockPair::now();

  // The command has exited: requests still in flight are finished, then the files closed.
  if (otlp_receiver) {
    otlp_receiver->stop();
    report.receiver_stats = otlp_receiver->stats();
    record.receiver->stats = recorded_stats(*report.receiver_stats);
  }
  record.state = "finished";
  record.exit = recorded_exit(report.app_status, report.terminal_signal);
  record.sample_frequency_hz = sampled_frequency_hz(perf_data);
  if (auto written = capture::write_capture_record(dir->path, record); !written) {
    warn("cannot update capture.json: " + written.error().to_string());
  }
  if (report.app_pid == 0 && report.app_status.signal == 0 &&
      report.app_status.code == kPerfFailureCode) {
    return fail(RunFailureKind::kCannotRecord,
                Error{"perf record failed before the command started (its messages are above)",
                      report.capture_dir, ""});
  }
  return report;
}

}  // namespace spanprof::record
