#include "spans/span_set.h"

#include <string>

namespace spanprof::spans {

uint32_t SpanSet::intern_name(std::string_view name) {
  if (auto it = name_index_.find(name); it != name_index_.end()) return it->second;
  auto index = static_cast<uint32_t>(names.size());
  names.emplace_back(name);
  name_index_.emplace(std::string(name), index);
  return index;
}

uint32_t SpanSet::intern_resource(const Resource& resource) {
  std::string key = resource.service_name;
  key += '\0';
  key += resource.service_namespace;
  key += '\0';
  if (resource.pid) key += std::to_string(*resource.pid);
  if (auto it = resource_index_.find(key); it != resource_index_.end()) return it->second;
  auto index = static_cast<uint32_t>(resources.size());
  resources.push_back(resource);
  resource_index_.emplace(std::move(key), index);
  return index;
}

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

std::string span_id_hex(uint64_t span_id) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kHexDigits[span_id & 0xf];
    span_id >>= 4;
  }
  return out;
}

std::string trace_id_hex(const TraceId& trace_id) {
  std::string out;
  out.reserve(32);
  for (uint8_t byte : trace_id) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0xf];
  }
  return out;
}

}  // namespace spanprof::spans
