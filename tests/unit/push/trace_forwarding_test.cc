#include "push/trace_forwarding.h"

#include <gtest/gtest.h>

#include "otlp_trace.pb.h"
#include "profile/gzip.h"
#include "shape_test_util.h"

namespace spanprof::push {
namespace {

using testing::ScratchDir;
using testing::write_file;

constexpr int64_t kShift = 3'600'000'000'000;

otlp::Span make_span(uint8_t id, uint64_t start) {
  otlp::Span span;
  span.set_trace_id(std::string(16, '\x11'));
  span.set_span_id(std::string(7, '\0') + static_cast<char>(id));
  span.set_name("span " + std::to_string(id));
  span.set_kind(otlp::Span::SPAN_KIND_SERVER);
  span.set_start_time_unix_nano(start);
  span.set_end_time_unix_nano(start + 1000);
  auto* attribute = span.add_attributes();
  attribute->set_key("http.route");
  attribute->mutable_value()->set_string_value("/x");
  auto* event = span.add_events();
  event->set_name("retry");
  event->set_time_unix_nano(start + 10);
  event->add_attributes()->set_key("attempt");
  auto* link = span.add_links();
  link->set_trace_id(std::string(16, '\x22'));
  link->set_span_id(std::string(8, '\x33'));
  link->add_attributes()->set_key("why");
  span.mutable_status()->set_code(otlp::Status::STATUS_CODE_ERROR);
  span.mutable_status()->set_message("failed");
  return span;
}

otlp::TracesData make_data(int spans, uint64_t start) {
  otlp::TracesData data;
  auto* rs = data.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("shop");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("lib");
  for (int i = 0; i < spans; ++i) *ss->add_spans() = make_span(static_cast<uint8_t>(i + 1), start + i);
  return data;
}

std::string length_prefixed(const otlp::TracesData& data) {
  std::string body = data.SerializeAsString();
  uint32_t n = static_cast<uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                  static_cast<char>(n)};
  return out + body;
}

std::vector<otlp::Span> all_spans(const ForwardResult& result) {
  std::vector<otlp::Span> out;
  for (const auto& request : result.requests) {
    otlp::ExportTraceServiceRequest decoded;
    EXPECT_TRUE(decoded.ParseFromString(request.body));
    uint64_t count = 0;
    for (const auto& rs : decoded.resource_spans()) {
      EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "shop");
      for (const auto& ss : rs.scope_spans()) {
        EXPECT_EQ(ss.scope().name(), "lib");
        for (const auto& span : ss.spans()) out.push_back(span), ++count;
      }
    }
    EXPECT_EQ(count, request.spans);
  }
  return out;
}

std::string profile_id(const otlp::Span& span) {
  for (const auto& attribute : span.attributes()) {
    if (attribute.key() == kProfileIdAttribute) return attribute.value().string_value();
  }
  return "";
}

TEST(TraceForwardingTest, ProtoSpansRoundTripShiftedAndMarked) {
  ScratchDir dir;
  otlp::TracesData data = make_data(3, 1'795'646'277'000'000'000);
  auto gz = profile::gzip_compress(length_prefixed(data));
  ASSERT_TRUE(gz);
  write_file(dir.path() / "spans.pb.gz", *gz);
  std::set<std::string> marked{"0000000000000002"};
  ForwardOptions options;
  options.shift_ns = kShift;
  options.marked = &marked;
  auto result = forward_spans({(dir.path() / "spans.pb.gz").string()}, options);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->spans, 3u);
  EXPECT_EQ(result->marked, 1u);
  auto spans = all_spans(*result);
  ASSERT_EQ(spans.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    otlp::Span expected = data.resource_spans(0).scope_spans(0).spans(i);
    expected.set_start_time_unix_nano(expected.start_time_unix_nano() + kShift);
    expected.set_end_time_unix_nano(expected.end_time_unix_nano() + kShift);
    expected.mutable_events(0)->set_time_unix_nano(expected.events(0).time_unix_nano() + kShift);
    if (i == 1) {
      auto* attribute = expected.add_attributes();
      attribute->set_key(kProfileIdAttribute);
      attribute->mutable_value()->set_string_value("0000000000000002");
    }
    EXPECT_EQ(spans[i].SerializeAsString(), expected.SerializeAsString()) << i;
  }
  EXPECT_EQ(profile_id(spans[1]), "0000000000000002");
  EXPECT_EQ(profile_id(spans[0]), "");
}

TEST(TraceForwardingTest, JsonSpansKeepEventsLinksAndAttributes) {
  ScratchDir dir;
  std::string line =
      R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},)"
      R"("scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"11111111111111111111111111111111",)"
      R"("spanId":"00000000000000a1","name":"GET /x","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000",)"
      R"("attributes":[{"key":"http.route","value":{"stringValue":"/x"}}],)"
      R"("events":[{"timeUnixNano":"1500","name":"retry"}],)"
      R"("links":[{"traceId":"22222222222222222222222222222222","spanId":"3333333333333333"}],)"
      R"("status":{"code":2,"message":"failed"}}]}]}]})";
  write_file(dir.path() / "spans.jsonl", line + "\nnot json\n\n" + line + "\n");
  std::set<std::string> marked{"00000000000000a1"};
  ForwardOptions options;
  options.shift_ns = 5;
  options.marked = &marked;
  auto result = forward_spans({(dir.path() / "spans.jsonl").string()}, options);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->spans, 2u);
  EXPECT_EQ(result->marked, 2u);
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find("spans.jsonl:2"), std::string::npos);
  auto spans = all_spans(*result);
  ASSERT_EQ(spans.size(), 2u);
  const otlp::Span& span = spans[0];
  EXPECT_EQ(span.start_time_unix_nano(), 1005u);
  EXPECT_EQ(span.end_time_unix_nano(), 2005u);
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).time_unix_nano(), 1505u);
  EXPECT_EQ(span.events(0).name(), "retry");
  ASSERT_EQ(span.links_size(), 1);
  EXPECT_EQ(span.links(0).span_id(), std::string(8, '\x33'));
  EXPECT_EQ(span.status().code(), otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(span.attributes(0).key(), "http.route");
  EXPECT_EQ(profile_id(span), "00000000000000a1");
}

TEST(TraceForwardingTest, CutsRequestsUnderTheByteLimitLosingNoSpan) {
  ScratchDir dir;
  otlp::TracesData data = make_data(200, 1'000'000);
  write_file(dir.path() / "spans.pb", length_prefixed(data) + length_prefixed(make_data(50, 5)));
  ForwardOptions options;
  options.max_request_bytes = 2000;
  auto result = forward_spans({(dir.path() / "spans.pb").string()}, options);
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_GT(result->requests.size(), 5u);
  for (const auto& request : result->requests) EXPECT_LE(request.body.size(), 2000u);
  auto spans = all_spans(*result);
  ASSERT_EQ(spans.size(), 250u);
  EXPECT_EQ(result->spans, 250u);
  EXPECT_EQ(spans[0].name(), "span 1");
  EXPECT_EQ(spans[199].name(), "span 200");
  EXPECT_EQ(result->marked, 0u);
}

TEST(TraceForwardingTest, MissingFileIsAnError) {
  auto result = forward_spans({"/nonexistent/spans.jsonl"}, {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().to_string().find("/nonexistent/spans.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::push
