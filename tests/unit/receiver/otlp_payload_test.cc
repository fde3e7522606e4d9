#include "receiver/otlp_payload.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "receiver/content_decoding.h"
#include "receiver/trace_sink.h"
#include "receiver_test_util.h"
#include "spans/span_reader.h"

namespace spanprof::receiver {
namespace {

using testing::gzip;
using testing::make_json_request;
using testing::make_request;

TEST(PayloadFormat, FromContentType) {
  EXPECT_EQ(payload_format("application/x-protobuf"), PayloadFormat::kProtobuf);
  EXPECT_EQ(payload_format("application/json; charset=utf-8"), PayloadFormat::kJson);
  EXPECT_EQ(payload_format("Application/Json"), PayloadFormat::kJson);
  EXPECT_FALSE(payload_format("text/plain"));
  EXPECT_FALSE(payload_format("application/protobuf"));
  EXPECT_FALSE(payload_format(""));
}

TEST(CountProtobufSpans, CountsAndRejects) {
  auto spans = count_protobuf_spans(make_request(3).SerializeAsString());
  ASSERT_TRUE(spans);
  EXPECT_EQ(*spans, 3u);
  auto empty = count_protobuf_spans("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0u);
  EXPECT_FALSE(count_protobuf_spans("\xff\xff\xff garbage"));
  std::string truncated = make_request(2).SerializeAsString();
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(count_protobuf_spans(truncated));
}

TEST(CountJsonSpans, CountsAndRejects) {
  auto spans = count_json_spans(make_json_request(4));
  ASSERT_TRUE(spans) << spans.error().message;
  EXPECT_EQ(*spans, 4u);
  auto empty = count_json_spans("{}");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0u);
  auto nulls = count_json_spans(R"({"resourceSpans":[{"scopeSpans":null}]})");
  ASSERT_TRUE(nulls);
  EXPECT_EQ(*nulls, 0u);
  for (const char* bad : {"", "[]", "42", "{", "{\"a\":1} {}", "{\"resourceSpans\": 5}",
                          "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": {}}]}]}",
                          "{\"resourceSpans\": [7]}", "{\"a\": \"\xff\"}"}) {
    EXPECT_FALSE(count_json_spans(bad)) << bad;
  }
}

// An accepted body must read back from the span file it is appended to: the
// receiver answers 200 exactly when the span reader would count the record good.
TEST(CountSpans, AcceptsExactlyWhatReadsBack) {
  const std::string span =
      R"({"traceId":"0123456789abcdef0123456789abcdef","spanId":"00000000000000a2",)";
  const std::vector<std::pair<std::string, bool>> json_bodies = {
      {make_json_request(2), true},
      {R"({"resourceSpans":[{"scopeSpans":null}]})", true},
      {R"({"resourceSpans":null})", true},
      // An attribute read only under --tid-attribute must not decide the line.
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + span +
           R"("startTimeUnixNano":"1","endTimeUnixNano":"2",)" +
           R"("attributes":[{"key":"tid","value":5}]}]}]}]})",
       true},
      // Valid JSON, not OTLP: a time that is not an integer (fuzz: json_time_not_an_integer).
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[)" + span +
           R"("startTimeUnixNano":"1700000000000,00000","endTimeUnixNano":"1"}]}]}]})",
       false},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]})", false},
      {R"({"resourceSpans":[{"resource":[]}]})", false},
  };
  for (const auto& [body, accepted] : json_bodies) {
    EXPECT_EQ(count_json_spans(body).has_value(), accepted) << body;
    testing::TempDir dir;
    auto sink = TraceSink::open(dir.path());
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->append_json_line(json_line(body)));
    for (const auto& options : {spans::SpanReaderOptions{}, spans::SpanReaderOptions{"tid"}}) {
      spans::SpanSet set;
      spans::SpanReadStats stats;
      ASSERT_TRUE(spans::read_span_file(dir.file(kJsonFileName), options, set, stats));
      EXPECT_EQ(stats.bad_lines == 0, accepted) << body;
    }
  }

  auto request = make_request(2);
  request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_name(
      "\xff not UTF-8");
  for (const std::string& body : {make_request(2).SerializeAsString(), request.SerializeAsString(),
                                  std::string("\x0a\x05")}) {
    testing::TempDir dir;
    auto sink = TraceSink::open(dir.path());
    ASSERT_TRUE(sink);
    ASSERT_TRUE((*sink)->append_protobuf(body));
    spans::SpanSet set;
    spans::SpanReadStats stats;
    ASSERT_TRUE(spans::read_span_file(dir.file(kProtobufFileName), {}, set, stats));
    EXPECT_EQ(count_protobuf_spans(body).has_value(), stats.bad_lines == 0);
  }
}

TEST(JsonLine, OneLineTrimmed) {
  EXPECT_EQ(json_line(" \t\r\n{\"a\":\n1,\r\n\"b\":2}\n\n"), "{\"a\": 1,  \"b\":2}");
  EXPECT_EQ(json_line("  "), "");
}

TEST(StatusBody, ProtobufAndJson) {
  EXPECT_EQ(status_body(PayloadFormat::kJson, 3, "bad \"x\"\n"),
            "{\"code\":3,\"message\":\"bad \\\"x\\\"\\u000a\"}");
  std::string proto = status_body(PayloadFormat::kProtobuf, 3, "bad");
  EXPECT_EQ(proto, std::string("\x08\x03\x12\x03"
                               "bad"));
}

TEST(Gunzip, RoundTripAndMembers) {
  std::string text(100'000, 'a');
  auto plain = gunzip(gzip(text), 1 << 20);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(*plain, text);
  auto two = gunzip(gzip("ab") + gzip("cd"), 100);
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(*two, "abcd");
  auto exact = gunzip(gzip("12345"), 5);
  ASSERT_TRUE(exact);
  EXPECT_EQ(*exact, "12345");
}

TEST(Gunzip, BoundsTheOutput) {
  std::string bomb = gzip(std::string(10 << 20, '\0'));
  EXPECT_LT(bomb.size(), 20'000u);
  auto result = gunzip(bomb, 1 << 20);
  ASSERT_FALSE(result);
  EXPECT_TRUE(result.error().too_large);
  auto just_over = gunzip(gzip("123456"), 5);
  ASSERT_FALSE(just_over);
  EXPECT_TRUE(just_over.error().too_large);
}

TEST(Gunzip, RejectsDamage) {
  std::string good = gzip("hello world, hello world");
  for (std::string bad : {std::string("not gzip"), good.substr(0, good.size() - 4),
                          good.substr(0, 12), good + "junk", std::string()}) {
    auto result = gunzip(bad, 1000);
    ASSERT_FALSE(result);
    EXPECT_FALSE(result.error().too_large);
  }
  std::string flipped = good;
  flipped[flipped.size() - 6] ^= 0x55;  // CRC32
  EXPECT_FALSE(gunzip(flipped, 1000));
}

}  // namespace
}  // namespace spanprof::receiver
