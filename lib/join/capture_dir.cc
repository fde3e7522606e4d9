#include "join/capture_dir.h"

#include <time.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <simdjson.h>
#include <system_error>

namespace spanprof::join {

namespace {

bool is_span_file(const std::string& name) {
  if (!name.starts_with("spans")) return false;
  for (const char* suffix : {".jsonl", ".jsonl.gz", ".json", ".json.gz", ".pb", ".pb.gz"}) {
    if (name.ends_with(suffix)) return true;
  }
  return false;
}

// capture.json's {"clocks": {"start": {"realtime_ns": R, "monotonic_ns": M}}};
// nothing when the file is absent or does not hold both.
std::optional<perfdata::ClockData> read_recorded_clock(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return std::nullopt;
  int64_t realtime_ns = 0;
  int64_t monotonic_ns = 0;
  if (root["clocks"]["start"]["realtime_ns"].get(realtime_ns) != simdjson::SUCCESS ||
      root["clocks"]["start"]["monotonic_ns"].get(monotonic_ns) != simdjson::SUCCESS ||
      realtime_ns <= 0 || monotonic_ns <= 0) {
    return std::nullopt;
  }
  perfdata::ClockData clock;
  clock.clockid = CLOCK_MONOTONIC;
  clock.tod_ns = static_cast<uint64_t>(realtime_ns);
  clock.clockid_ns = static_cast<uint64_t>(monotonic_ns);
  return clock;
}

}  // namespace

Result<CaptureFiles> find_capture_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return make_error("not a directory", dir,
                      "give the capture directory written by `spanprof run`, or use --perf-data");
  }
  CaptureFiles files;
  fs::path base(dir);
  files.perf_data = (base / "perf.data").string();
  files.profile = (base / "profile.pb.gz").string();
  files.summary = (base / "summary.json").string();
  for (fs::directory_iterator it(base, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (it->is_regular_file(error) && is_span_file(name)) files.span_files.push_back(it->path().string());
  }
  if (error) return make_error("cannot list the directory: " + error.message(), dir);
  std::sort(files.span_files.begin(), files.span_files.end());
  files.recorded_clock = read_recorded_clock(base / "capture.json");
  return files;
}

}  // namespace spanprof::join
