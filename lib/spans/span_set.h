// The span model: what spanprof keeps of each OpenTelemetry span.
//
// Compact on purpose (a capture may hold millions of spans): names and
// resources are interned, ids are fixed-size.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace spanprof::spans {

using TraceId = std::array<uint8_t, 16>;

struct Resource {
  std::string service_name;       // resource attribute service.name ("" when absent)
  std::optional<uint32_t> pid;    // resource attribute process.pid
  std::string service_namespace = {};  // resource attribute service.namespace ("" when absent)
};

struct Span {
  TraceId trace_id{};
  uint64_t span_id = 0;           // 8 bytes as a big-endian integer (hex order)
  uint64_t parent_span_id = 0;    // 0 = no parent
  bool parent_is_remote = false;  // OTLP flags: the parent lives in another process
  int64_t start_unix_ns = 0;
  int64_t end_unix_ns = 0;
  uint32_t name_index = 0;      // into SpanSet::names
  uint32_t resource_index = 0;  // into SpanSet::resources
  // OS thread id: from thread.os_id, thread.native_id or the --tid-attribute key.
  std::optional<uint32_t> os_tid;
  // thread.id: a runtime-managed id; used as an OS tid only when it is one (checked
  // against the capture's threads by the attribution stage).
  std::optional<int64_t> runtime_thread_id;
};

// All spans of a capture, from any number of files.
struct SpanSet {
  std::vector<Span> spans;
  std::vector<std::string> names;
  std::vector<Resource> resources;

  uint32_t intern_name(std::string_view name);
  uint32_t intern_resource(const Resource& resource);

 private:
  // Transparent, so a string_view finds a name without building a std::string.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using StringIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;
  StringIndex name_index_;
  StringIndex resource_index_;  // key: service + '\0' + namespace + '\0' + pid
};

// Lowercase hex, as Grafana and Tempo expect (16 and 32 characters).
std::string span_id_hex(uint64_t span_id);
std::string trace_id_hex(const TraceId& trace_id);

}  // namespace spanprof::spans
