#include "push/push_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <simdjson.h>

#include <fmt/format.h>

#include "capture/layout.h"
#include "common/durable_file.h"
#include "common/json_writer.h"

namespace spanprof::push {

namespace {

// 2: the outbox keeps delivered batches and per-destination ledgers (outbox.h).
constexpr std::string_view kPushStateSchema = "spanprof.push/2";

std::string state_json(const PushState& state) {
  JsonWriter json(JsonWriter::Style::kPretty);
  json.begin_object();
  json.field("schema", kPushStateSchema);
  json.field("fingerprint", state.fingerprint);
  json.field("shaped_at_unix_ns", state.shaped_at_unix_ns);
  json.field("batches", state.batches);
  json.field("shift_ns", state.shift_ns);
  json.end_object();
  return json.take();
}

std::string state_path(const std::string& dir) {
  return (std::filesystem::path(dir) / capture::kPushState).string();
}

}  // namespace

Result<void> remove_push_state(const std::string& dir) {
  std::string path = state_path(dir);
  std::error_code error;
  std::filesystem::remove(path, error);
  if (error) {
    return make_error(fmt::format("cannot remove: {}", error.message()), path,
                      "check the directory's permissions");
  }
  // The directory entry's removal is made durable before the outbox is cleared.
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return {};
}

Result<void> write_push_state(const std::string& dir, const PushState& state) {
  return write_file_durably(state_path(dir), state_json(state));
}

Result<std::optional<PushState>> read_push_state(const std::string& dir) {
  std::string path = state_path(dir);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::optional<PushState>();
  auto text = read_small_file(path, 1u << 20);
  if (!text) return std::unexpected(text.error());
  const char* hint = "remove it and push again with --reshape";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*text).get(doc)) return make_error("not valid JSON", path, hint);
  std::string_view schema;
  if (doc["schema"].get_string().get(schema) || schema != kPushStateSchema) {
    return make_error(
        fmt::format("written by another spanprof version (schema {}, this one reads {}): its "
                    "outbox kept no per-destination delivery state",
                    schema.empty() ? "missing" : std::string(schema), kPushStateSchema),
        path, "push again with --reshape: it shapes DIR anew and sends it to the destinations given");
  }
  PushState state;
  std::string_view fingerprint;
  if (doc["fingerprint"].get_string().get(fingerprint) ||
      doc["shaped_at_unix_ns"].get_int64().get(state.shaped_at_unix_ns) ||
      doc["batches"].get_uint64().get(state.batches) ||
      doc["shift_ns"].get_int64().get(state.shift_ns)) {
    return make_error("missing or mistyped field (fingerprint, shaped_at_unix_ns, batches, "
                      "shift_ns)", path, hint);
  }
  state.fingerprint = fingerprint;
  return std::optional<PushState>(state);
}

}  // namespace spanprof::push
