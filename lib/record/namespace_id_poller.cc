#include "record/namespace_id_poller.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "capture/namespace_ids.h"

namespace spanprof::record {

namespace {

// The ids of a /proc directory's numeric entries (tasks).
std::vector<uint32_t> numeric_entries(const std::string& path) {
  std::vector<uint32_t> ids;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ids;  // the process ended meanwhile
  while (const dirent* entry = ::readdir(dir)) {
    uint32_t id = 0;
    const char* name = entry->d_name;
    const char* end = name + std::strlen(name);
    auto [next, error] = std::from_chars(name, end, id);
    if (error == std::errc{} && next == end && next != name) ids.push_back(id);
  }
  ::closedir(dir);
  return ids;
}

// A small /proc file read whole; "" when it is gone.
std::string read_proc_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<uint32_t> ids_in(std::string_view text) {
  std::vector<uint32_t> ids;
  const char* cursor = text.data();
  const char* end = text.data() + text.size();
  while (cursor < end) {
    while (cursor < end && (*cursor == ' ' || *cursor == '\t')) ++cursor;
    uint32_t id = 0;
    auto [next, error] = std::from_chars(cursor, end, id);
    if (error != std::errc{} || next == cursor) break;
    ids.push_back(id);
    cursor = next;
  }
  return ids;
}

// proc(5): "NSpid:" and "NStgid:" list an id in each pid namespace the thread
// is in, from the one of the /proc mount (ours) to its innermost.
std::vector<uint32_t> ns_ids(const std::string& status, std::string_view key) {
  size_t at = status.find(key);
  if (at == std::string::npos) return {};
  size_t start = at + key.size();
  size_t end = status.find('\n', start);
  return ids_in(std::string_view(status).substr(start, end == std::string::npos ? end : end - start));
}

}  // namespace

NamespaceIdPoller::NamespaceIdPoller(std::string path) : path_(std::move(path)) {}

NamespaceIdPoller::~NamespaceIdPoller() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> NamespaceIdPoller::write_line(const std::string& line) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return make_error(std::string("cannot create: ") + std::strerror(errno), path_);
    std::string_view header = capture::kNamespaceIdsHeader;
    if (::write(fd_, header.data(), header.size()) != static_cast<ssize_t>(header.size())) {
      return make_error(std::string("cannot write: ") + std::strerror(errno), path_);
    }
  }
  // One write per line, O_APPEND: a reader never sees half a line but the last.
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    return make_error(std::string("cannot write: ") + std::strerror(errno), path_);
  }
  return {};
}

Result<void> NamespaceIdPoller::poll(pid_t root_pid) {
  if (failed_ || root_pid <= 0) return {};
  auto started = std::chrono::steady_clock::now();
  ++stats_.polls;
  std::vector<uint32_t> pending{static_cast<uint32_t>(root_pid)};
  std::unordered_set<uint32_t> walked;
  size_t tasks = 0;
  Result<void> status;
  while (!pending.empty() && status) {
    uint32_t pid = pending.back();
    pending.pop_back();
    if (!walked.insert(pid).second) continue;
    std::string task_dir = "/proc/" + std::to_string(pid) + "/task/";
    for (uint32_t tid : numeric_entries(task_dir)) {
      if (++tasks > kMaxTasksPerPoll) {
        stats_.task_cap_reached = true;
        pending.clear();
        break;
      }
      std::string task = task_dir + std::to_string(tid);
      for (uint32_t child : ids_in(read_proc_file(task + "/children"))) pending.push_back(child);
      if (!seen_.insert((uint64_t{pid} << 32) | tid).second) continue;
      ++stats_.tasks_seen;
      std::string proc_status = read_proc_file(task + "/status");
      // NSpid is the thread's own id in each namespace (its tid there); NStgid
      // its process's (the main thread's).
      std::vector<uint32_t> tids = ns_ids(proc_status, "\nNSpid:");
      std::vector<uint32_t> pids = ns_ids(proc_status, "\nNStgid:");
      if (tids.size() < 2 || pids.size() != tids.size()) continue;  // not in a nested namespace
      capture::NamespacedThread thread{pids.front(), tids.front(), pids.back(), tids.back()};
      status = write_line(capture::namespace_ids_line(thread));
      if (status) ++stats_.threads_written;
    }
  }
  auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
  stats_.total_poll_ns += took;
  stats_.slowest_poll_ns = std::max<int64_t>(stats_.slowest_poll_ns, took);
  if (!status) failed_ = true;
  return status;
}

}  // namespace spanprof::record
