#include "record/capture_json.h"

#include "common/durable_file.h"
#include "common/json_quote.h"

#include <time.h>

#include <fmt/format.h>

#include "record/capture_dir.h"

namespace spanprof::record {

namespace {

int64_t read_clock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string quoted(std::string_view text) { return json_quoted(text); }

std::string string_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + quoted(values[i]);
  return out + "]";
}

std::string clock_object(const ClockPair& pair) {
  return fmt::format("{{\"realtime_ns\": {}, \"monotonic_ns\": {}}}", pair.realtime_ns,
                     pair.monotonic_ns);
}

std::string stats_object(const receiver::ReceiverStats& s) {
  return fmt::format(
      "{{\"requests\": {}, \"accepted\": {}, \"bad_requests\": {}, \"too_large\": {}, "
      "\"unsupported_type\": {}, \"not_found\": {}, \"aborted\": {}, \"spans\": {}, "
      "\"bytes_written\": {}}}",
      s.requests, s.accepted, s.bad_requests, s.too_large, s.unsupported_type, s.not_found,
      s.aborted, s.spans, s.bytes_written);
}

}  // namespace

ClockPair ClockPair::now() {
  ClockPair pair;
  pair.realtime_ns = read_clock(CLOCK_REALTIME);
  pair.monotonic_ns = read_clock(CLOCK_MONOTONIC);
  return pair;
}

std::string capture_record_json(const CaptureRecord& r) {
  std::string out = "{\n";
  auto line = [&out](std::string_view key, const std::string& value, bool last = false) {
    out += fmt::format("  {}: {}{}\n", quoted(key), value, last ? "" : ",");
  };
  line("schema", quoted("spanprof.capture/1"));
  line("state", quoted(r.state));
  line("command", string_array(r.command));
  line("app_pid", r.app_pid > 0 ? std::to_string(r.app_pid) : "null");
  line("perf_pid", r.perf_pid > 0 ? std::to_string(r.perf_pid) : "null");
  line("perf_command", string_array(r.perf_command));
  line("perf_version", quoted(r.perf_version));
  line("kernel", quoted(r.kernel_release));
  line("spanprof_version", quoted(r.spanprof_version));
  const PerfOptions& o = r.perf_options;
  line("options", fmt::format("{{\"frequency_hz\": {}, \"call_graph\": {}, \"event\": {}, "
                              "\"user_space_only\": {}}}",
                              o.frequency_hz, quoted(o.call_graph),
                              o.event.empty() ? "null" : quoted(o.event),
                              o.user_space_only ? "true" : "false"));
  line("clocks", fmt::format("{{\"start\": {}, \"end\": {}}}", clock_object(r.clocks_start),
                             r.clocks_end ? clock_object(*r.clocks_end) : "null"));
  if (r.exit) {
    line("exit", fmt::format("{{\"code\": {}, \"signal\": {}, \"shell_code\": {}, "
                             "\"terminal_signal\": {}}}",
                             r.exit->signal ? "null" : std::to_string(r.exit->code),
                             r.exit->signal ? std::to_string(r.exit->signal) : "null",
                             r.exit->shell_code(),
                             r.terminal_signal ? std::to_string(r.terminal_signal) : "null"));
  } else {
    line("exit", "null");
  }
  std::string receiver = "null";
  if (r.receiver_enabled) {
    receiver = fmt::format("{{\"endpoint\": {}, \"endpoint_in_app_env\": {}, \"stats\": {}}}",
                           r.receiver_endpoint.empty() ? "null" : quoted(r.receiver_endpoint),
                           r.receiver_endpoint_in_env ? "true" : "false",
                           r.receiver_stats ? stats_object(*r.receiver_stats) : "null");
  }
  line("spans", fmt::format("{{\"file\": {}, \"receiver\": {}}}", quoted(r.spans_file), receiver),
       true);
  return out + "}\n";
}

Result<void> write_capture_record(const std::string& capture_dir, const CaptureRecord& record) {
  return write_file_durably(capture_dir + "/capture.json", capture_record_json(record));
}

}  // namespace spanprof::record
