#include "capture/layout.h"

#include <utility>

#include "common/durable_file.h"

namespace spanprof::capture {

bool is_span_file_name(std::string_view name) {
  if (!name.starts_with("spans")) return false;
  for (std::string_view suffix : {".jsonl", ".jsonl.gz", ".json", ".json.gz", ".pb", ".pb.gz"}) {
    if (name.ends_with(suffix)) return true;
  }
  return false;
}

namespace {

// "activations-" + decimal digits + suffix.
bool is_activation_name(std::string_view name, std::string_view suffix) {
  constexpr std::string_view kPrefix = "activations-";
  if (!name.starts_with(kPrefix) || !name.ends_with(suffix)) return false;
  std::string_view pid = name.substr(kPrefix.size(), name.size() - kPrefix.size() - suffix.size());
  if (pid.empty() || pid.size() > 10) return false;
  for (char c : pid) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string activation_file_name(uint32_t pid) {
  return "activations-" + std::to_string(pid) + ".bin";
}

std::string activation_error_note_name(uint32_t pid) {
  return "activations-" + std::to_string(pid) + ".error";
}

bool is_activation_file_name(std::string_view name) { return is_activation_name(name, ".bin"); }

bool is_activation_error_note_name(std::string_view name) {
  return is_activation_name(name, ".error");
}

namespace {

// (directory with its slash, file name without .pb.gz)
std::pair<std::string, std::string> split_output(const std::string& output_path) {
  size_t slash = output_path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : output_path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? output_path : output_path.substr(slash + 1);
  for (std::string_view suffix : {".pb.gz", ".gz", ".pb"}) {
    if (base.size() > suffix.size() && base.ends_with(suffix)) {
      base.resize(base.size() - suffix.size());
      break;
    }
  }
  return {dir, base};
}

}  // namespace

std::string sibling_profile_path(const std::string& output_path, SiblingProfile kind) {
  auto [dir, base] = split_output(output_path);
  std::string_view name = kind == SiblingProfile::kOffCpu ? kOffCpuProfile : kWallProfile;
  if (base + ".pb.gz" == kProfile) return dir + std::string(name);
  return dir + base + "." + std::string(name);
}

std::string event_profile_path(const std::string& output_path, std::string_view event_name) {
  auto [dir, base] = split_output(output_path);
  std::string event(event_name);
  for (char& c : event) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return dir + base + "-" + event + ".pb.gz";
}

std::string path_in(const std::string& dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return dir.ends_with('/') ? dir + std::string(name) : dir + "/" + std::string(name);
}

bool is_capture_file_name(std::string_view name) {
  // An interrupted durable write of any of them ("capture.json.tmp-PID-N"),
  // and spanprof 0.1's "capture.json.tmp".
  if (is_durable_temporary(name)) name = name.substr(0, name.rfind(".tmp-"));
  if (name.ends_with(".tmp")) name.remove_suffix(4);
  // perf record keeps the previous output as NAME.old.
  if (name.ends_with(".old")) name.remove_suffix(4);
  if (is_span_file_name(name) || is_activation_file_name(name) ||
      is_activation_error_note_name(name)) {
    return true;
  }
  if (name.starts_with("profile-") && name.ends_with(".pb.gz")) return true;
  for (std::string_view owned : {kCaptureJson, kPerfData, kReceiverProtobufFile, kReceiverJsonFile,
                                 kProfile, kOffCpuProfile, kWallProfile, kSummary, kReport, kFirefoxExport,
                                 kChromeExport, kFoldedExport, kPushState, kOutbox, kPreflightData,
                                 kNamespaceIds}) {
    if (name == owned) return true;
  }
  return false;
}

}  // namespace spanprof::capture
