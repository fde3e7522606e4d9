#include "capture/layout.h"

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
  for (std::string_view owned : {kCaptureJson, kPerfData, kReceiverProtobufFile, kReceiverJsonFile,
                                 kProfile, kSummary, kPushState, kOutbox, kPreflightData,
                                 kNamespaceIds}) {
    if (name == owned) return true;
  }
  return false;
}

}  // namespace spanprof::capture
