#include "spans/otlp_proto_reader.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/stubs/logging.h>

#include <array>
#include <cstring>
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

}  // namespace

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
      builder.problem("message of " + std::to_string(length) + " bytes is over the limit of " +
                      std::to_string(max_message_bytes) + ", skipped");
      offset += length;
      continue;
    }

    message.resize(length);
    auto body = read_fully(source, std::span<char>(message.data(), length));
    if (!body) return std::unexpected(body.error());
    if (*body < length) {
      ++stats.bad_lines;
      builder.problem("length " + std::to_string(length) + " runs past the end of the file (" +
                      std::to_string(*body) + " bytes left); rest of file ignored");
      return {};
    }
    offset += length;

    arena.Reset();
    auto* traces = google::protobuf::Arena::CreateMessage<otlp::TracesData>(&arena);
    if (!traces->ParseFromArray(message.data(), static_cast<int>(length))) {
      ++stats.bad_lines;
      builder.problem("not a valid TracesData protobuf message");
      continue;
    }
    builder.begin_record();
    add_traces_data(*traces, builder);
  }
}

}  // namespace spanprof::spans
