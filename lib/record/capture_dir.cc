#include "record/capture_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace spanprof::record {

namespace {

namespace fs = std::filesystem;

// What an earlier `spanprof run` writes; the files --force may delete.
bool is_capture_file(const std::string& name) {
  if (name.starts_with("spans")) return true;
  for (const char* owned : {"perf.data", "perf.data.old", "capture.json", "capture.json.tmp",
                            "profile.pb.gz", "summary.json", ".preflight.data",
                            ".preflight.data.old"}) {
    if (name == owned) return true;
  }
  return false;
}

}  // namespace

std::string default_capture_dir_name(std::time_t now) {
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "spanprof-%Y%m%d-%H%M%S", &local);
  return text;
}

Result<PreparedDir> prepare_capture_dir(const std::string& dir, bool force) {
  std::error_code error;
  PreparedDir prepared;
  prepared.path = fs::absolute(dir, error).lexically_normal().string();
  if (error) return make_error("cannot resolve the path: " + error.message(), dir);
  if (!prepared.path.empty() && prepared.path.size() > 1 && prepared.path.back() == '/') {
    prepared.path.pop_back();
  }
  if (fs::exists(prepared.path, error)) {
    if (!fs::is_directory(prepared.path, error)) {
      return make_error("exists and is not a directory", dir, "choose another -o DIR");
    }
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(prepared.path, error), end; !error && it != end;
         it.increment(error)) {
      entries.push_back(it->path());
    }
    if (error) return make_error("cannot list the directory: " + error.message(), dir);
    if (!entries.empty() && !force) {
      return make_error(
          fmt::format("the capture directory is not empty ({} entries)", entries.size()), dir,
          "choose a new -o DIR, or add --force to replace the capture files in it");
    }
    for (const fs::path& entry : entries) {
      std::string name = entry.filename().string();
      if (!is_capture_file(name) || !fs::is_regular_file(entry, error)) continue;
      if (!fs::remove(entry, error) || error) {
        return make_error("cannot remove the old " + name + ": " + error.message(), dir);
      }
      prepared.removed.push_back(name);
    }
  } else if (!fs::create_directories(prepared.path, error) || error) {
    return make_error("cannot create the directory: " + error.message(), dir);
  }
  if (::access(prepared.path.c_str(), W_OK) != 0) {
    return make_error(std::string("cannot write into the directory: ") + std::strerror(errno), dir);
  }
  return prepared;
}

}  // namespace spanprof::record
