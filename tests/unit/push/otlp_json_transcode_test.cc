#include "push/otlp_json_transcode.h"

#include <gtest/gtest.h>

#include <cmath>

namespace spanprof::push {
namespace {

constexpr const char* kLine = R"({"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"shop"}}],"droppedAttributesCount":1},
  "schemaUrl":"https://opentelemetry.io/schemas/1.21.0",
  "scopeSpans":[{"scope":{"name":"lib","version":"2.0","attributes":[{"key":"k","value":{"boolValue":true}}]},
   "spans":[{"traceId":"F387F3629A48FD6F409CB43D7A354E03","spanId":"52e647c762d7e5ff",
     "parentSpanId":"","traceState":"a=b","flags":257,"name":"GET /x","kind":"SPAN_KIND_SERVER",
     "startTimeUnixNano":"1795646277424861653","endTimeUnixNano":1795646277439528928,
     "attributes":[
       {"key":"i","value":{"intValue":"-42"}},
       {"key":"n","value":{"intValue":7}},
       {"key":"d","value":{"doubleValue":1.5}},
       {"key":"inf","value":{"doubleValue":"-Infinity"}},
       {"key":"b","value":{"bytesValue":"aGVsbG8="}},
       {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"},{"arrayValue":{}}]}}},
       {"key":"kv","value":{"kvlistValue":{"values":[{"key":"inner","value":{"intValue":"1"}}]}}}],
     "droppedAttributesCount":2,
     "events":[{"timeUnixNano":"1795646277430000000","name":"exception",
       "attributes":[{"key":"exception.message","value":{"stringValue":"boom"}}],"droppedAttributesCount":3}],
     "droppedEventsCount":4,
     "links":[{"traceId":"d8997c61d0e778863275ccb4486a4c34","spanId":"e996a7f2c070bb6f",
       "traceState":"t=1","attributes":[{"key":"l","value":{"stringValue":"v"}}],"flags":1}],
     "dropped_links_count":5,
     "status":{"code":"STATUS_CODE_ERROR","message":"failed"},
     "someFutureField":{"nested":[1,2,3]}}]}]}]})";

TEST(OtlpJsonTranscodeTest, TranscodesTheWholeSchema) {
  otlp::TracesData data;
  auto ok = transcode_otlp_json(kLine, data);
  ASSERT_TRUE(ok) << ok.error().to_string();
  ASSERT_EQ(data.resource_spans_size(), 1);
  const auto& rs = data.resource_spans(0);
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "shop");
  EXPECT_EQ(rs.resource().dropped_attributes_count(), 1u);
  EXPECT_EQ(rs.schema_url(), "https://opentelemetry.io/schemas/1.21.0");
  const auto& ss = rs.scope_spans(0);
  EXPECT_EQ(ss.scope().name(), "lib");
  EXPECT_EQ(ss.scope().version(), "2.0");
  EXPECT_TRUE(ss.scope().attributes(0).value().bool_value());
  const auto& span = ss.spans(0);
  EXPECT_EQ(span.trace_id(), std::string("\xf3\x87\xf3\x62\x9a\x48\xfd\x6f\x40\x9c\xb4\x3d\x7a\x35\x4e\x03", 16));
  EXPECT_EQ(span.span_id(), std::string("\x52\xe6\x47\xc7\x62\xd7\xe5\xff", 8));
  EXPECT_TRUE(span.parent_span_id().empty());
  EXPECT_EQ(span.trace_state(), "a=b");
  EXPECT_EQ(span.flags(), 257u);
  EXPECT_EQ(span.name(), "GET /x");
  EXPECT_EQ(span.kind(), otlp::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.start_time_unix_nano(), 1795646277424861653ull);
  EXPECT_EQ(span.end_time_unix_nano(), 1795646277439528928ull);
  ASSERT_EQ(span.attributes_size(), 7);
  EXPECT_EQ(span.attributes(0).value().int_value(), -42);
  EXPECT_EQ(span.attributes(1).value().int_value(), 7);
  EXPECT_EQ(span.attributes(2).value().double_value(), 1.5);
  EXPECT_TRUE(std::isinf(span.attributes(3).value().double_value()));
  EXPECT_EQ(span.attributes(4).value().bytes_value(), "hello");
  const auto& arr = span.attributes(5).value().array_value();
  ASSERT_EQ(arr.values_size(), 2);
  EXPECT_EQ(arr.values(0).string_value(), "x");
  EXPECT_TRUE(arr.values(1).has_array_value());
  EXPECT_EQ(span.attributes(6).value().kvlist_value().values(0).key(), "inner");
  EXPECT_EQ(span.attributes(6).value().kvlist_value().values(0).value().int_value(), 1);
  EXPECT_EQ(span.dropped_attributes_count(), 2u);
  ASSERT_EQ(span.events_size(), 1);
  EXPECT_EQ(span.events(0).time_unix_nano(), 1795646277430000000ull);
  EXPECT_EQ(span.events(0).name(), "exception");
  EXPECT_EQ(span.events(0).attributes(0).value().string_value(), "boom");
  EXPECT_EQ(span.events(0).dropped_attributes_count(), 3u);
  EXPECT_EQ(span.dropped_events_count(), 4u);
  ASSERT_EQ(span.links_size(), 1);
  EXPECT_EQ(span.links(0).span_id(), std::string("\xe9\x96\xa7\xf2\xc0\x70\xbb\x6f", 8));
  EXPECT_EQ(span.links(0).trace_state(), "t=1");
  EXPECT_EQ(span.links(0).attributes(0).key(), "l");
  EXPECT_EQ(span.links(0).flags(), 1u);
  EXPECT_EQ(span.dropped_links_count(), 5u);
  EXPECT_EQ(span.status().code(), otlp::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(span.status().message(), "failed");
}

TEST(OtlpJsonTranscodeTest, ReportsBadValues) {
  otlp::TracesData data;
  const char* bad[] = {
      "not json",
      "[1]",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"xyz"}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"12a"}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_NOPE"}]}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"bytesValue":"!!"}}]}]}]}]})",
      R"({"resourceSpans":{"not":"an array"}})",
  };
  for (const char* line : bad) {
    data.Clear();
    auto ok = transcode_otlp_json(line, data);
    EXPECT_FALSE(ok) << line;
    if (!ok) {
      EXPECT_FALSE(ok.error().message.empty());
    }
  }
}

TEST(OtlpJsonTranscodeTest, DeepNestingIsRefused) {
  std::string value = R"({"stringValue":"x"})";
  for (int i = 0; i < 100; ++i) value = R"({"arrayValue":{"values":[)" + value + "]}}";
  std::string line = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":)" +
                     value + "}]}]}]}]}";
  otlp::TracesData data;
  auto ok = transcode_otlp_json(line, data);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("nest"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::push
