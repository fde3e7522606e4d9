#include "spans/otlp_proto_reader.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "otlp_trace.pb.h"

namespace spanprof::spans {
namespace {

std::optional<int64_t> integer_of(const otlp::AnyValue& value) {
  switch (value.value_case()) {
    case otlp::AnyValue::kIntValue:
      return value.int_value();
    case otlp::AnyValue::kStringValue:
      return parse_int64(value.string_value());
    default:
      return std::nullopt;
  }
}

uint64_t span_id_of(const std::string& bytes) {
  uint64_t id = 0;
  for (char byte : bytes) id = id << 8 | static_cast<uint8_t>(byte);
  return id;
}

void add_resource(const otlp::Resource& resource, SpanBuilder& builder) {
  for (const otlp::KeyValue& attribute : resource.attributes()) {
    if (attribute.key() == "service.name" &&
        attribute.value().value_case() == otlp::AnyValue::kStringValue) {
      builder.set_service_name(attribute.value().string_value());
    } else if (attribute.key() == "service.namespace" &&
               attribute.value().value_case() == otlp::AnyValue::kStringValue) {
      builder.set_service_namespace(attribute.value().string_value());
    } else if (attribute.key() == "process.pid") {
      if (auto pid = integer_of(attribute.value())) builder.set_pid(*pid);
    }
  }
}

void add_span(const otlp::Span& span, SpanBuilder& builder) {
  SpanFields fields;
  fields.name = span.name();
  if (span.trace_id().size() != fields.trace_id.size()) {
    fields.id_problem = span.trace_id().empty() ? "no trace id" : "trace id is not 16 bytes";
  } else {
    std::memcpy(fields.trace_id.data(), span.trace_id().data(), fields.trace_id.size());
  }
  if (fields.id_problem == nullptr) {
    if (span.span_id().size() != 8) {
      fields.id_problem = span.span_id().empty() ? "no span id" : "span id is not 8 bytes";
    } else {
      fields.span_id = span_id_of(span.span_id());
    }
  }
  if (fields.id_problem == nullptr && !span.parent_span_id().empty()) {
    if (span.parent_span_id().size() != 8) {
      fields.id_problem = "parent span id is not 8 bytes";
    } else {
      fields.parent_span_id = span_id_of(span.parent_span_id());
    }
  }
  fields.flags = span.flags();
  // proto3 cannot tell 0 from unset; a time of 0 means "not recorded".
  if (span.start_time_unix_nano() != 0) fields.start_unix_ns = span.start_time_unix_nano();
  if (span.end_time_unix_nano() != 0) fields.end_unix_ns = span.end_time_unix_nano();
  for (const otlp::KeyValue& attribute : span.attributes()) {
    switch (builder.role_of(attribute.key())) {
      case AttributeRole::kOsTid:
        fields.os_tid = integer_of(attribute.value());
        break;
      case AttributeRole::kOsTidFallback:
        fields.os_tid_fallback = integer_of(attribute.value());
        break;
      case AttributeRole::kRuntimeThreadId:
        fields.runtime_thread_id = integer_of(attribute.value());
        break;
      case AttributeRole::kIgnored:
        break;
    }
  }
  builder.add_span(fields);
}

void add_traces_data(const otlp::TracesData& traces, SpanBuilder& builder) {
  for (const otlp::ResourceSpans& resource_spans : traces.resource_spans()) {
    builder.begin_resource();
    add_resource(resource_spans.resource(), builder);
    for (const otlp::ScopeSpans& scope_spans : resource_spans.scope_spans()) {
      for (const otlp::Span& span : scope_spans.spans()) add_span(span, builder);
    }
    builder.end_resource();
  }
}

// Discards n bytes of the stream; returns how many were there.
Result<size_t> skip_bytes(ByteSource& source, size_t n) {
  std::vector<char> scratch(std::min<size_t>(n, size_t{1} << 20));
  size_t skipped = 0;
  while (skipped < n) {
    size_t want = std::min(scratch.size(), n - skipped);
    auto got = read_fully(source, std::span<char>(scratch.data(), want));
    if (!got) return std::unexpected(got.error());
    skipped += *got;
    if (*got < want) break;
  }
  return skipped;
}

// Reads a message of length bytes into message, growing it only as bytes
// arrive: a length prefix is a claim, and a few bytes claiming 255 MiB must not
// cost 255 MiB. Returns how many bytes were there (fewer than length at the end).
Result<size_t> read_message(ByteSource& source, size_t length, std::string& message) {
  constexpr size_t kChunk = size_t{1} << 20;
  message.clear();
  while (message.size() < length) {
    size_t filled = message.size();
    size_t want = std::min(kChunk, length - filled);
    // Geometric growth keeps copying linear, never past the claimed length:
    // memory stays within max(kChunk, twice the bytes actually read).
    if (message.capacity() < filled + want) {
      message.reserve(std::min(length, std::max(2 * message.capacity(), filled + want)));
    }
    message.resize(filled + want);
    auto got = read_fully(source, std::span<char>(message.data() + filled, want));
    if (!got) return std::unexpected(got.error());
    message.resize(filled + *got);
    if (*got < want) break;
  }
  return message.size();
}

// Parses and adds one message; false when it is not a TracesData message.
bool add_message(std::string_view bytes, google::protobuf::Arena& arena, SpanBuilder& builder) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  arena.Reset();
  auto* traces = google::protobuf::Arena::CreateMessage<otlp::TracesData>(&arena);
  if (!traces->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  builder.begin_record();
  add_traces_data(*traces, builder);
  return true;
}

constexpr std::string_view kNotTracesData = "not a valid TracesData protobuf message";

std::string over_limit_problem(uint64_t length, size_t max_message_bytes) {
  return "message of " + std::to_string(length) + " bytes is over the limit of " +
         std::to_string(max_message_bytes) + ", skipped";
}

}  // namespace

Result<void> decode_otlp_proto_message(std::string_view bytes, const SpanReaderOptions& options,
                                       SpanSet& out, SpanReadStats& stats,
                                       size_t max_message_bytes) {
  // The file format's 4-byte length, and the reader's limit.
  if (bytes.size() > max_message_bytes || bytes.size() > UINT32_MAX) {
    return make_error(over_limit_problem(bytes.size(), max_message_bytes));
  }
  google::protobuf::LogSilencer quiet;
  google::protobuf::Arena arena;
  SpanBuilder builder("in-memory TracesData", options, out, stats);
  builder.at_offset(0);
  ++stats.lines;
  if (!add_message(bytes, arena, builder)) {
    ++stats.bad_lines;
    return make_error(std::string(kNotTracesData));
  }
  return {};
}

Result<void> read_otlp_proto_messages(ByteSource& source, SpanBuilder& builder,
                                      SpanReadStats& stats, size_t max_message_bytes) {
  // A bad message is counted and reported here; libprotobuf would also log it.
  google::protobuf::LogSilencer quiet;
  google::protobuf::Arena arena;
  std::string message;
  uint64_t offset = 0;
  while (true) {
    std::array<char, 4> prefix{};
    auto got = read_fully(source, prefix);
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return {};
    builder.at_offset(offset);
    ++stats.lines;
    if (*got < prefix.size()) {
      ++stats.bad_lines;
      builder.problem("file ends inside a 4-byte length prefix");
      return {};
    }
    uint32_t length = 0;
    for (char byte : prefix) length = length << 8 | static_cast<uint8_t>(byte);
    offset += prefix.size();

    if (length > max_message_bytes) {
      auto skipped = skip_bytes(source, length);
      if (!skipped) return std::unexpected(skipped.error());
      ++stats.bad_lines;
      if (*skipped < length) {
        builder.problem("length " + std::to_string(length) + " runs past the end of the file (" +
                        std::to_string(*skipped) + " bytes left); rest of file ignored");
        return {};
      }
      builder.problem(over_limit_problem(length, max_message_bytes));
      offset += length;
      continue;
    }

    auto body = read_message(source, length, message);
    if (!body) return std::unexpected(body.error());
    if (*body < length) {
      ++stats.bad_lines;
      builder.problem("length " + std::to_string(length) + " runs past the end of the file (" +
                      std::to_string(*body) + " bytes left); rest of file ignored");
      return {};
    }
    offset += length;

    if (!add_message(message, arena, builder)) {
      ++stats.bad_lines;
      builder.problem(kNotTracesData);
    }
  }
}

}  // namespace spanprof::spans
