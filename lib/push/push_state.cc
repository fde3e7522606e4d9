#include "push/push_state.h"

#include "common/durable_file.h"
#include "common/json_quote.h"

#include <fcntl.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace spanprof::push {

namespace {

constexpr const char* kStateFile = "push.json";
constexpr const char* kCaptureFile = "capture.json";

std::string state_json(const PushState& state) {
  return fmt::format(
      "{{\n  \"schema\": \"spanprof.push/1\",\n  \"fingerprint\": \"{}\",\n"
      "  \"shaped_at_unix_ns\": {},\n  \"batches\": {},\n  \"shift_ns\": {}\n}}\n",
      state.fingerprint, state.shaped_at_unix_ns, state.batches, state.shift_ns);
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(fmt::format("cannot open: {}", std::strerror(errno)), path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("cannot read", path);
  return text.str();
}

// JSON string escaping for keys copied back into capture.json.
std::string quoted(std::string_view text) { return json_quoted(text); }

}  // namespace

Result<void> write_push_state(const std::string& dir, const PushState& state) {
  return write_file_durably((std::filesystem::path(dir) / kStateFile).string(), state_json(state));
}

Result<std::optional<PushState>> read_push_state(const std::string& dir) {
  std::string path = (std::filesystem::path(dir) / kStateFile).string();
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::optional<PushState>();
  auto text = read_text(path);
  if (!text) return std::unexpected(text.error());
  const char* hint = "remove it and push again with --reshape";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*text).get(doc)) return make_error("not valid JSON", path, hint);
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

Result<void> record_push_in_capture_json(const std::string& dir, const PushState& state) {
  std::string path = (std::filesystem::path(dir) / kCaptureFile).string();
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return {};
  auto text = read_text(path);
  if (!text) return std::unexpected(text.error());
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(*text).get_object().get(root)) {
    return make_error("not a JSON object; the push's shift is not recorded in it", path,
                      "the shift is still in push.json");
  }
  // Every other key is copied back as it was (minified), in its order.
  std::string out = "{\n";
  for (auto [key, value] : root) {
    if (key == "push") continue;
    out += "  " + quoted(key) + ": " + simdjson::minify(value) + ",\n";
  }
  out += fmt::format("  \"push\": {{\"shift_ns\": {}, \"shaped_at_unix_ns\": {}}}\n}}\n",
                     state.shift_ns, state.shaped_at_unix_ns);
  return write_file_durably(path, out);
}

}  // namespace spanprof::push
