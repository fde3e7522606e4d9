// TRACING_DATA (file feature 1 and pipe mode's HEADER_TRACING_DATA): event formats
// into CaptureInfo::tracepoints, tracepoint attrs named from them, damage as a
// warning; and integer fields read out of Sample::raw by those formats.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "perf_data_builder.h"
#include "perfdata/event_attr.h"
#include "perfdata/tracepoint_fields.h"
#include "perfdata/tracing_data.h"
#include "test_support.h"

namespace spanprof::perfdata {
namespace {

using namespace testing;  // NOLINT: the builder's vocabulary

// tracefs events/sched/sched_switch/format on Linux 6.18 (print fmt shortened).
const std::string kSchedSwitch =
    "name: sched_switch\n"
    "ID: 372\n"
    "format:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
    "\n"
    "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
    "\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
    "\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
    "\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
    "\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
    "\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
    "\n"
    "print fmt: \"prev_comm=%s prev_pid=%d field:bogus\", REC->prev_comm, REC->prev_pid\n";

const std::string kSchedWakeup =
    "name: sched_wakeup\nID: 375\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:__data_loc char[] comm;\toffset:8;\tsize:4;\tsigned:0;\n"
    "\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
    "\nprint fmt: \"pid=%d\", REC->pid\n";

Bytes sched_tracing_data() {
  return tracing_data({{"sched", {kSchedSwitch, kSchedWakeup}}, {"irq", {}}});
}

TestAttr tracepoint_attr() {
  TestAttr a;
  a.type = 2;
  a.config = 372;
  a.sample_period = 1;
  a.sample_type = bits::kIp | bits::kTid | bits::kTime | bits::kCpu | bits::kPeriod | bits::kRaw;
  return a;
}

// A sched_switch record as the kernel lays it out: prev_pid 51, prev_state 0x101
// (S + preempted bit above TASK_REPORT_MAX), next_pid 0; 4 + 68 bytes = 72.
Bytes sched_switch_raw(int32_t prev_pid, int64_t prev_state, int32_t next_pid) {
  Bytes raw(68);
  const uint16_t type = 372;
  std::memcpy(raw.data(), &type, 2);
  std::memcpy(raw.data() + 24, &prev_pid, 4);
  std::memcpy(raw.data() + 32, &prev_state, 8);
  std::memcpy(raw.data() + 56, &next_pid, 4);
  return raw;
}

PerfDataBuilder tracepoint_capture(const Bytes& tracing, bool pipe) {
  TestAttr a = tracepoint_attr();
  PerfDataBuilder b;
  b.attr(a);
  if (pipe) {
    b.pipe_header_record(tracing_data_record(tracing));
  } else {
    b.feature(1, tracing);
  }
  TestSample s{.ip = 0x1000, .pid = 50, .tid = 51, .time = 10};
  s.raw = sched_switch_raw(51, 0x101, 0);
  b.record(sample_record(a, s));
  return b;
}

void expect_sched_formats(const CaptureInfo& info) {
  ASSERT_EQ(info.tracepoints.size(), 2u);
  const TracepointFormat& sw = info.tracepoints[0];
  EXPECT_EQ(sw.system, "sched");
  EXPECT_EQ(sw.name, "sched_switch");
  EXPECT_EQ(sw.id, 372u);
  ASSERT_EQ(sw.fields.size(), 11u) << "print fmt's text is not a field";
  EXPECT_EQ(sw.fields[0].name, "common_type");
  ASSERT_TRUE(sw.field("prev_comm"));
  EXPECT_EQ(sw.field("prev_comm")->offset, 8u);
  EXPECT_EQ(sw.field("prev_comm")->size, 16u);
  ASSERT_TRUE(sw.field("prev_pid"));
  EXPECT_EQ(sw.field("prev_pid")->offset, 24u);
  EXPECT_TRUE(sw.field("prev_pid")->is_signed);
  ASSERT_TRUE(sw.field("prev_state"));
  EXPECT_EQ(sw.field("prev_state")->offset, 32u);
  EXPECT_EQ(sw.field("prev_state")->size, 8u);
  ASSERT_TRUE(sw.field("next_pid"));
  EXPECT_EQ(sw.field("next_pid")->offset, 56u);
  EXPECT_FALSE(sw.field("bogus"));
  EXPECT_EQ(info.tracepoints[1].name, "sched_wakeup");
  ASSERT_TRUE(info.tracepoints[1].field("comm"));
  EXPECT_EQ(info.tracepoints[1].field("comm")->offset, 8u);
}

TEST(TracingDataTest, FileFeatureGivesFormatsAndNamesTheEvent) {
  for (bool pipe : {false, true}) {
    auto out = read_bytes(pipe ? tracepoint_capture(sched_tracing_data(), true).pipe_bytes()
                               : tracepoint_capture(sched_tracing_data(), false).file_bytes(),
                          "tracing_ok");
    ASSERT_TRUE(out.reader);
    const CaptureInfo& info = out.reader->info();
    SCOPED_TRACE(pipe ? "pipe mode" : "file mode");
    expect_sched_formats(info);
    EXPECT_TRUE(info.warnings.empty()) << info.warnings[0];
    ASSERT_EQ(info.attrs.size(), 1u);
    EXPECT_EQ(event_name(info.attrs[0]), "sched:sched_switch");
    ASSERT_EQ(out.seen->samples.size(), 1u);
    EXPECT_EQ(out.seen->samples[0].attr_name, "sched:sched_switch");
    EXPECT_FALSE(out.stats.damage);
  }
}

TEST(TracingDataTest, EventDescNameWins) {
  PerfDataBuilder b = tracepoint_capture(sched_tracing_data(), false);
  b.feature(12, feature::event_desc({tracepoint_attr()}, {"sched:sched_switch/call-graph=dwarf/"}));
  auto out = read_bytes(b.file_bytes(), "tracing_desc");
  ASSERT_TRUE(out.reader);
  EXPECT_EQ(out.reader->info().attrs[0].name, "sched:sched_switch/call-graph=dwarf/");
}

TEST(TracingDataTest, UnknownTracepointIdKeepsTheGenericName) {
  TestAttr a = tracepoint_attr();
  a.config = 9999;
  PerfDataBuilder b;
  b.attr(a);
  b.feature(1, sched_tracing_data());
  auto out = read_bytes(b.file_bytes(), "tracing_unknown_id");
  ASSERT_TRUE(out.reader);
  EXPECT_EQ(event_name(out.reader->info().attrs[0]), "type 2 config 9999");
}

// Every damaged tracing data: one warning, no tracepoints, the sample still read.
void expect_rejected(const Bytes& tracing, const std::string& what, const std::string& says) {
  for (bool pipe : {false, true}) {
    SCOPED_TRACE(what + (pipe ? " (pipe mode)" : " (file mode)"));
    PerfDataBuilder b = tracepoint_capture(tracing, pipe);
    auto out = read_bytes(pipe ? b.pipe_bytes() : b.file_bytes(), "tracing_bad");
    ASSERT_TRUE(out.reader);
    const CaptureInfo& info = out.reader->info();
    EXPECT_TRUE(info.tracepoints.empty());
    ASSERT_EQ(info.warnings.size(), 1u);
    EXPECT_NE(info.warnings[0].find(says), std::string::npos) << info.warnings[0];
    EXPECT_NE(info.warnings[0].find("byte offset"), std::string::npos) << info.warnings[0];
    EXPECT_EQ(out.seen->samples.size(), 1u);
    EXPECT_FALSE(out.stats.damage);
  }
}

TEST(TracingDataTest, BadMagicIsAWarning) {
  Bytes tracing = sched_tracing_data();
  tracing[3] = std::byte{'X'};
  expect_rejected(tracing, "bad magic", "magic");
}

TEST(TracingDataTest, CountsPastTheDataAreAWarning) {
  Bytes tracing = sched_tracing_data();
  // The system count follows the header texts and the ftrace count; find it by
  // the "sched\0" name that follows it.
  const std::string name("sched");
  size_t at = 0;
  for (size_t i = 0; i + name.size() < tracing.size(); ++i) {
    if (std::memcmp(tracing.data() + i, name.data(), name.size()) == 0) {
      at = i;
      break;
    }
  }
  ASSERT_GT(at, 4u);
  Bytes systems = tracing;
  const uint32_t huge = 0x7fffffff;
  std::memcpy(systems.data() + at - 4, &huge, 4);
  expect_rejected(systems, "system count", "claims 2147483647 event systems");
  Bytes events = tracing;
  std::memcpy(events.data() + at + name.size() + 1, &huge, 4);
  expect_rejected(events, "event count", "claims 2147483647 events");
  Bytes size = tracing;
  const uint64_t big = ~uint64_t{0};
  std::memcpy(size.data() + at + name.size() + 5, &big, 8);
  expect_rejected(size, "format size", "cut short");
}

TEST(TracingDataTest, BadFormatLinesAreAWarning) {
  auto with = [](std::string text) { return tracing_data({{"sched", {std::move(text)}}}); };
  std::string no_offset = kSchedSwitch;
  no_offset.replace(no_offset.find("offset:24"), 9, "offsat:24");
  expect_rejected(with(no_offset), "field without offset", "field line does not parse");
  std::string bad_number = kSchedSwitch;
  bad_number.replace(bad_number.find("size:8"), 6, "size:8x");
  expect_rejected(with(bad_number), "bad size", "field line does not parse");
  std::string no_id = kSchedSwitch;
  no_id.replace(no_id.find("ID: 372"), 7, "XD: 372");
  expect_rejected(with(no_id), "no ID", "no name or no ID");
  expect_rejected(with("name: sched_switch\nID: -3\n"), "negative ID", "bad ID");
}

TEST(TracingDataTest, EveryTruncationFailsCleanly) {
  const Bytes tracing = sched_tracing_data();
  // The formats end before kallsyms, printk and cmdlines (16 bytes), which are not read.
  const size_t formats_end = tracing.size() - 16;
  for (size_t n = 0; n < tracing.size(); ++n) {
    auto parsed = parse_tracing_data(std::span<const std::byte>(tracing).first(n), 1000);
    if (n >= formats_end) {
      EXPECT_TRUE(parsed) << n;
    } else {
      ASSERT_FALSE(parsed) << n;
      EXPECT_NE(parsed.error().where.find("byte offset"), std::string::npos);
    }
  }
  Bytes cut = tracing;
  cut.resize(cut.size() / 2);
  expect_rejected(cut, "cut in half", "cut short");
}

TEST(TracingDataTest, BigEndianTracingDataIsAWarning) {
  Bytes tracing = sched_tracing_data();
  tracing[14] = std::byte{1};  // after the 10-byte magic and "0.6\0"
  expect_rejected(tracing, "big-endian", "big-endian");
}

TEST(TracingDataTest, PipeTracingDataOverTheLimitIsSkipped) {
  // A size past the 64 MiB bound: skipped (the stream then ends short of it: damage).
  PerfDataBuilder b;
  b.attr(tracepoint_attr());
  Bytes bytes = b.pipe_bytes();
  ByteWriter w;
  w.u32(66).u16(0).u16(16).u32(0xfffffff8).u32(0);
  bytes.insert(bytes.end(), w.data.begin(), w.data.end());
  auto out = read_bytes(bytes, "tracing_huge");
  ASSERT_TRUE(out.reader);
  EXPECT_TRUE(out.reader->info().tracepoints.empty());
  ASSERT_TRUE(out.stats.damage);
  EXPECT_NE(out.stats.damage->message.find("HEADER_TRACING_DATA"), std::string::npos);
}

TEST(TracepointFieldsTest, ReadsSchedSwitchFields) {
  auto format = parse_event_format(kSchedSwitch, "sched");
  ASSERT_TRUE(format) << format.error().to_string();
  const Bytes raw = sched_switch_raw(51, 0x101, -7);
  EXPECT_EQ(read_signed_field(raw, *format->field("prev_pid")), 51);
  EXPECT_EQ(read_unsigned_field(raw, *format->field("prev_state")), 0x101u);
  EXPECT_EQ(read_signed_field(raw, *format->field("next_pid")), -7);
  EXPECT_EQ(read_unsigned_field(raw, *format->field("next_pid")), 0xfffffff9u);
  EXPECT_EQ(read_unsigned_field(raw, *format->field("common_type")), 372u);
  EXPECT_FALSE(read_unsigned_field(raw, *format->field("prev_comm"))) << "16 bytes: not an integer";
}

TEST(TracepointFieldsTest, FieldOutsideTheRecordIsNothing) {
  TracepointField field{.name = "x", .offset = 60, .size = 8, .is_signed = true};
  EXPECT_FALSE(read_signed_field(Bytes(67), field));
  EXPECT_TRUE(read_signed_field(Bytes(68), field));
  field.offset = 0xfffffffc;
  field.size = 8;
  EXPECT_FALSE(read_unsigned_field(Bytes(68), field));
  EXPECT_FALSE(read_unsigned_field({}, TracepointField{.name = "y", .offset = 0, .size = 1}));
  TracepointField byte{.name = "b", .offset = 0, .size = 1, .is_signed = true};
  EXPECT_EQ(read_signed_field(bytes_of({0xff}), byte), -1);
  byte.is_signed = false;
  EXPECT_EQ(read_signed_field(bytes_of({0xff}), byte), 255);
}

}  // namespace
}  // namespace spanprof::perfdata
