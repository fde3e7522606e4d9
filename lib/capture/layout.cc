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

bool is_capture_file_name(std::string_view name) {
  // An interrupted durable write of any of them ("capture.json.tmp-PID-N"),
  // and spanprof 0.1's "capture.json.tmp".
  if (is_durable_temporary(name)) name = name.substr(0, name.rfind(".tmp-"));
  if (name.ends_with(".tmp")) name.remove_suffix(4);
  // perf record keeps the previous output as NAME.old.
  if (name.ends_with(".old")) name.remove_suffix(4);
  if (is_span_file_name(name)) return true;
  for (std::string_view owned : {kCaptureJson, kPerfData, kReceiverProtobufFile, kReceiverJsonFile,
                                 kProfile, kSummary, kPushState, kOutbox, kPreflightData}) {
    if (name == owned) return true;
  }
  return false;
}

}  // namespace spanprof::capture
