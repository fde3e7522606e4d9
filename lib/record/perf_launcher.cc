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

// Beyond this perf's buffer is GiBs per CPU.
constexpr int kMaxMmapPages = 1 << 18;

Result<void> validate_call_graph(std::string_view flag, const std::string& graph) {
  if (graph == "fp" || graph == "dwarf") return {};
  if (graph.starts_with("dwarf,")) {
    int size = 0;
    // perf: the user stack dump is at most 65528 bytes (u16, 8-byte aligned).
    if (parse_int(std::string_view(graph).substr(6), size) && size > 0 && size <= 65528) return {};
    return make_error(fmt::format("{} {}: the stack size must be 1..65528 bytes", flag, graph));
  }
  return make_error(fmt::format("{} {}: use fp or dwarf[,SIZE]", flag, graph));
}

// perf's event syntax: NAME, NAME:MODIFIERS, PMU/TERMS/MODIFIERS, or a
// tracepoint SUBSYSTEM:NAME (whose part after ':' is not a set of modifiers).
struct EventParts {
  std::string name;
  std::string terms;
  std::string modifiers;
  bool tracepoint = false;
};

EventParts split_event(const std::string& event) {
  EventParts parts;
  size_t first_slash = event.find('/');
  if (first_slash != std::string::npos) {
    size_t last_slash = event.rfind('/');
    parts.name = event.substr(0, first_slash);
    if (last_slash > first_slash) {
      parts.terms = event.substr(first_slash + 1, last_slash - first_slash - 1);
      parts.modifiers = event.substr(last_slash + 1);
    } else {
      parts.terms = event.substr(first_slash + 1);
    }
    return parts;
  }
  size_t colon = event.find(':');
  parts.name = event.substr(0, colon);
  if (colon == std::string::npos) return parts;
  std::string_view after = std::string_view(event).substr(colon + 1);
  // tools/perf/util/parse-events.l: the event modifier letters.
  bool modifiers = !after.empty() &&
                   after.find_first_not_of("ukhIGHpPSDWebRX") == std::string_view::npos;
  if (modifiers) {
    parts.modifiers = std::string(after);
  } else {
    parts.name = event;
    parts.tracepoint = true;
  }
  return parts;
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
  if (auto graph = validate_call_graph("--call-graph", options.call_graph); !graph) return graph;
  if (options.mmap_pages < 0 || (options.mmap_pages & (options.mmap_pages - 1)) != 0 ||
      options.mmap_pages > kMaxMmapPages) {
    return make_error(fmt::format("--mmap-pages {}: give a power of 2 up to {} (pages per CPU)",
                                  options.mmap_pages, kMaxMmapPages));
  }
  if (!options.off_cpu) return {};
  if (auto stacks = validate_call_graph("--off-cpu-stacks", options.off_cpu_stacks); !stacks) {
    return stacks;
  }
  EventParts parts = split_event(options.event);
  if (parts.tracepoint) {
    return make_error(
        fmt::format("--event {} with --off-cpu: the sampling event must be a counter such as "
                    "cpu-clock or cycles; a tracepoint takes no frequency",
                    options.event),
        "", "leave --event out (cpu-clock), or record the tracepoint without --off-cpu");
  }
  return {};
}

std::string off_cpu_sampling_event(const PerfOptions& options) {
  EventParts parts = split_event(options.event.empty() ? "cpu-clock" : options.event);
  std::string freq = fmt::format("freq={}", options.frequency_hz);
  // The user's own freq= or period= term stands.
  bool rate_given = parts.terms.starts_with("freq=") || parts.terms.starts_with("period=") ||
                    parts.terms.find(",freq=") != std::string::npos ||
                    parts.terms.find(",period=") != std::string::npos;
  std::string terms = rate_given ? parts.terms
                      : parts.terms.empty() ? freq
                                            : parts.terms + "," + freq;
  return fmt::format("{}/{}/{}", parts.name, terms, parts.modifiers);
}

std::string off_cpu_switch_event(const PerfOptions& options) {
  const std::string& stacks = options.off_cpu_stacks;
  if (stacks == "fp") return fmt::format("{}/call-graph=fp/", kSwitchTracepoint);
  std::string bytes =
      stacks.starts_with("dwarf,") ? stacks.substr(6) : std::to_string(kOffCpuStackBytes);
  return fmt::format("{}/call-graph=dwarf,stack-size={}/", kSwitchTracepoint, bytes);
}

std::vector<std::string> perf_record_argv(const std::string& perf_path, const PerfOptions& options,
                                          const std::string& output_path,
                                          const std::vector<std::string>& command) {
  std::vector<std::string> argv = {perf_path, "record"};
  if (options.off_cpu) {
    for (const std::string& arg : {std::string("-c"), std::string("1"), std::string("-e"),
                                   off_cpu_sampling_event(options), std::string("-e"),
                                   off_cpu_switch_event(options), std::string("--switch-events")}) {
      argv.push_back(arg);
    }
  } else {
    argv.push_back("-F");
    argv.push_back(std::to_string(options.frequency_hz));
  }
  if (options.call_graph == "fp") {
    argv.push_back("-g");
  } else {
    argv.push_back("--call-graph");
    argv.push_back(options.call_graph);
  }
  for (const char* arg : {"-k", "monotonic", "--buildid-mmap", "-N", "-o"}) argv.push_back(arg);
  argv.push_back(output_path);
  if (!options.event.empty() && !options.off_cpu) {
    argv.push_back("-e");
    argv.push_back(options.event);
  }
  int mmap_pages = options.mmap_pages;
  if (mmap_pages == 0 && options.off_cpu) mmap_pages = kOffCpuMmapPages;
  if (mmap_pages > 0) {
    argv.push_back("-m");
    argv.push_back(std::to_string(mmap_pages));
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
  if (options.off_cpu) {
    what = fmt::format("perf record --off-cpu ({} and {})", off_cpu_sampling_event(options),
                       off_cpu_switch_event(options));
  }
  if (run->status.shell_code() != 0) {
    std::string hint = options.event.empty() ? "" : "`perf list` shows the events this machine has";
    // perf: "Permission error mapping pages. Consider increasing
    // /proc/sys/kernel/perf_event_mlock_kb, or try again with a smaller value of -m/--mmap_pages."
    if (run->output.find("mapping pages") != std::string::npos) {
      hint = "give a smaller --mmap-pages (e.g. 128), or raise kernel.perf_event_mlock_kb";
    }
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
