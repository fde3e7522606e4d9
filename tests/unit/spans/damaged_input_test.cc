// Span files damaged at random: the readers must neither crash nor fail, and
// their counters must stay consistent. Runs under the sanitizer job too.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "otlp_trace.pb.h"
#include "span_test_util.h"
#include "spans/span_reader.h"

namespace spanprof::spans {
namespace {

using testing::JsonSpan;
using testing::num_attr;
using testing::str_attr;
using testing::TempFile;
using testing::traces_line;

std::string json_lines() {
  std::string text;
  for (int line = 0; line < 4; ++line) {
    JsonSpan a;
    a.attributes = num_attr("thread.os_id", 100 + line) + "," + str_attr("thread.id", "7");
    JsonSpan b;
    b.span_id = "00000000000000b2";
    b.parent_span_id = a.span_id;
    text += traces_line(str_attr("service.name", "svc"), a.json() + "," + b.json()) + "\n";
  }
  return text;
}

std::string proto_messages() {
  otlp::TracesData traces;
  auto* resource_spans = traces.add_resource_spans();
  auto* attribute = resource_spans->mutable_resource()->add_attributes();
  attribute->set_key("service.name");
  attribute->mutable_value()->set_string_value("svc");
  auto* span = resource_spans->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x11'));
  span->set_span_id(std::string(8, '\x22'));
  span->set_name("op");
  span->set_start_time_unix_nano(1);
  span->set_end_time_unix_nano(2);
  auto* tid = span->add_attributes();
  tid->set_key("thread.os_id");
  tid->mutable_value()->set_int_value(5);
  std::string message = traces.SerializeAsString();
  std::string framed;
  for (int copy = 0; copy < 4; ++copy) {
    auto size = static_cast<uint32_t>(message.size());
    for (int shift = 24; shift >= 0; shift -= 8) framed += static_cast<char>(size >> shift);
    framed += message;
  }
  return framed;
}

void read_damaged_copies(const std::string& original, uint32_t seed) {
  std::mt19937 random(seed);
  TempFile file(".spans");
  for (int round = 0; round < 300; ++round) {
    std::string bytes = original;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int edit = 0; edit < edits; ++edit) {
      size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:
          bytes.erase(at, 1 + random() % 16);
          break;
        case 2:
          bytes.insert(at, std::string(1 + random() % 8, static_cast<char>(random())));
          break;
        default:
          bytes.resize(at);
          break;
      }
      if (bytes.empty()) bytes = "{";
    }
    bool gzip = random() % 4 == 0;
    if (gzip) {
      file.write_gzip(bytes);
    } else {
      file.write(bytes);
    }
    SpanSet set;
    SpanReadStats stats;
    auto read = read_span_file(file.path(), {}, set, stats);
    ASSERT_TRUE(read.has_value()) << read.error().to_string();
    EXPECT_EQ(stats.spans, set.spans.size());
    EXPECT_LE(stats.bad_lines, stats.lines);
    EXPECT_LE(stats.problems.size(), 20u);
    for (const Span& span : set.spans) {
      EXPECT_LT(span.name_index, set.names.size());
      EXPECT_LT(span.resource_index, set.resources.size());
      EXPECT_GE(span.end_unix_ns, span.start_unix_ns);
    }
  }
}

TEST(DamagedInput, JsonLines) { read_damaged_copies(json_lines(), 1); }

TEST(DamagedInput, ProtoMessages) { read_damaged_copies(proto_messages(), 2); }

}  // namespace
}  // namespace spanprof::spans
