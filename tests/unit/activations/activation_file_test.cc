// parse_activation_file on hand-made files: the version 1 layout
// (docs/activations.md), what a later version may add, and each kind of damage
// the format names (skipped with an error, or dropped and counted).
#include "activations/activation_file.h"

#include <gtest/gtest.h>

#include "activation_bytes.h"

namespace spanprof::activations {
namespace {

using testing::ActivationBytes;
using Header = ActivationBytes::Header;

Result<ActivationFile> parse(const ActivationBytes& file) {
  return parse_activation_file(file.bytes(), "DIR/activations-100.bin");
}

TEST(ActivationFile, ReadsTheHeaderAndRecordsInFileOrder) {
  ActivationBytes file;
  file.record(10, 100, 0xab, 0x0102030405060708).none(20, 100).record(15, 101, 0xcd, 0x42);
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->pid, 100u);
  EXPECT_EQ(parsed->created_monotonic_ns, 5'000'000'000u);
  EXPECT_EQ(parsed->created_realtime_ns, 1'700'000'000'000'000'000u);
  EXPECT_EQ(parsed->torn_bytes, 0u);
  EXPECT_EQ(parsed->records_wrong_pid, 0u);
  ASSERT_EQ(parsed->records.size(), 3u);
  const ActivationRecord& first = parsed->records[0];
  EXPECT_EQ(first.time_ns, 10u);
  EXPECT_EQ(first.pid, 100u);
  EXPECT_EQ(first.tid, 100u);
  // Ids are bytes in the order their hex reads: the last trace byte is 0xab,
  // and the span id's first byte is its most significant.
  EXPECT_EQ(first.trace_id[15], 0xab);
  EXPECT_EQ(first.trace_id[0], 0);
  EXPECT_EQ(first.span_id, 0x0102030405060708u);
  EXPECT_FALSE(first.is_none());
  EXPECT_TRUE(parsed->records[1].is_none());
  EXPECT_EQ(parsed->records[2].time_ns, 15u);  // file order, not time order
  EXPECT_EQ(parsed->records[2].tid, 101u);
}

TEST(ActivationFile, NoneNeedsBothIdsZero) {
  ActivationRecord record;
  EXPECT_TRUE(record.is_none());
  record.trace_id[3] = 1;
  EXPECT_FALSE(record.is_none());
  record.trace_id[3] = 0;
  record.span_id = 1;
  EXPECT_FALSE(record.is_none());
}

TEST(ActivationFile, HeaderOnlyHasNoRecords) {
  auto parsed = parse(ActivationBytes{});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_TRUE(parsed->records.empty());
  EXPECT_EQ(parsed->torn_bytes, 0u);
}

TEST(ActivationFile, ShorterThanTheHeaderIsSkipped) {
  for (size_t size : {size_t{0}, size_t{8}, size_t{39}}) {
    ActivationBytes file;
    file.data().resize(size);
    auto parsed = parse(file);
    ASSERT_FALSE(parsed.has_value()) << size;
    EXPECT_NE(parsed.error().message.find("shorter than the 40-byte header"), std::string::npos)
        << parsed.error().message;
    EXPECT_EQ(parsed.error().where, "DIR/activations-100.bin");
  }
}

TEST(ActivationFile, AnotherMagicIsSkipped) {
  for (const char* magic : {"SPANACT1", "spanact\0", "PERFILE2"}) {
    Header header;
    header.magic = std::string(magic, 8);
    ActivationBytes file(header);
    file.record(1, 100, 1, 1);
    auto parsed = parse(file);
    ASSERT_FALSE(parsed.has_value()) << magic;
    EXPECT_NE(parsed.error().message.find("first 8 bytes"), std::string::npos);
  }
}

TEST(ActivationFile, AnUnknownVersionIsSkippedAndNamed) {
  for (uint16_t version : {uint16_t{0}, uint16_t{2}, uint16_t{0xffff}}) {
    Header header;
    header.version = version;
    auto parsed = parse(ActivationBytes(header).record(1, 100, 1, 1));
    ASSERT_FALSE(parsed.has_value()) << version;
    EXPECT_NE(parsed.error().message.find("version " + std::to_string(version)),
              std::string::npos)
        << parsed.error().message;
  }
}

TEST(ActivationFile, AnotherClockIsSkipped) {
  for (uint16_t clock : {uint16_t{0}, uint16_t{4}, uint16_t{7}}) {
    Header header;
    header.clock_id = clock;
    auto parsed = parse(ActivationBytes(header).record(1, 100, 1, 1));
    ASSERT_FALSE(parsed.has_value()) << clock;
    EXPECT_NE(parsed.error().message.find("clock " + std::to_string(clock)), std::string::npos);
  }
}

TEST(ActivationFile, SizesUnderVersionOnesAreSkipped) {
  Header small_record;
  small_record.record_size = 39;
  EXPECT_FALSE(parse(ActivationBytes(small_record)).has_value());
  Header zero_record;
  zero_record.record_size = 0;  // would divide by zero
  EXPECT_FALSE(parse(ActivationBytes(zero_record)).has_value());
  Header small_header;
  small_header.header_size = 24;
  EXPECT_FALSE(parse(ActivationBytes(small_header)).has_value());
}

TEST(ActivationFile, AHeaderSizeBeyondTheFileIsSkipped) {
  Header header;
  header.header_size = 400;
  ActivationBytes file(header);  // zero-fills to 400 bytes
  file.data().resize(100);
  auto parsed = parse(file);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("header_size 400"), std::string::npos);
}

TEST(ActivationFile, ALongerHeaderIsSkippedTo) {
  Header header;
  header.header_size = 56;  // a later version's extra fields
  ActivationBytes file(header);
  file.record(7, 100, 1, 0x77);
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  ASSERT_EQ(parsed->records.size(), 1u);
  EXPECT_EQ(parsed->records[0].time_ns, 7u);
  EXPECT_EQ(parsed->records[0].span_id, 0x77u);
}

TEST(ActivationFile, LongerRecordsAreReadForTheirFirst40Bytes) {
  Header header;
  header.record_size = 64;
  ActivationBytes file(header);
  file.record(7, 100, 1, 0x77).record(9, 100, 2, 0x99);
  ASSERT_EQ(file.data().size(), 40u + 2 * 64);
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  ASSERT_EQ(parsed->records.size(), 2u);
  EXPECT_EQ(parsed->records[1].time_ns, 9u);
  EXPECT_EQ(parsed->records[1].span_id, 0x99u);
  EXPECT_EQ(parsed->records[1].trace_id[15], 2);
  EXPECT_EQ(parsed->torn_bytes, 0u);
}

TEST(ActivationFile, ATornTailIsDroppedAndCounted) {
  ActivationBytes file;
  file.record(1, 100, 1, 1).record(2, 100, 1, 2);
  std::vector<uint8_t>& bytes = file.data();
  bytes.resize(bytes.size() + 40);
  bytes.resize(bytes.size() - 23);  // 17 bytes of a third record
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->records.size(), 2u);
  EXPECT_EQ(parsed->torn_bytes, 17u);
}

TEST(ActivationFile, ARecordSizeBeyondTheBodyMakesAllOfItATornTail) {
  Header header;
  header.record_size = 0xffff;
  ActivationBytes file(header);
  file.data().resize(40 + 3 * 40, 0);
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_TRUE(parsed->records.empty());
  EXPECT_EQ(parsed->torn_bytes, 120u);
}

TEST(ActivationFile, RecordsOfAnotherPidAreDroppedAndCounted) {
  ActivationBytes file;
  file.record(1, 100, 1, 1).record(2, 200, 1, 2, /*pid=*/200).record(3, 100, 1, 3);
  auto parsed = parse(file);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->records_wrong_pid, 1u);
  ASSERT_EQ(parsed->records.size(), 2u);
  EXPECT_EQ(parsed->records[0].span_id, 1u);
  EXPECT_EQ(parsed->records[1].span_id, 3u);
}

}  // namespace
}  // namespace spanprof::activations
