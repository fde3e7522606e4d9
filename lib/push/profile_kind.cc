#include "push/profile_kind.h"

#include <fmt/format.h>

namespace spanprof::push {

namespace {

constexpr ProfileKindInfo kKinds[] = {
    {ProfileKind::kCpu, "cpu", "process_cpu", "profile", "", false, "", ""},
    // No period type: off_cpu:off_cpu:nanoseconds::, as Pyroscope files the
    // OpenTelemetry eBPF profiler's off-CPU profiles.
    {ProfileKind::kOffCpu, "off-cpu", "off_cpu", "offcpu", "thread_state", true, "", ""},
    // thread_state: running for the CPU samples, the off-CPU states for the rest.
    {ProfileKind::kWall, "wall", "wall", "wall", "thread_state", true, "wall", "nanoseconds"},
};

constexpr const char* kChoices = "cpu, off-cpu, wall";

}  // namespace

std::span<const ProfileKindInfo> profile_kinds() { return kKinds; }

const ProfileKindInfo& kind_info(ProfileKind kind) {
  for (const ProfileKindInfo& info : kKinds) {
    if (info.kind == kind) return info;
  }
  return kKinds[0];
}

bool ProfileSelection::has(ProfileKind kind) const {
  switch (kind) {
    case ProfileKind::kCpu: return cpu;
    case ProfileKind::kOffCpu: return off_cpu;
    case ProfileKind::kWall: return wall;
  }
  return false;
}

std::string ProfileSelection::to_string() const {
  std::string out;
  for (const ProfileKindInfo& info : kKinds) {
    if (!has(info.kind)) continue;
    if (!out.empty()) out += ',';
    out += info.option_name;
  }
  return out;
}

Result<ProfileSelection> parse_profile_selection(std::string_view list) {
  if (list.empty()) return ProfileSelection{};
  ProfileSelection selection{false, false, false};
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view name = list.substr(start, end - start);
    const ProfileKindInfo* found = nullptr;
    for (const ProfileKindInfo& info : kKinds) {
      if (name == info.option_name) found = &info;
    }
    if (found == nullptr) {
      return make_error(name.empty() ? std::string("--profiles has an empty item")
                                     : fmt::format("--profiles: unknown profile \"{}\"", name),
                        "--profiles", fmt::format("give a comma-separated list of {}", kChoices));
    }
    bool* flag = found->kind == ProfileKind::kCpu      ? &selection.cpu
                 : found->kind == ProfileKind::kOffCpu ? &selection.off_cpu
                                                       : &selection.wall;
    if (*flag) {
      return make_error(fmt::format("--profiles names \"{}\" twice", name), "--profiles",
                        "give each profile once");
    }
    *flag = true;
    start = end + 1;
  }
  return selection;
}

}  // namespace spanprof::push
