#include "capture/capture_record.h"

#include <time.h>

#include <filesystem>

#include <fmt/format.h>
#include <simdjson.h>

#include "capture/layout.h"
#include "common/durable_file.h"
#include "common/json_writer.h"

namespace spanprof::capture {

namespace {

int64_t read_clock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string capture_json_path(const std::string& dir) {
  return (std::filesystem::path(dir) / kCaptureJson).string();
}

void write_clock(JsonWriter& json, std::string_view key, const ClockPair& pair) {
  json.begin_object(key);
  json.field("realtime_ns", pair.realtime_ns);
  json.field("monotonic_ns", pair.monotonic_ns);
  json.end_object();
}

void write_string_array(JsonWriter& json, std::string_view key,
                        const std::vector<std::string>& values) {
  json.begin_array(key);
  for (const std::string& value : values) json.value(value);
  json.end_array();
}

void optional_int(JsonWriter& json, std::string_view key, int64_t value, bool present) {
  if (present) {
    json.field(key, value);
  } else {
    json.null_field(key);
  }
}

// Reads of one document: each getter leaves the default when the key is absent
// or null, and records the first field of the wrong type.
class FieldReader {
 public:
  explicit FieldReader(std::string where) : where_(std::move(where)) {}

  template <class T>
  void get(simdjson::dom::element parent, std::string_view key, T& out) {
    simdjson::dom::element value;
    if (parent[key].get(value) != simdjson::SUCCESS || value.is_null()) return;
    if constexpr (std::is_same_v<T, std::string>) {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) return mistyped(key, "a string");
      out = std::string(text);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (value.get_bool().get(out) != simdjson::SUCCESS) return mistyped(key, "true or false");
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      if (value.get_uint64().get(out) != simdjson::SUCCESS) return mistyped(key, "a count");
    } else {
      int64_t number = 0;
      if (value.get_int64().get(number) != simdjson::SUCCESS) return mistyped(key, "an integer");
      out = static_cast<T>(number);
    }
  }

  void strings(simdjson::dom::element parent, std::string_view key, std::vector<std::string>& out) {
    simdjson::dom::array array;
    simdjson::dom::element value;
    if (parent[key].get(value) != simdjson::SUCCESS || value.is_null()) return;
    if (value.get_array().get(array) != simdjson::SUCCESS) return mistyped(key, "an array");
    for (simdjson::dom::element item : array) {
      std::string_view text;
      if (item.get_string().get(text) != simdjson::SUCCESS) return mistyped(key, "strings");
      out.emplace_back(text);
    }
  }

  // Present when the key is there and not null.
  template <class T>
  void optional(simdjson::dom::element parent, std::string_view key, std::optional<T>& out) {
    simdjson::dom::element value;
    if (parent[key].get(value) != simdjson::SUCCESS || value.is_null()) return;
    T read_value{};
    std::string before = first_problem_;
    get(parent, key, read_value);
    if (first_problem_ == before) out = std::move(read_value);
  }

  // The object under key; false when absent or null.
  bool object(simdjson::dom::element parent, std::string_view key, simdjson::dom::element& out) {
    if (parent[key].get(out) != simdjson::SUCCESS || out.is_null()) return false;
    if (!out.is_object()) {
      mistyped(key, "an object");
      return false;
    }
    return true;
  }

  bool clock(simdjson::dom::element parent, std::string_view key, ClockPair& out) {
    simdjson::dom::element object_value;
    if (!object(parent, key, object_value)) return false;
    get(object_value, "realtime_ns", out.realtime_ns);
    get(object_value, "monotonic_ns", out.monotonic_ns);
    return true;
  }

  Result<void> result() const {
    if (first_problem_.empty()) return {};
    return make_error(first_problem_, where_,
                      "capture.json is written by `spanprof run`; restore it, or remove it and "
                      "give --perf-data and --spans");
  }

 private:
  void mistyped(std::string_view key, std::string_view expected) {
    if (first_problem_.empty()) {
      first_problem_ = fmt::format("field \"{}\" is not {}", key, expected);
    }
  }

  std::string where_;
  std::string first_problem_;
};

void optional_field(JsonWriter& json, std::string_view key, const auto& value) {
  if (value) {
    json.field(key, *value);
  } else {
    json.null_field(key);
  }
}

// A path for capture.json: relative to DIR when inside it, so a moved
// directory keeps working; absolute otherwise (a join's cwd is not a push's).
std::string path_for_record(const std::string& dir, const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error).lexically_normal();
  std::filesystem::path base = std::filesystem::absolute(dir, error).lexically_normal();
  std::filesystem::path relative = absolute.lexically_relative(base);
  if (!relative.empty() && *relative.begin() != "..") return relative.string();
  return absolute.string();
}

}  // namespace

std::string RecordedJoin::as_flags() const {
  std::string flags;
  auto add = [&flags](std::string_view flag, std::string_view value) {
    if (!flags.empty()) flags += ' ';
    flags += fmt::format("{} {}", flag, value);
  };
  if (tid_attribute) add("--tid-attribute", *tid_attribute);
  if (clock_offset_ns) add("--clock-offset", std::to_string(*clock_offset_ns));
  for (const std::string& file : span_files) add("--spans", file);
  for (const std::string& file : activation_files) add("--activations", file);
  if (max_spans) add("--max-spans", std::to_string(*max_spans));
  if (span_scope) add("--span-scope", *span_scope);
  return flags;
}

ClockPair ClockPair::now() {
  ClockPair pair;
  pair.realtime_ns = read_clock(CLOCK_REALTIME);
  pair.monotonic_ns = read_clock(CLOCK_MONOTONIC);
  return pair;
}

std::string CaptureRecord::executable_name() const {
  if (command.empty()) return {};
  return std::filesystem::path(command.front()).filename().string();
}

std::string capture_record_json(const CaptureRecord& r) {
  JsonWriter json(JsonWriter::Style::kPretty);
  json.begin_object();
  json.field("schema", kCaptureSchema);
  json.field("state", r.state);
  write_string_array(json, "command", r.command);
  optional_int(json, "app_pid", r.app_pid, r.app_pid > 0);
  optional_int(json, "perf_pid", r.perf_pid, r.perf_pid > 0);
  write_string_array(json, "perf_command", r.perf_command);
  json.field("perf_version", r.perf_version);
  json.field("kernel", r.kernel_release);
  json.field("spanprof_version", r.spanprof_version);
  json.begin_object("options");
  json.field("frequency_hz", r.options.frequency_hz);
  json.field("call_graph", r.options.call_graph);
  if (r.options.event.empty()) {
    json.null_field("event");
  } else {
    json.field("event", r.options.event);
  }
  json.field("user_space_only", r.options.user_space_only);
  json.field("off_cpu", r.options.off_cpu);
  if (r.options.off_cpu) json.field("off_cpu_stacks", r.options.off_cpu_stacks);
  json.end_object();
  optional_int(json, "sample_frequency_hz", r.sample_frequency_hz.value_or(0),
               r.sample_frequency_hz.has_value());
  json.begin_object("clocks");
  write_clock(json, "start", r.clocks_start);
  if (r.clocks_end) {
    write_clock(json, "end", *r.clocks_end);
  } else {
    json.null_field("end");
  }
  json.end_object();
  if (r.exit) {
    json.begin_object("exit");
    optional_int(json, "code", r.exit->code.value_or(0), r.exit->code.has_value());
    optional_int(json, "signal", r.exit->signal, r.exit->signal != 0);
    json.field("shell_code", r.exit->shell_code);
    optional_int(json, "terminal_signal", r.exit->terminal_signal, r.exit->terminal_signal != 0);
    json.end_object();
  } else {
    json.null_field("exit");
  }
  json.begin_object("spans");
  json.field("file", r.spans_file);
  if (r.receiver) {
    json.begin_object("receiver");
    if (r.receiver->endpoint.empty()) {
      json.null_field("endpoint");
    } else {
      json.field("endpoint", r.receiver->endpoint);
    }
    json.field("endpoint_in_app_env", r.receiver->endpoint_in_app_env);
    if (r.receiver->stats) {
      const RecordedReceiverStats& s = *r.receiver->stats;
      json.begin_object("stats");
      json.field("requests", s.requests);
      json.field("accepted", s.accepted);
      json.field("bad_requests", s.bad_requests);
      json.field("too_large", s.too_large);
      json.field("unsupported_type", s.unsupported_type);
      json.field("not_found", s.not_found);
      json.field("aborted", s.aborted);
      json.field("spans", s.spans);
      json.field("bytes_written", s.bytes_written);
      json.end_object();
    } else {
      json.null_field("stats");
    }
    json.end_object();
  } else {
    json.null_field("receiver");
  }
  json.end_object();
  if (r.push) {
    json.begin_object("push");
    json.field("shift_ns", r.push->shift_ns);
    json.field("shaped_at_unix_ns", r.push->shaped_at_unix_ns);
    json.end_object();
  }
  if (r.join) {
    json.begin_object("join");
    optional_field(json, "tid_attribute", r.join->tid_attribute);
    optional_field(json, "clock_offset_ns", r.join->clock_offset_ns);
    write_string_array(json, "spans", r.join->span_files);
    write_string_array(json, "activations", r.join->activation_files);
    optional_field(json, "max_spans", r.join->max_spans);
    optional_field(json, "span_scope", r.join->span_scope);
    json.end_object();
  }
  json.end_object();
  return json.take();
}

Result<CaptureRecord> parse_capture_record(std::string_view text, const std::string& where) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size()).get(root); error != simdjson::SUCCESS) {
    return make_error(fmt::format("not valid JSON ({})", simdjson::error_message(error)), where,
                      "capture.json is written by `spanprof run`; restore it, or remove it and "
                      "give --perf-data and --spans");
  }
  if (!root.is_object()) return make_error("not a JSON object", where);
  std::string_view schema;
  if (root["schema"].get_string().get(schema) != simdjson::SUCCESS) {
    return make_error("no \"schema\" field: not a spanprof capture.json", where);
  }
  if (schema != kCaptureSchema && schema != kCaptureSchemaV1) {
    return make_error(fmt::format("schema \"{}\" is not one this spanprof reads ({} or {})",
                                  schema, kCaptureSchemaV1, kCaptureSchema),
                      where, "join it with the spanprof version that recorded it");
  }
  FieldReader read(where);
  CaptureRecord r;
  read.get(root, "state", r.state);
  read.strings(root, "command", r.command);
  read.get(root, "app_pid", r.app_pid);
  read.get(root, "perf_pid", r.perf_pid);
  read.strings(root, "perf_command", r.perf_command);
  read.get(root, "perf_version", r.perf_version);
  read.get(root, "kernel", r.kernel_release);
  read.get(root, "spanprof_version", r.spanprof_version);
  simdjson::dom::element object;
  if (read.object(root, "options", object)) {
    read.get(object, "frequency_hz", r.options.frequency_hz);
    read.get(object, "call_graph", r.options.call_graph);
    read.get(object, "event", r.options.event);
    read.get(object, "user_space_only", r.options.user_space_only);
    read.get(object, "off_cpu", r.options.off_cpu);
    read.get(object, "off_cpu_stacks", r.options.off_cpu_stacks);
  }
  int64_t sampled = 0;
  read.get(root, "sample_frequency_hz", sampled);
  if (sampled > 0) r.sample_frequency_hz = sampled;
  if (read.object(root, "clocks", object)) {
    read.clock(object, "start", r.clocks_start);
    ClockPair end;
    if (read.clock(object, "end", end)) r.clocks_end = end;
  }
  if (read.object(root, "exit", object)) {
    RecordedExit exit;
    int64_t code = -1;
    read.get(object, "code", code);
    if (code >= 0) exit.code = static_cast<int>(code);
    read.get(object, "signal", exit.signal);
    read.get(object, "shell_code", exit.shell_code);
    read.get(object, "terminal_signal", exit.terminal_signal);
    r.exit = exit;
  }
  if (read.object(root, "spans", object)) {
    read.get(object, "file", r.spans_file);
    simdjson::dom::element receiver;
    if (read.object(object, "receiver", receiver)) {
      RecordedReceiver recorded;
      read.get(receiver, "endpoint", recorded.endpoint);
      read.get(receiver, "endpoint_in_app_env", recorded.endpoint_in_app_env);
      simdjson::dom::element stats;
      if (read.object(receiver, "stats", stats)) {
        RecordedReceiverStats s;
        read.get(stats, "requests", s.requests);
        read.get(stats, "accepted", s.accepted);
        read.get(stats, "bad_requests", s.bad_requests);
        read.get(stats, "too_large", s.too_large);
        read.get(stats, "unsupported_type", s.unsupported_type);
        read.get(stats, "not_found", s.not_found);
        read.get(stats, "aborted", s.aborted);
        read.get(stats, "spans", s.spans);
        read.get(stats, "bytes_written", s.bytes_written);
        recorded.stats = s;
      }
      r.receiver = recorded;
    }
  }
  if (read.object(root, "push", object)) {
    RecordedPush push;
    read.get(object, "shift_ns", push.shift_ns);
    read.get(object, "shaped_at_unix_ns", push.shaped_at_unix_ns);
    r.push = push;
  }
  if (read.object(root, "join", object)) {
    RecordedJoin join;
    read.optional(object, "tid_attribute", join.tid_attribute);
    read.optional(object, "clock_offset_ns", join.clock_offset_ns);
    read.strings(object, "spans", join.span_files);
    read.strings(object, "activations", join.activation_files);
    read.optional(object, "max_spans", join.max_spans);
    read.optional(object, "span_scope", join.span_scope);
    if (join.span_scope && *join.span_scope != "root" && *join.span_scope != "innermost") {
      return make_error(fmt::format("field \"span_scope\" is \"{}\", not root or innermost",
                                    *join.span_scope),
                        where, "fix or remove capture.json's \"join\" key");
    }
    r.join = std::move(join);
  }
  if (auto ok = read.result(); !ok) return std::unexpected(ok.error());
  return r;
}

Result<CaptureRecord> read_capture_record(const std::string& dir) {
  std::string path = capture_json_path(dir);
  auto text = read_small_file(path, 1u << 20);
  if (!text) return std::unexpected(text.error());
  return parse_capture_record(*text, path);
}

Result<void> write_capture_record(const std::string& dir, const CaptureRecord& record) {
  return write_file_durably(capture_json_path(dir), capture_record_json(record));
}

Result<void> record_join(const std::string& dir, const RecordedJoin& join) {
  std::error_code error;
  if (!std::filesystem::exists(capture_json_path(dir), error)) return {};
  auto record = read_capture_record(dir);
  if (!record) return std::unexpected(record.error());
  // Each option given replaces its recorded value; the others stay recorded.
  RecordedJoin kept = record->join.value_or(RecordedJoin{});
  if (join.tid_attribute) kept.tid_attribute = join.tid_attribute;
  if (join.clock_offset_ns) kept.clock_offset_ns = join.clock_offset_ns;
  if (join.max_spans) kept.max_spans = join.max_spans;
  if (join.span_scope) kept.span_scope = join.span_scope;
  if (!join.span_files.empty()) {
    kept.span_files = join.span_files;
    for (std::string& file : kept.span_files) file = path_for_record(dir, file);
  }
  if (!join.activation_files.empty()) {
    kept.activation_files = join.activation_files;
    for (std::string& file : kept.activation_files) file = path_for_record(dir, file);
  }
  record->join = std::move(kept);
  return write_capture_record(dir, *record);
}

Result<void> record_push(const std::string& dir, const RecordedPush& push) {
  std::error_code error;
  if (!std::filesystem::exists(capture_json_path(dir), error)) return {};
  auto record = read_capture_record(dir);
  if (!record) return std::unexpected(record.error());
  record->push = push;
  return write_capture_record(dir, *record);
}

}  // namespace spanprof::capture
