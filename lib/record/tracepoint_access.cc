#include "record/tracepoint_access.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace spanprof::record {

namespace {

// linux/capability.h
constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr uint32_t kVfsCapRevisionMask = 0xff000000;
constexpr uint32_t kVfsCapRevision1 = 0x01000000;
constexpr uint32_t kVfsCapFlagsEffective = 0x000001;

// tools/lib/api/fs/tracing_path.c: where perf looks for tracefs, in this order.
constexpr std::array<const char*, 2> kTracefsMounts = {"/sys/kernel/tracing",
                                                       "/sys/kernel/debug/tracing"};
constexpr const char* kSwitchIdFile = "/events/sched/sched_switch/id";

bool has_perfmon(uint64_t mask) {
  return ((mask >> kCapPerfmon) & 1) != 0 || ((mask >> kCapSysAdmin) & 1) != 0;
}

// A capability set from /proc/self/status ("CapEff:\t000001ffffffffff").
uint64_t status_capabilities(std::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with(key)) continue;
    size_t start = line.find_first_not_of(" \t", key.size());
    if (start == std::string::npos) return 0;
    uint64_t mask = 0;
    std::from_chars(line.data() + start, line.data() + line.size(), mask, 16);
    return mask;
  }
  return 0;
}

uint32_t le32(const unsigned char* bytes) {
  return static_cast<uint32_t>(bytes[0]) | static_cast<uint32_t>(bytes[1]) << 8 |
         static_cast<uint32_t>(bytes[2]) << 16 | static_cast<uint32_t>(bytes[3]) << 24;
}

// The permitted set perf's file capabilities (`setcap cap_perfmon+ep perf`)
// raise into the effective set at exec; 0 without the effective flag.
// linux/capability.h: struct vfs_cap_data {le32 magic_etc; {le32 permitted,
// inheritable} data[2]}, with one data entry in revision 1.
uint64_t file_effective_capabilities(const std::string& path) {
  std::array<unsigned char, 24> data{};
  ssize_t size = ::getxattr(path.c_str(), "security.capability", data.data(), data.size());
  if (size < 12) return 0;
  uint32_t magic = le32(data.data());
  if ((magic & kVfsCapFlagsEffective) == 0) return 0;
  uint64_t permitted = le32(data.data() + 4);
  if ((magic & kVfsCapRevisionMask) != kVfsCapRevision1 && size >= 20) {
    permitted |= static_cast<uint64_t>(le32(data.data() + 12)) << 32;
  }
  return permitted;
}

TracefsState probe_tracefs(const std::string& mount) {
  std::string id = mount + kSwitchIdFile;
  int fd = ::open(id.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return TracefsState::kReadable;
  }
  if (errno == EACCES || errno == EPERM) return TracefsState::kDenied;
  struct statfs fs {};
  if (::statfs(mount.c_str(), &fs) != 0) {
    return errno == EACCES ? TracefsState::kDenied : TracefsState::kMissing;
  }
  return fs.f_type == TRACEFS_MAGIC ? TracefsState::kNoEvent : TracefsState::kMissing;
}

const TracefsProbe* first_in(const std::vector<TracefsProbe>& probes, TracefsState state) {
  for (const TracefsProbe& probe : probes) {
    if (probe.state == state) return &probe;
  }
  return nullptr;
}

}  // namespace

TracepointAccessFacts probe_tracepoint_access(const std::string& perf_path) {
  TracepointAccessFacts facts;
  facts.root = ::geteuid() == 0;
  facts.perf_path = perf_path;
  facts.spanprof_has_perfmon = has_perfmon(status_capabilities("CapEff:"));
  facts.perf_has_perfmon = has_perfmon(status_capabilities("CapAmb:")) ||
                           has_perfmon(file_effective_capabilities(perf_path));
  std::ifstream file("/proc/sys/kernel/perf_event_paranoid");
  if (!(file >> facts.paranoid)) facts.paranoid = 2;
  for (const char* mount : kTracefsMounts) {
    facts.tracefs.push_back(TracefsProbe{mount, probe_tracefs(mount)});
  }
  return facts;
}

Result<void> check_tracepoint_access(const TracepointAccessFacts& facts) {
  // root may read tracefs, and perf mounts it when it is not (the preflight
  // recording tells the rest).
  if (facts.root) return {};
  if (!facts.perf_has_perfmon && facts.paranoid > -1) {
    std::string inherit =
        facts.spanprof_has_perfmon
            ? " (spanprof has it, but perf does not inherit it: it is not in the ambient set)"
            : "";
    return make_error(
        fmt::format("--off-cpu samples the sched:sched_switch tracepoint's raw fields, which "
                    "needs root, CAP_PERFMON or kernel.perf_event_paranoid=-1: perf_event_paranoid "
                    "is {} and {} has no CAP_PERFMON{}",
                    facts.paranoid, facts.perf_path, inherit),
        "/proc/sys/kernel/perf_event_paranoid",
        fmt::format("sudo sysctl kernel.perf_event_paranoid=-1, or sudo setcap cap_perfmon+ep {}, "
                    "or run as root",
                    facts.perf_path));
  }
  if (first_in(facts.tracefs, TracefsState::kReadable) != nullptr) return {};
  if (const TracefsProbe* denied = first_in(facts.tracefs, TracefsState::kDenied)) {
    return make_error(
        "--off-cpu: this user cannot read the sched:sched_switch tracepoint's id in tracefs "
        "(root-only by default), so perf cannot open it",
        denied->mount + kSwitchIdFile,
        fmt::format("sudo mount -o remount,mode=755 {0} (or sudo chmod -R go+rX {0}), or run as "
                    "root",
                    denied->mount));
  }
  if (const TracefsProbe* no_event = first_in(facts.tracefs, TracefsState::kNoEvent)) {
    return make_error("--off-cpu: this kernel has no sched:sched_switch tracepoint",
                      no_event->mount + kSwitchIdFile,
                      "a kernel built with CONFIG_TRACEPOINTS and scheduler trace events is "
                      "needed");
  }
  std::string checked;
  for (const TracefsProbe& probe : facts.tracefs) {
    checked += (checked.empty() ? "" : ", ") + probe.mount;
  }
  return make_error(
      fmt::format("--off-cpu: tracefs is not mounted (checked {}); perf looks up "
                  "sched:sched_switch there",
                  checked),
      "", "sudo mount -t tracefs nodev /sys/kernel/tracing");
}

}  // namespace spanprof::record
