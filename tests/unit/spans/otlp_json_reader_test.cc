#include <gtest/gtest.h>

#include <string>

#include "span_test_util.h"
#include "spans/otlp_json_reader.h"
#include "spans/span_reader.h"

namespace spanprof::spans {
namespace {

using testing::int_attr;
using testing::JsonSpan;
using testing::num_attr;
using testing::str_attr;
using testing::TempFile;
using testing::traces_line;

struct ReadResult {
  SpanSet set;
  SpanReadStats stats;
};

ReadResult read_text(std::string_view text, const SpanReaderOptions& options = {},
                     bool gzip = false) {
  TempFile file(gzip ? ".jsonl.gz" : ".jsonl");
  if (gzip) {
    file.write_gzip(text);
  } else {
    file.write(text);
  }
  ReadResult result;
  auto read = read_span_file(file.path(), options, result.set, result.stats);
  EXPECT_TRUE(read.has_value()) << read.error().to_string();
  return result;
}

std::string name_of(const ReadResult& result, size_t i) {
  return result.set.names.at(result.set.spans.at(i).name_index);
}

// @opentelemetry/otlp-transformer's JSON: intValue as a number, times from
// Date.now() (millisecond resolution), flags with the remote bits.
std::string node_sdk_line() {
  JsonSpan root;
  root.name = "GET /users";
  root.span_id = "1111111111111111";
  root.start = R"("1700000000123000000")";
  root.end = R"("1700000000456000000")";
  root.flags = "769";  // sampled | HAS_IS_REMOTE | IS_REMOTE
  root.parent_span_id = "aaaaaaaaaaaaaaaa";
  root.attributes = num_attr("thread.os_id", 4242) + "," + str_attr("http.method", "GET");
  JsonSpan child;
  child.name = "db.query";
  child.span_id = "2222222222222222";
  child.parent_span_id = "1111111111111111";
  child.start = R"("1700000000200000000")";
  child.end = R"("1700000000300000000")";
  child.flags = "257";
  child.attributes = num_attr("thread.os_id", 4242);
  return traces_line(str_attr("service.name", "users-api") + "," +
                         str_attr("service.namespace", "shop") + "," + num_attr("process.pid", 4242),
                     root.json() + "," + child.json());
}

// opentelemetry-cpp's OtlpFileExporter: int64 as decimal strings.
std::string cpp_sdk_line() {
  JsonSpan span;
  span.name = "render";
  span.trace_id = "FEDCBA9876543210FEDCBA9876543210";  // upper case is accepted
  span.span_id = "00000000000000B2";
  span.attributes = int_attr("thread.os_id", 777) + "," + int_attr("thread.id", 3);
  return traces_line(str_attr("service.name", "renderer") + "," + int_attr("process.pid", 777),
                     span.json());
}

void expect_node_spans(const ReadResult& result) {
  ASSERT_EQ(result.set.spans.size(), 2u);
  const Span& root = result.set.spans[0];
  EXPECT_EQ(name_of(result, 0), "GET /users");
  EXPECT_EQ(trace_id_hex(root.trace_id), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(root.span_id, 0x1111111111111111u);
  EXPECT_EQ(root.parent_span_id, 0xaaaaaaaaaaaaaaaau);
  EXPECT_TRUE(root.parent_is_remote);
  EXPECT_EQ(root.start_unix_ns, 1700000000123000000);
  EXPECT_EQ(root.end_unix_ns, 1700000000456000000);
  EXPECT_EQ(root.os_tid, 4242u);
  EXPECT_FALSE(root.runtime_thread_id);
  const Span& child = result.set.spans[1];
  EXPECT_EQ(child.parent_span_id, 0x1111111111111111u);
  EXPECT_FALSE(child.parent_is_remote);
  ASSERT_EQ(result.set.resources.size(), 1u);
  EXPECT_EQ(result.set.resources[0].service_name, "users-api");
  EXPECT_EQ(result.set.resources[0].service_namespace, "shop");
  EXPECT_EQ(result.set.resources[0].pid, 4242u);
  EXPECT_EQ(root.resource_index, 0u);
  EXPECT_EQ(result.stats.spans, 2u);
  EXPECT_EQ(result.stats.lines, 1u);
  EXPECT_EQ(result.stats.bad_lines, 0u);
  EXPECT_EQ(result.stats.files, 1u);
  EXPECT_TRUE(result.stats.problems.empty());
}

TEST(OtlpJson, NodeSdkForm) { expect_node_spans(read_text(node_sdk_line() + "\n")); }

TEST(OtlpJson, NodeSdkFormGzip) {
  expect_node_spans(read_text(node_sdk_line() + "\n", {}, /*gzip=*/true));
}

TEST(OtlpJson, CppSdkForm) {
  auto result = read_text(cpp_sdk_line() + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  const Span& span = result.set.spans[0];
  EXPECT_EQ(trace_id_hex(span.trace_id), "fedcba9876543210fedcba9876543210");
  EXPECT_EQ(span.span_id, 0xb2u);
  EXPECT_EQ(span.parent_span_id, 0u);
  EXPECT_FALSE(span.parent_is_remote);
  EXPECT_EQ(span.os_tid, 777u);
  EXPECT_EQ(span.runtime_thread_id, 3);
  EXPECT_EQ(result.set.resources.at(span.resource_index).service_name, "renderer");
  EXPECT_EQ(result.set.resources.at(span.resource_index).service_namespace, "");
  EXPECT_EQ(result.set.resources.at(span.resource_index).pid, 777u);
}

TEST(OtlpJson, SeveralLinesGzipShareInternedNamesAndResources) {
  std::string text = cpp_sdk_line() + "\n" + node_sdk_line() + "\n" + cpp_sdk_line() + "\n";
  auto result = read_text(text, {}, /*gzip=*/true);
  ASSERT_EQ(result.set.spans.size(), 4u);
  EXPECT_EQ(result.set.names.size(), 3u);
  EXPECT_EQ(result.set.resources.size(), 2u);
  EXPECT_EQ(result.set.spans[0].resource_index, result.set.spans[3].resource_index);
  EXPECT_EQ(result.set.spans[0].name_index, result.set.spans[3].name_index);
}

TEST(OtlpJson, ConcatenatedGzipMembers) {
  // `cat a.gz b.gz` is a valid gzip file holding both.
  TempFile first(".gz");
  TempFile second(".gz");
  first.write_gzip(cpp_sdk_line() + "\n");
  second.write_gzip(node_sdk_line() + "\n");
  std::ifstream a(first.path(), std::ios::binary);
  std::ifstream b(second.path(), std::ios::binary);
  std::string both((std::istreambuf_iterator<char>(a)), {});
  both.append((std::istreambuf_iterator<char>(b)), {});
  TempFile combined(".gz");
  combined.write(both);
  SpanSet set;
  SpanReadStats stats;
  ASSERT_TRUE(read_span_file(combined.path(), {}, set, stats));
  EXPECT_EQ(set.spans.size(), 3u);
  EXPECT_TRUE(stats.problems.empty());
}

TEST(OtlpJson, PaddingAfterGzipDataIsIgnored) {
  TempFile file(".gz");
  file.write_gzip(cpp_sdk_line() + "\n");
  std::ifstream in(file.path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  file.write(bytes + std::string(512, '\0'));
  SpanSet set;
  SpanReadStats stats;
  ASSERT_TRUE(read_span_file(file.path(), {}, set, stats));
  EXPECT_EQ(set.spans.size(), 1u);
  EXPECT_EQ(stats.files_cut_short, 0u);
  EXPECT_TRUE(stats.problems.empty());
}

TEST(OtlpJson, TruncatedGzipKeepsWhatWasRead) {
  TempFile file(".gz");
  std::string text;
  for (int i = 0; i < 2000; ++i) text += cpp_sdk_line() + "\n";
  file.write_gzip(text);
  std::ifstream in(file.path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  file.write(bytes.substr(0, bytes.size() * 3 / 4));
  SpanSet set;
  SpanReadStats stats;
  ASSERT_TRUE(read_span_file(file.path(), {}, set, stats));
  EXPECT_GT(set.spans.size(), 100u);
  EXPECT_LT(set.spans.size(), 2000u);
  EXPECT_EQ(stats.files_cut_short, 1u);
  ASSERT_FALSE(stats.problems.empty());
  EXPECT_NE(stats.problems.back().find("truncated"), std::string::npos) << stats.problems.back();
}

TEST(OtlpJson, CorruptGzipIsCountedNotFatal) {
  TempFile file(".gz");
  file.write(std::string("\x1f\x8b\x08\x00garbage", 12));
  SpanSet set;
  SpanReadStats stats;
  ASSERT_TRUE(read_span_file(file.path(), {}, set, stats));
  EXPECT_EQ(set.spans.size(), 0u);
  EXPECT_EQ(stats.files_cut_short, 1u);
  ASSERT_EQ(stats.problems.size(), 1u);
  EXPECT_NE(stats.problems[0].find("gzip"), std::string::npos) << stats.problems[0];
}

TEST(OtlpJson, BadLineInTheMiddleIsCountedWithItsLineNumber) {
  std::string text =
      cpp_sdk_line() + "\n" + R"({"resourceSpans":[{"scopeSpans":[)" + "\n" + cpp_sdk_line() + "\n";
  auto result = read_text(text);
  EXPECT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.stats.lines, 3u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  ASSERT_EQ(result.stats.problems.size(), 1u);
  EXPECT_NE(result.stats.problems[0].find(".jsonl:2: not valid JSON"), std::string::npos)
      << result.stats.problems[0];
}

TEST(OtlpJson, BadLineKeepsNoneOfItsSpans) {
  // The first span is fine, then the line breaks: the whole line is dropped.
  JsonSpan span;
  std::string line = traces_line("", span.json() + R"(,{"name":5})");
  auto result = read_text(line + "\n" + cpp_sdk_line() + "\n");
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.spans, 1u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
  EXPECT_NE(result.stats.problems.at(0).find(":1: not a TracesData object"), std::string::npos)
      << result.stats.problems[0];
}

TEST(OtlpJson, BlankLinesAndCrLfAreSkipped) {
  auto result = read_text("\n  \r\n" + cpp_sdk_line() + "\r\n\n");
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.lines, 1u);
  EXPECT_EQ(result.stats.bad_lines, 0u);
}

TEST(OtlpJson, WrongIdLengthsMakeBadSpans) {
  JsonSpan good;
  JsonSpan short_trace;
  short_trace.trace_id = "0123456789abcdef0123456789abcd";
  JsonSpan long_span;
  long_span.span_id = "00000000000000a1ff";
  JsonSpan not_hex;
  not_hex.span_id = "00000000000000zz";
  JsonSpan bad_parent;
  bad_parent.parent_span_id = "abc";
  JsonSpan zero_trace;
  zero_trace.trace_id = std::string(32, '0');
  JsonSpan base64_id;  // OTLP/JSON ids are hex, not base64 as protobuf's JSON mapping
  base64_id.trace_id = "ASNFZ4mrze8BI0VniavN7w==";
  std::string spans = good.json() + "," + short_trace.json() + "," + long_span.json() + "," +
                      not_hex.json() + "," + bad_parent.json() + "," + zero_trace.json() + "," +
                      base64_id.json();
  auto result = read_text(traces_line("", spans) + "\n");
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.spans, 1u);
  EXPECT_EQ(result.stats.bad_spans, 6u);
  EXPECT_EQ(result.stats.bad_lines, 0u);
  ASSERT_EQ(result.stats.problems.size(), 6u);
  EXPECT_NE(result.stats.problems[0].find(":1: span 'work' skipped: trace id is not 32 hex"),
            std::string::npos)
      << result.stats.problems[0];
  EXPECT_NE(result.stats.problems[3].find("parent span id"), std::string::npos);
}

TEST(OtlpJson, MissingIdsOrTimesMakeBadSpans) {
  std::string no_ids = R"({"name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"})";
  JsonSpan no_start;
  no_start.start = "null";
  JsonSpan zero_end;
  zero_end.end = R"("0")";
  auto result =
      read_text(traces_line("", no_ids + "," + no_start.json() + "," + zero_end.json()) + "\n");
  EXPECT_EQ(result.set.spans.size(), 0u);
  EXPECT_EQ(result.stats.bad_spans, 3u);
}

TEST(OtlpJson, AllZeroParentMeansNoParent) {
  JsonSpan span;
  span.parent_span_id = "0000000000000000";
  auto result = read_text(traces_line("", span.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.set.spans[0].parent_span_id, 0u);
}

TEST(OtlpJson, EndBeforeStartIsClampedAndCounted) {
  JsonSpan span;
  span.start = R"("1700000000005000000")";
  span.end = R"("1700000000001000000")";
  auto result = read_text(traces_line("", span.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.set.spans[0].end_unix_ns, 1700000000005000000);
  EXPECT_EQ(result.stats.spans_end_before_start, 1u);
}

TEST(OtlpJson, TimesAsNumbersAndDoubles) {
  JsonSpan span;
  span.start = "1700000000000000000";
  span.end = "1.7000000001e+18";
  auto result = read_text(traces_line("", span.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.set.spans[0].end_unix_ns, 1700000000100000000);
}

TEST(OtlpJson, TimesAsLongBitsObjects) {
  // protobufjs Long halves are signed int32: the low half here has bit 31 set.
  JsonSpan span;
  span.start = R"({"low":908722176,"high":395812094})";
  span.end = R"({"high":395812094,"low":-2086245120,"unsigned":false})";
  auto result = read_text(traces_line("", span.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.set.spans[0].start_unix_ns, 1700000000000000000);
  EXPECT_EQ(result.set.spans[0].end_unix_ns, 1700000001300000000);
}

TEST(OtlpJson, MissingTidIsCounted) {
  JsonSpan span;
  JsonSpan bad_tid;
  bad_tid.attributes = num_attr("thread.os_id", 0);
  JsonSpan text_tid;
  text_tid.attributes = str_attr("thread.os_id", "not a number");
  auto result =
      read_text(traces_line("", span.json() + "," + bad_tid.json() + "," + text_tid.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 3u);
  for (const Span& s : result.set.spans) EXPECT_FALSE(s.os_tid);
  EXPECT_EQ(result.stats.spans_without_os_tid, 3u);
  ASSERT_EQ(result.set.resources.size(), 1u);
  EXPECT_EQ(result.set.resources[0].service_name, "");
  EXPECT_FALSE(result.set.resources[0].pid);
}

TEST(OtlpJson, TidFromStringValueAndNativeIdFallback) {
  JsonSpan as_string;
  as_string.attributes = str_attr("thread.os_id", "9001");
  JsonSpan native;
  native.attributes = num_attr("thread.native_id", 9002);
  JsonSpan both;
  both.attributes = num_attr("thread.native_id", 1) + "," + num_attr("thread.os_id", 9003);
  JsonSpan as_double;
  as_double.attributes = R"({"key":"thread.os_id","value":{"doubleValue":12.0}})";
  auto result = read_text(traces_line("", as_string.json() + "," + native.json() + "," +
                                              both.json() + "," + as_double.json()) +
                          "\n");
  ASSERT_EQ(result.set.spans.size(), 4u);
  EXPECT_EQ(result.set.spans[0].os_tid, 9001u);
  EXPECT_EQ(result.set.spans[1].os_tid, 9002u);
  EXPECT_EQ(result.set.spans[2].os_tid, 9003u);
  EXPECT_FALSE(result.set.spans[3].os_tid);
  EXPECT_EQ(result.stats.spans_without_os_tid, 1u);
}

TEST(OtlpJson, TidAttributeOverride) {
  JsonSpan span;
  span.attributes = num_attr("thread.os_id", 5) + "," + num_attr("my.tid", 6) + "," +
                    num_attr("thread.native_id", 7);
  JsonSpan without;
  without.attributes = num_attr("thread.os_id", 5);
  SpanReaderOptions options;
  options.tid_attribute = "my.tid";
  auto result = read_text(traces_line("", span.json() + "," + without.json()) + "\n", options);
  ASSERT_EQ(result.set.spans.size(), 2u);
  EXPECT_EQ(result.set.spans[0].os_tid, 6u);
  // With an override, the conventional keys are not consulted.
  EXPECT_FALSE(result.set.spans[1].os_tid);
  EXPECT_EQ(result.stats.spans_without_os_tid, 1u);
}

TEST(OtlpJson, ThreadIdIsKeptAsRuntimeThreadId) {
  JsonSpan span;
  span.attributes = num_attr("thread.id", 1) + "," + str_attr("thread.name", "main");
  auto result = read_text(traces_line("", span.json()) + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.set.spans[0].runtime_thread_id, 1);
  EXPECT_FALSE(result.set.spans[0].os_tid);
  EXPECT_EQ(result.stats.spans_without_os_tid, 1u);
}

TEST(OtlpJson, SnakeCaseKeysAndAnyFieldOrder) {
  // Resource after the spans, value before key: order is not fixed in JSON.
  std::string line =
      R"({"resource_spans":[{"scope_spans":[{"spans":[{"name":"s","start_time_unix_nano":"10",)"
      R"("end_time_unix_nano":20,"span_id":"00000000000000c3","trace_id":")" +
      std::string(32, 'f') +
      R"(","attributes":[{"value":{"int_value":"55"},"key":"thread.os_id"}]}]}],)"
      R"("resource":{"attributes":[{"value":{"string_value":"svc"},"key":"service.name"}]}}]})";
  auto result = read_text(line + "\n");
  ASSERT_EQ(result.set.spans.size(), 1u);
  const Span& span = result.set.spans[0];
  EXPECT_EQ(span.span_id, 0xc3u);
  EXPECT_EQ(span.start_unix_ns, 10);
  EXPECT_EQ(span.end_unix_ns, 20);
  EXPECT_EQ(span.os_tid, 55u);
  EXPECT_EQ(result.set.resources.at(span.resource_index).service_name, "svc");
}

TEST(OtlpJson, UnknownFieldsAreIgnored) {
  JsonSpan span;
  span.attributes = R"({"key":"nested","value":{"kvlistValue":{"values":[{"key":"a",)"
                    R"("value":{"arrayValue":{"values":[{"intValue":1}]}}}]}}})";
  std::string line = R"({"future":{"x":[1,2,{"y":null}]},"resourceSpans":[{"schemaUrl":"u",)"
                     R"("resource":{"droppedAttributesCount":0,"attributes":[]},"scopeSpans":[)"
                     R"({"scope":{"name":"n"},"spans":[)" +
                     span.json() + R"(],"schemaUrl":"v"}]}]})";
  auto result = read_text(line + "\n");
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.bad_lines, 0u);
}

TEST(OtlpJson, HostileLinesAreCountedAndTheRestIsRead) {
  std::string deep_root = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_inside =
      R"({"x":)" + std::string(5000, '[') + std::string(5000, ']') + R"(,"resourceSpans":[]})";
  std::string invalid_utf8 = traces_line(str_attr("service.name", "\xff\xfe"), "");
  std::string two_objects = R"({"resourceSpans":[]} {"resourceSpans":[]})";
  std::string not_object = "42";
  std::string text = deep_root + "\n" + deep_inside + "\n" + invalid_utf8 + "\n" + two_objects +
                     "\n" + not_object + "\n" + cpp_sdk_line() + "\n";
  auto result = read_text(text);
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.lines, 6u);
  // The deeply nested value inside an unknown field may be skipped or refused;
  // either way nothing crashes and the last line is read.
  EXPECT_GE(result.stats.bad_lines, 4u);
  bool saw_utf8 = false;
  for (const auto& problem : result.stats.problems) {
    if (problem.find(":3: not valid UTF-8") != std::string::npos) saw_utf8 = true;
  }
  EXPECT_TRUE(saw_utf8);
}

TEST(OtlpJson, HugeLineDoesNotCrash) {
  // 100 MB in one line, never closed.
  std::string text =
      R"({"resourceSpans":[{"x":")" + std::string(100 << 20, 'a') + "\n" + cpp_sdk_line() + "\n";
  auto result = read_text(text);
  EXPECT_EQ(result.set.spans.size(), 1u);
  EXPECT_EQ(result.stats.bad_lines, 1u);
}

TEST(OtlpJson, ProblemsAreCapped) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "{\n";
  auto result = read_text(text);
  EXPECT_EQ(result.stats.bad_lines, 50u);
  EXPECT_EQ(result.stats.problems.size(), 20u);
}

// The receiver validates a body with decode_otlp_json_document before appending
// it as a line: the two must agree on every line (fuzz: json_time_not_an_integer).
TEST(OtlpJson, InMemoryDocumentDecodesAsALineOfAFile) {
  JsonSpan comma_time;
  comma_time.start = R"("1700000000000,00000")";
  JsonSpan tid_not_object;
  tid_not_object.attributes = R"({"key":"tid","value":5},{"value":[1],"key":"tid"})";
  const std::string lines[] = {
      cpp_sdk_line(),
      traces_line("", comma_time.json()),
      traces_line("", tid_not_object.json()),
      R"({"resourceSpans":null})",
      R"({"resourceSpans":[null,{"resource":null,"scopeSpans":[{"spans":null}]}]})",
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":null,"attributes":null}]}]}]})",
      R"({"resourceSpans":{}})",
      "42",
      "{\"a\":\"\xff\"}",
      "{} {}",
  };
  for (const std::string& line : lines) {
    for (const auto& options : {SpanReaderOptions{}, SpanReaderOptions{"tid"}}) {
      ReadResult file = read_text(line + "\n", options);
      SpanSet set;
      SpanReadStats stats;
      auto decoded = decode_otlp_json_document(line, options, set, stats);
      EXPECT_EQ(decoded.has_value(), file.stats.bad_lines == 0) << line;
      EXPECT_EQ(stats.bad_lines, file.stats.bad_lines) << line;
      EXPECT_EQ(stats.spans, file.stats.spans) << line;
      EXPECT_EQ(stats.bad_spans, file.stats.bad_spans) << line;
      EXPECT_EQ(set.spans.size(), file.set.spans.size()) << line;
    }
  }
  SpanSet set;
  SpanReadStats stats;
  auto comma = decode_otlp_json_document(traces_line("", comma_time.json()), {}, set, stats);
  ASSERT_FALSE(comma);
  EXPECT_EQ(comma.error().message, "a number field does not hold an integer");
  // Decoded as the file reader would see it: never a blank line nor two lines.
  EXPECT_FALSE(decode_otlp_json_document(" \t", {}, set, stats));
  EXPECT_FALSE(decode_otlp_json_document("{}\n{}", {}, set, stats));
  // Proto3 JSON: null is the default, an empty list; an attribute value of
  // another shape leaves the attribute unset, whatever --tid-attribute says.
  for (int i : {2, 3, 4, 5}) {
    EXPECT_TRUE(decode_otlp_json_document(lines[i], {}, set, stats)) << lines[i];
    EXPECT_TRUE(decode_otlp_json_document(lines[i], {"tid"}, set, stats)) << lines[i];
  }
}

TEST(SpanReader, EmptyFileHasNoSpans) {
  auto result = read_text("");
  EXPECT_EQ(result.set.spans.size(), 0u);
  EXPECT_EQ(result.stats.files, 1u);
  EXPECT_EQ(result.stats.lines, 0u);
  EXPECT_TRUE(result.stats.problems.empty());
}

TEST(SpanReader, DirectoryIsAnError) {
  SpanSet set;
  SpanReadStats stats;
  EXPECT_FALSE(read_span_file(::testing::TempDir(), {}, set, stats).has_value());
}

TEST(SpanReader, MissingFileIsAnError) {
  SpanSet set;
  SpanReadStats stats;
  auto read = read_span_file("/nonexistent/spans.jsonl", {}, set, stats);
  ASSERT_FALSE(read.has_value());
  EXPECT_NE(read.error().to_string().find("/nonexistent/spans.jsonl"), std::string::npos);
  EXPECT_NE(read.error().to_string().find("cannot open"), std::string::npos);
}

TEST(SpanReader, FilesAppendToOneSet) {
  TempFile a(".jsonl");
  TempFile b(".jsonl");
  a.write(cpp_sdk_line() + "\n");
  b.write(node_sdk_line() + "\n");
  SpanSet set;
  SpanReadStats stats;
  ASSERT_TRUE(read_span_file(a.path(), {}, set, stats));
  ASSERT_TRUE(read_span_file(b.path(), {}, set, stats));
  EXPECT_EQ(set.spans.size(), 3u);
  EXPECT_EQ(stats.files, 2u);
  EXPECT_EQ(set.resources.size(), 2u);
  EXPECT_EQ(set.spans[2].resource_index, 1u);
}

}  // namespace
}  // namespace spanprof::spans
