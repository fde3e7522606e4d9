#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string>

#include "otlp_trace.pb.h"
#include "span_test_util.h"
#include "spans/otlp_proto_reader.h"
#include "spans/span_builder.h"
#include "spans/span_reader.h"

namespace spanprof::spans {
namespace {

using testing::TempFile;

std::string bytes_of(std::initializer_list<uint8_t> values) {
  return std::string(values.begin(), values.end());
}

void set_int(otlp::KeyValue* attribute, std::string_view key, int64_t value) {
  attribute->set_key(std::string(key));
  attribute->mutable_value()->set_int_value(value);
}

void set_string(otlp::KeyValue* attribute, std::string_view key, std::string_view value) {
  attribute->set_key(std::string(key));
  attribute->mutable_value()->set_string_value(std::string(value));
}

otlp::TracesData sample_traces() {
  otlp::TracesData traces;
  auto* resource_spans = traces.add_resource_spans();
  set_string(resource_spans->mutable_resource()->add_attributes(), "service.name", "collector");
  set_string(resource_spans->mutable_resource()->add_attributes(), "service.namespace", "infra");
  set_int(resource_spans->mutable_resource()->add_attributes(), "process.pid", 31);
  auto* scope = resource_spans->add_scope_spans();
  scope->mutable_scope()->set_name("lib");

  auto* root = scope->add_spans();
  root->set_trace_id(bytes_of({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
  root->set_span_id(bytes_of({0, 0, 0, 0, 0, 0, 0, 0xa1}));
  root->set_parent_span_id(bytes_of({0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1}));
  root->set_flags(0x301);
  root->set_name("handle");
  root->set_kind(otlp::Span::SPAN_KIND_SERVER);
  root->set_start_time_unix_nano(1700000000000000000);
  root->set_end_time_unix_nano(1700000000002000000);
  set_int(root->add_attributes(), "thread.os_id", 31);
  set_int(root->add_attributes(), "thread.id", 1);

  auto* child = scope->add_spans();
  *child = *root;
  child->set_span_id(bytes_of({0, 0, 0, 0, 0, 0, 0, 0xa2}));
  child->set_parent_span_id(root->span_id());
  child->set_flags(0x101);
  child->set_name("query");
  child->clear_attributes();
  set_string(child->add_attributes(), "thread.native_id", "32");
  return traces;
}

std::string framed(const std::string& message) {
  auto size = static_cast<uint32_t>(message.size());
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(size >> shift);
  return out + message;
}

std::string framed(const otlp::TracesData& traces) { return framed(traces.SerializeAsString()); }

struct ReadResult {
  SpanSet set;
  SpanReadStats stats;
};

ReadResult read_bytes(const std::string& bytes, bool gzip = false,
                      const SpanReaderOptions& options = {}) {
  TempFile file(gzip ? ".pb.gz" : ".pb");
  if (gzip) {
    file.write_gzip(bytes);
  } else {
    file.write(bytes);
  }
  ReadResult result;
  auto read = read_span_file(file.path(), options, result.set, result.stats);
  EXPECT_TRUE(read.has_value()) << read.error().to_string();
  return result;
}

void expect_sample_spans(const ReadResult& result, size_t copies) {
  ASSERT_EQ(result.set.spans.size(), 2 * copies);
  const Span& root = result.set.spans[0];
  EXPECT_EQ(trace_id_hex(root.trace_id), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_EQ(root.span_id, 0xa1u);
  EXPECT_EQ(root.parent_span_id, 0xdeadbeef00000001u);
  EXPECT_TRUE(root.parent_is_remote);
  EXPECT_EQ(root.start_unix_ns, 1700000000000000000);
  EXPECT_EQ(root.end_unix_ns, 1700000000002000000);
  EXPECT_EQ(root.os_tid, 31u);
  EXPECT_EQ(root.runtime_thread_id, 1);
  EXPECT_EQ(result.set.names.at(root.name_index), "handle");
  const Span& child = result.set.spans[1];
  EXPECT_EQ(child.parent_span_id, 0xa1u);
  EXPECT_FALSE(child.parent_is_remote);
  EXPECT_EQ(child.os_tid, 32u);
  ASSERT_EQ(result.set.resources.size(), 1u);
  EXPECT_EQ(result.set.resources[0].service_name, "collector");
  EXPECT_EQ(result.set.resources[0].service_namespace, "infra");
  EXPECT_EQ(result.set.resources[0].pid, 31u);
  EXPECT_EQ(result.stats.lines, copies);
  EXPECT_EQ(result.stats.spans, 2 * copies);
  EXPECT_EQ(result.stats.bad_lines, 0u);
  EXPECT_TRUE(result.stats.problems.empty());
}

TEST(OtlpProto, LengthPrefixedMessages) {
  auto traces = sample_traces();
  expect_sample_spans(read_bytes(framed(traces) + framed(traces)), 2);
}

TEST(OtlpProto, Gzip) {
  auto traces = sample_traces();
  expect_sample_spans(read_bytes(framed(traces) + framed(traces) + framed(traces), true), 3);
}

TEST(OtlpProto, EmptyMessageHasNoSpans) {
  auto result = read_bytes(framed(std::string()));
  EXPECT_EQ(result.stats.lines, 1u);
  EXPECT_EQ(result.set.spans.size(), 0u);
  EXPECT_EQ(result.stats.bad_lines, 0u);
}

TEST(OtlpProto, BadIdsAndTimes) {
  otlp::TracesData traces;
  auto* scope = traces.add_resource_spans()->add_scope_spans();
  auto* good = scope->add_spans();
  good->set_trace_id(std::string(16, '\x01'));
  good->set_span_id(std::string(8, '\x02'));
  good->set_start_time_unix_nano(200);
  good->set_end_time_unix_nano(100);
  *scope->add_spans() = *good;
  scope->mutable_spans(1)->set_trace_id(std::string(15, '\x01'));
  *scope->add_spans() = *good;
  scope->mutable_spans(2)->set_span_id(std::string());
  *scope->add_spans() = *good;
  scope->mutable_spans(3)->set_parent_span_id(std::string(4, '\x01'));
  *scope->add_spans() = *good;
  scope->mutable_spans(4)->set_start_time_unix_nano(0);
  *scope->add_spans() = *good;
  scope->mutable_spans(5)->set_parent_span_id(std::string(8, '\0'));
  auto result = read_bytes(framed(traces));
  ASSERT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.stats.bad_spans, 4u);
  EXPECT_EQ(result.stats.spans_end_before_start, 2u);
  EXPECT_EQ(result.set.spans[0].end_unix_ns, 200);
  EXPECT_EQ(result.set.spans[1].parent_span_id, 0u);
  EXPECT_EQ(result.stats.spans_without_os_tid, 2u);
  ASSERT_FALSE(result.stats.problems.empty());
  EXPECT_NE(result.stats.problems[0].find(".pb: message at byte 0: span '' skipped: trace id"),
            std::string::npos)
      << result.stats.problems[0];
}

TEST(OtlpProto, TidAttributeOverride) {
  auto traces = sample_traces();
  auto* span = traces.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  set_int(span->add_attributes(), "app.tid", 99);
  SpanReaderOptions options;
  options.tid_attribute = "app.tid";
  auto result = read_bytes(framed(traces), false, options);
  ASSERT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.set.spans[0].os_tid, 99u);
  EXPECT_FALSE(result.set.spans[1].os_tid);
}

TEST(OtlpProto, GarbageMessageIsSkipped) {
  auto traces = sample_traces();
  std::string garbage = "\xff\xff\xff\xff\xff";
  auto result = read_bytes(framed(traces) + framed(garbage) + framed(traces));
  EXPECT_EQ(result.set.spans.size(), 4u);
  EXPECT_EQ(result.stats.lines, 3u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  ASSERT_EQ(result.stats.problems.size(), 1u);
  size_t second_offset = framed(traces).size();
  EXPECT_NE(result.stats.problems[0].find("message at byte " + std::to_string(second_offset) +
                                          ": not a valid TracesData"),
            std::string::npos)
      << result.stats.problems[0];
}

TEST(OtlpProto, TruncatedMessageEndsTheFile) {
  auto traces = sample_traces();
  std::string last = framed(traces);
  auto result = read_bytes(framed(traces) + last.substr(0, last.size() - 10));
  EXPECT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  ASSERT_EQ(result.stats.problems.size(), 1u);
  EXPECT_NE(result.stats.problems[0].find("runs past the end of the file"), std::string::npos)
      << result.stats.problems[0];
}

TEST(OtlpProto, HugeLengthPastTheEnd) {
  auto result = read_bytes(framed(sample_traces()) + std::string("\x7f\xff\xff\xff", 4) + "abc");
  EXPECT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  EXPECT_NE(result.stats.problems.at(0).find("runs past the end"), std::string::npos);
}

// Hands out bytes from memory and records the largest read asked of it.
class RecordingSource final : public ByteSource {
 public:
  explicit RecordingSource(std::string bytes) : bytes_(std::move(bytes)) {}

  Result<size_t> read(std::span<char> out) override {
    largest_read = std::max(largest_read, out.size());
    size_t n = std::min(out.size(), bytes_.size() - position_);
    std::memcpy(out.data(), bytes_.data() + position_, n);
    position_ += n;
    return n;
  }

  size_t largest_read = 0;

 private:
  std::string bytes_;
  size_t position_ = 0;
};

// fuzz: length_prefix_allocates_256mib. A length prefix is a claim: the buffer
// grows with the bytes that arrive, not to the claimed size.
TEST(OtlpProto, LengthPrefixIsNotTrustedForTheBuffer) {
  std::string file = framed(sample_traces()) + std::string("\x0f\xff\xff\xf0\x0a", 5);
  RecordingSource source(file);
  SpanSet set;
  SpanReadStats stats;
  SpanReaderOptions options;
  SpanBuilder builder("spans.pb", options, set, stats);
  ASSERT_TRUE(read_otlp_proto_messages(source, builder, stats));
  EXPECT_LE(source.largest_read, size_t{1} << 20);
  EXPECT_EQ(set.spans.size(), 2u);
  EXPECT_EQ(stats.lines, 2u);
  EXPECT_EQ(stats.bad_lines, 1u);
  ASSERT_EQ(stats.problems.size(), 1u);
  EXPECT_EQ(stats.problems[0], "spans.pb: message at byte " +
                                   std::to_string(framed(sample_traces()).size()) +
                                   ": length 268435440 runs past the end of the file (1 bytes "
                                   "left); rest of file ignored");
}

TEST(OtlpProto, InMemoryMessageDecodesAsInAFile) {
  for (const std::string& message :
       {sample_traces().SerializeAsString(), std::string(), std::string("\xff\xff\xff\xff\xff"),
        std::string("\x0a\x05")}) {
    ReadResult file = read_bytes(framed(message));
    SpanSet set;
    SpanReadStats stats;
    auto decoded = decode_otlp_proto_message(message, {}, set, stats);
    EXPECT_EQ(decoded.has_value(), file.stats.bad_lines == 0);
    EXPECT_EQ(stats.lines, file.stats.lines);
    EXPECT_EQ(stats.bad_lines, file.stats.bad_lines);
    EXPECT_EQ(stats.spans, file.stats.spans);
    EXPECT_EQ(set.spans.size(), file.set.spans.size());
  }
}

TEST(OtlpProto, TruncatedLengthPrefix) {
  auto result = read_bytes(framed(sample_traces()) + std::string("\0\0", 2));
  EXPECT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  EXPECT_NE(result.stats.problems.at(0).find("length prefix"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::spans
