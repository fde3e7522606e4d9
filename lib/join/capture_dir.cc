#include "join/capture_dir.h"

#include <algorithm>
#include <filesystem>
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
  return files;
}

}  // namespace spanprof::join
