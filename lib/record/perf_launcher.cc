#include "record/perf_launcher.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "record/subprocess.h"

namespace spanprof::record {

namespace {

// linux/capability.h
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;

bool has_capability(int capability) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("CapEff:")) continue;
    uint64_t mask = 0;
    std::string hex = line.substr(line.find_first_not_of(" \t", 7));
    std::from_chars(hex.data(), hex.data() + hex.size(), mask, 16);
    return (mask >> capability) & 1;
  }
  return false;
}

bool parse_int(std::string_view text, int& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

std::string last_lines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Usage:") != std::string::npos) break;  // perf's option help follows
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  size_t first = lines.size() > count ? lines.size() - count : 0;
  for (size_t i = first; i < lines.size(); ++i) out += "\n  perf: " + lines[i];
  return out;
}

std::string exe_of(pid_t pid) {
  std::error_code error;
  auto target = std::filesystem::read_symlink(fmt::format("/proc/{}/exe", pid), error);
  return error ? std::string() : target.string();
}

}  // namespace

Result<std::string> find_perf() {
  auto path = find_executable("perf");
  if (!path) {
    return make_error("perf is not installed (no `perf` in PATH)", "",
                      "on Debian: apt-get install linux-perf");
  }
  return path;
}

Result<PerfAccess> check_perf_access() {
  PerfAccess access;
  access.privileged =
      ::geteuid() == 0 || has_capability(kCapPerfmon) || has_capability(kCapSysAdmin);
  std::ifstream file("/proc/sys/kernel/perf_event_paranoid");
  std::string text;
  if (!(file >> text) || !parse_int(text, access.paranoid)) {
    return make_error("cannot read /proc/sys/kernel/perf_event_paranoid", "",
                      "this kernel may lack perf events support (CONFIG_PERF_EVENTS)");
  }
  if (access.privileged) {
    access.kernel_allowed = true;
    return access;
  }
  const std::string fix = "run as root, or let users profile: sysctl kernel.perf_event_paranoid=1";
  if (access.paranoid >= 3) {
    return make_error(fmt::format("kernel.perf_event_paranoid is {}: this kernel lets only "
                                  "privileged users (root, CAP_PERFMON) use perf events",
                                  access.paranoid),
                      "", fix);
  }
  access.kernel_allowed = access.paranoid <= 1;
  if (!access.kernel_allowed) {
    access.explanation = fmt::format(
        "kernel.perf_event_paranoid is {}: unprivileged users may sample only the user space of "
        "their own processes (for kernel frames too, run as root or: sysctl "
        "kernel.perf_event_paranoid=1)",
        access.paranoid);
  }
  return access;
}

Result<void> validate_options(const PerfOptions& options) {
  if (options.frequency_hz < 1) {
    return make_error(
        fmt::format("sampling frequency {} Hz: give at least 1", options.frequency_hz));
  }
  const std::string& graph = options.call_graph;
  if (graph == "fp" || graph == "dwarf") return {};
  if (graph.starts_with("dwarf,")) {
    int size = 0;
    if (parse_int(std::string_view(graph).substr(6), size) && size > 0 && size <= 65528) return {};
    return make_error(fmt::format("--call-graph {}: the stack size must be 1..65528 bytes", graph));
  }
  return make_error(fmt::format("--call-graph {}: use fp or dwarf[,SIZE]", graph));
}

std::vector<std::string> perf_record_argv(const std::string& perf_path, const PerfOptions& options,
                                          const std::string& output_path,
                                          const std::vector<std::string>& command) {
  std::vector<std::string> argv = {perf_path, "record", "-F", std::to_string(options.frequency_hz)};
  if (options.call_graph == "fp") {
    argv.push_back("-g");
  } else {
    argv.push_back("--call-graph");
    argv.push_back(options.call_graph);
  }
  for (const char* arg : {"-k", "monotonic", "--buildid-mmap", "-N", "-o"}) argv.push_back(arg);
  argv.push_back(output_path);
  if (!options.event.empty()) {
    argv.push_back("-e");
    argv.push_back(options.event);
  }
  if (options.user_space_only) argv.push_back("--all-user");
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

Result<void> preflight(const std::string& perf_path, const PerfOptions& options,
                       const std::string& scratch_path) {
  auto true_path = find_executable("true");
  if (!true_path) return make_error("cannot find `true` in PATH to test perf with");
  std::vector<std::string> argv = perf_record_argv(perf_path, options, scratch_path, {*true_path});
  // -v makes perf say when it replaces an event it cannot open by another;
  // --no-bpf-event spares the 1 s poll timeout of perf's side-band thread.
  argv.insert(argv.begin() + 2, {"-v", "--no-bpf-event"});
  auto run = run_captured(argv);
  std::error_code ignored;
  std::filesystem::remove(scratch_path, ignored);
  std::filesystem::remove(scratch_path + ".old", ignored);
  if (!run) return std::unexpected(run.error());
  std::string what = options.event.empty() ? "perf record" : "event " + options.event;
  if (run->status.shell_code() != 0) {
    std::string hint = options.event.empty() ? "" : "`perf list` shows the events this machine has";
    return make_error(fmt::format("{} does not work here ({}):{}", what, run->status.describe(),
                                  last_lines(run->output, 6)),
                      "", hint);
  }
  size_t fallback = run->output.find("trying to fall back");
  if (!options.event.empty() && fallback != std::string::npos) {
    size_t start = run->output.rfind('\n', fallback);
    start = start == std::string::npos ? 0 : start + 1;
    size_t end = run->output.find('\n', fallback);
    return make_error(
        fmt::format("event {} is not available on this machine; perf would silently record "
                    "another event instead (perf: \"{}\")",
                    options.event, run->output.substr(start, end - start)),
        "",
        "choose an event from `perf list`, e.g. -e cpu-clock (virtual machines often have no "
        "hardware PMU)");
  }
  return {};
}

std::string perf_version(const std::string& perf_path) {
  auto run = run_captured({perf_path, "--version"});
  if (!run || run->status.shell_code() != 0) return "";
  std::string version = run->output;
  while (!version.empty() && (version.back() == '\n' || version.back() == ' ')) version.pop_back();
  return version;
}

pid_t find_child_pid(pid_t perf_pid) {
  std::error_code error;
  std::filesystem::path tasks = fmt::format("/proc/{}/task", perf_pid);
  for (std::filesystem::directory_iterator it(tasks, error), end; !error && it != end;
       it.increment(error)) {
    std::ifstream children(it->path() / "children");
    pid_t pid = 0;
    if (children >> pid && pid > 0) return pid;
  }
  return 0;
}

pid_t find_workload_pid(pid_t perf_pid) {
  pid_t child = find_child_pid(perf_pid);
  if (child == 0) return 0;
  std::string child_exe = exe_of(child);
  // Until it execs, perf's child is a copy of perf waiting for the counters.
  if (child_exe.empty() || child_exe == exe_of(perf_pid)) return 0;
  return child;
}

}  // namespace spanprof::record
