#include "capture/capture_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "capture/layout.h"

namespace spanprof::capture {

namespace {

namespace fs = std::filesystem;

std::string absolute_normal(const std::string& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) return path;
  std::string text = absolute.lexically_normal().string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// capture.json's spans.file: relative paths are relative to DIR (so a moved
// directory still works); absolute ones are kept.
std::string resolve_spans_file(const fs::path& dir, const std::string& named) {
  fs::path path(named);
  return (path.is_absolute() ? path : dir / path).lexically_normal().string();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  return fs::equivalent(a, b, error) && !error;
}

// Creates DIR/capture.json exclusively, holding a record in state "preparing":
// the directory is this run's from now on.
Result<void> claim(const std::string& dir) {
  std::string path = (fs::path(dir) / kCaptureJson).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) {
      return make_error("another spanprof run has just claimed this directory", dir,
                        "choose another -o DIR");
    }
    return make_error(fmt::format("cannot create capture.json: {}", std::strerror(errno)), dir);
  }
  CaptureRecord placeholder;
  placeholder.state = "preparing";
  std::string text = capture_record_json(placeholder);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) return make_error("cannot write capture.json", dir, "check free space");
  return {};
}

Result<std::vector<std::string>> remove_earlier_capture(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code error;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    entries.push_back(it->path());
  }
  if (error) return make_error("cannot list the directory: " + error.message(), dir);
  std::sort(entries.begin(), entries.end());
  for (const fs::path& entry : entries) {
    std::string name = entry.filename().string();
    if (!is_capture_file_name(name)) continue;
    bool is_outbox = name == kOutbox && fs::is_directory(entry, error);
    if (!is_outbox && !fs::is_regular_file(entry, error)) continue;
    if (is_outbox) {
      fs::remove_all(entry, error);
    } else {
      fs::remove(entry, error);
    }
    if (error) return make_error("cannot remove the earlier " + name + ": " + error.message(), dir);
    removed.push_back(is_outbox ? name + "/" : name);
  }
  return removed;
}

// dir exists or was just made: refuse it when it holds anything (without force).
Result<CreatedDir> take_directory(const std::string& dir, bool force) {
  CreatedDir created;
  created.path = dir;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return make_error("exists and is not a directory", dir, "choose another -o DIR");
  }
  size_t entries = 0;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    ++entries;
  }
  if (error) return make_error("cannot list the directory: " + error.message(), dir);
  if (entries > 0 && !force) {
    return make_error(fmt::format("the capture directory is not empty ({} entries)", entries), dir,
                      "choose a new -o DIR, or add --force to replace the capture files in it");
  }
  if (entries > 0) {
    auto removed = remove_earlier_capture(dir);
    if (!removed) return std::unexpected(removed.error());
    created.removed = std::move(*removed);
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return make_error(std::string("cannot write into the directory: ") + std::strerror(errno), dir);
  }
  if (auto claimed = claim(dir); !claimed) return std::unexpected(claimed.error());
  return created;
}

}  // namespace

std::optional<ClockPair> Capture::start_clocks() const {
  if (!record || record->clocks_start.realtime_ns <= 0 || record->clocks_start.monotonic_ns <= 0) {
    return std::nullopt;
  }
  return record->clocks_start;
}

std::string Capture::executable_name() const { return record ? record->executable_name() : ""; }

Result<Capture> open_capture(const std::string& dir, bool need_perf_data) {
  std::error_code error;
  const char* hint = "give the capture directory written by `spanprof run`, or use --perf-data";
  if (!fs::exists(dir, error)) return make_error("no such directory", dir, hint);
  if (!fs::is_directory(dir, error)) return make_error("not a directory", dir, hint);
  fs::path base(dir);
  Capture capture;
  capture.dir = dir;
  capture.perf_data = (base / kPerfData).string();
  capture.profile = (base / kProfile).string();
  capture.summary = (base / kSummary).string();
  for (fs::directory_iterator it(base, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    std::error_code type_error;
    if (!it->is_regular_file(type_error)) continue;
    if (is_span_file_name(name)) capture.span_files.push_back(it->path().string());
    if (is_activation_file_name(name)) capture.activation_files.push_back(it->path().string());
    if (is_activation_error_note_name(name)) {
      capture.activation_error_notes.push_back(it->path().string());
    }
    if (name == kNamespaceIds) capture.namespace_ids = it->path().string();
  }
  if (error) return make_error("cannot list the directory: " + error.message(), dir);
  std::sort(capture.span_files.begin(), capture.span_files.end());
  std::sort(capture.activation_files.begin(), capture.activation_files.end());
  std::sort(capture.activation_error_notes.begin(), capture.activation_error_notes.end());
  if (need_perf_data && !fs::exists(capture.perf_data, error)) {
    return make_error("no perf.data in the capture directory", dir,
                      "record with `spanprof run`, or give the capture with --perf-data FILE");
  }

  if (fs::exists(base / kCaptureJson, error)) {
    auto record = read_capture_record(dir);
    if (!record) return std::unexpected(record.error());
    capture.record = std::move(*record);
  }
  if (capture.record && !capture.record->spans_file.empty()) {
    std::string named = resolve_spans_file(base, capture.record->spans_file);
    bool listed = std::any_of(capture.span_files.begin(), capture.span_files.end(),
                              [&](const std::string& file) { return same_file(file, named); });
    if (!listed && fs::is_regular_file(named, error)) {
      capture.span_files.push_back(named);
    } else if (!listed) {
      // A spanprof 0.1 capture that was moved names its old absolute path; the
      // same file name inside DIR is that file.
      std::string moved = (base / fs::path(named).filename()).string();
      bool found_moved = std::any_of(capture.span_files.begin(), capture.span_files.end(),
                                     [&](const std::string& file) { return file == moved; });
      bool default_inside = !fs::path(capture.record->spans_file).is_absolute();
      if (!found_moved && !default_inside) {
        capture.warnings.push_back(Warning{
            WarningKind::kCapture,
            fmt::format("names the spans file {}, which does not exist: its spans are not "
                        "joined (give it with --spans if it was moved)",
                        named),
            (base / kCaptureJson).string()});
      }
    }
  }
  return capture;
}

std::string default_capture_dir_name(std::time_t now) {
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "spanprof-%Y%m%d-%H%M%S", &local);
  return text;
}

Result<CreatedDir> create_capture_dir(const std::string& dir, bool force, bool default_name) {
  const std::string path = absolute_normal(dir);
  std::error_code error;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent, error)) {
    fs::create_directories(parent, error);
    if (error) return make_error("cannot create the directory: " + error.message(), dir);
  }
  if (default_name) {
    // A new directory every time: two runs started in the same second get
    // NAME and NAME-2.
    for (int attempt = 1; attempt <= 1000; ++attempt) {
      std::string candidate = attempt == 1 ? path : fmt::format("{}-{}", path, attempt);
      if (::mkdir(candidate.c_str(), 0755) == 0) {
        if (auto claimed = claim(candidate); !claimed) return std::unexpected(claimed.error());
        return CreatedDir{candidate, {}};
      }
      if (errno != EEXIST) {
        return make_error(fmt::format("cannot create the directory: {}", std::strerror(errno)),
                          candidate);
      }
    }
    return make_error("1000 capture directories of this name exist already", path,
                      "give one with -o DIR");
  }
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return make_error(fmt::format("cannot create the directory: {}", std::strerror(errno)), dir);
  }
  return take_directory(path, force);
}

}  // namespace spanprof::capture
