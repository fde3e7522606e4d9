#include "capture/namespace_ids.h"

#include <charconv>

#include <fmt/format.h>

#include "common/durable_file.h"

namespace spanprof::capture {

std::string namespace_ids_line(const NamespacedThread& thread) {
  return fmt::format("{}\t{}\t{}\t{}\n", thread.host_pid, thread.host_tid, thread.ns_pid,
                     thread.ns_tid);
}

std::optional<HostThread> NamespaceIds::host_thread(uint32_t ns_pid, uint32_t ns_tid) const {
  auto it = threads_.find(key(ns_pid, ns_tid));
  if (it == threads_.end()) return std::nullopt;
  return it->second;
}

void NamespaceIds::add(const NamespacedThread& thread) {
  HostThread host{thread.host_pid, thread.host_tid};
  auto [it, inserted] = threads_.try_emplace(key(thread.ns_pid, thread.ns_tid), host);
  if (inserted || !it->second) return;
  if (it->second->pid == host.pid && it->second->tid == host.tid) return;  // listed twice
  it->second.reset();
  ++ambiguous_;
}

Result<NamespaceIds> parse_namespace_ids(std::string_view text, const std::string& where) {
  if (!text.starts_with(kNamespaceIdsHeader)) {
    return make_error("not a spanprof namespace-ids file (its first line is not \"" +
                          std::string(kNamespaceIdsHeader.substr(0, kNamespaceIdsHeader.size() - 1)) +
                          "\")",
                      where, "it is written by `spanprof run`; remove it to join without it");
  }
  NamespaceIds ids;
  size_t line_number = 1;
  size_t pos = kNamespaceIdsHeader.size();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) break;  // cut mid-write
    ++line_number;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    uint32_t fields[4] = {};
    const char* cursor = line.data();
    const char* line_end = line.data() + line.size();
    bool ok = true;
    for (int i = 0; i < 4 && ok; ++i) {
      if (i > 0) ok = cursor < line_end && *cursor++ == '\t';
      if (!ok) break;
      auto [next, error] = std::from_chars(cursor, line_end, fields[i]);
      ok = error == std::errc{} && next != cursor;
      cursor = next;
    }
    if (!ok || cursor != line_end) {
      return make_error(fmt::format("line {} is not four tab-separated ids", line_number), where,
                        "it is written by `spanprof run`; remove it to join without it");
    }
    ids.add(NamespacedThread{fields[0], fields[1], fields[2], fields[3]});
  }
  return ids;
}

Result<NamespaceIds> read_namespace_ids(const std::string& path) {
  // About 30 bytes a thread: a million threads.
  auto text = read_small_file(path, 32u << 20);
  if (!text) return std::unexpected(text.error());
  return parse_namespace_ids(*text, path);
}

}  // namespace spanprof::capture
