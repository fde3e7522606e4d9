// ByteReader: every read is bounds-checked, failure is sticky, offsets cannot
// overflow, and a parser can tell that it consumed exactly what it was given.
#include "common/byte_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace spanprof {
namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(ByteReaderTest, ReadsLittleEndianScalarsInOrder) {
  const auto data = bytes_of({0x01,                                            // u8
                              0x02, 0x01,                                      // u16
                              0x04, 0x03, 0x02, 0x01,                          // u32
                              0xfe, 0xff, 0xff, 0xff,                          // i32 -2
                              0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01});  // u64
  ByteReader in(data);
  EXPECT_EQ(in.u8(), 0x01u);
  EXPECT_EQ(in.u16(), 0x0102u);
  EXPECT_EQ(in.u32(), 0x01020304u);
  EXPECT_EQ(in.i32(), -2);
  EXPECT_EQ(in.u64(), 0x0102030405060708ull);
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(in.position(), data.size());
}

TEST(ByteReaderTest, EveryShortReadFailsAndReturnsZero) {
  const auto data = bytes_of({1, 2, 3});
  {
    ByteReader in(data);
    EXPECT_EQ(in.u32(), 0u);
    EXPECT_FALSE(in.ok());
  }
  {
    ByteReader in(data);
    EXPECT_EQ(in.u64(), 0u);
    EXPECT_FALSE(in.ok());
  }
  {
    ByteReader in(data);
    EXPECT_EQ(in.i32(), 0);
    EXPECT_FALSE(in.ok());
  }
  {
    ByteReader in(std::span<const std::byte>{});
    EXPECT_EQ(in.u8(), 0u);
    EXPECT_FALSE(in.ok());
  }
  {
    ByteReader in(data);
    in.skip(2);
    EXPECT_EQ(in.u16(), 0u) << "one byte left, two asked for";
    EXPECT_FALSE(in.ok());
  }
}

TEST(ByteReaderTest, FailureIsStickyAndTheCursorStays) {
  const auto data = bytes_of({1, 2, 3, 4, 5, 6});
  ByteReader in(data);
  EXPECT_EQ(in.u16(), 0x0201u);
  EXPECT_EQ(in.u64(), 0u);  // 4 left: fails
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.position(), 2u) << "a failed read consumes nothing";
  EXPECT_EQ(in.u8(), 0u) << "bytes remain, but after a failure every read fails";
  EXPECT_TRUE(in.bytes(1).empty());
  EXPECT_EQ(in.padded_string(1), "");
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.position(), 2u);
}

TEST(ByteReaderTest, BytesAndSkipAreBounded) {
  const auto data = bytes_of({9, 8, 7, 6});
  ByteReader in(data);
  auto two = in.bytes(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], std::byte{9});
  EXPECT_EQ(two.data(), data.data()) << "a view, not a copy";
  EXPECT_TRUE(in.bytes(0).empty());
  EXPECT_TRUE(in.ok()) << "zero bytes always fit";
  EXPECT_TRUE(in.bytes(3).empty());
  EXPECT_FALSE(in.ok());

  ByteReader skipper(data);
  skipper.skip(4);
  EXPECT_TRUE(skipper.ok());
  EXPECT_EQ(skipper.remaining(), 0u);
  skipper.skip(1);
  EXPECT_FALSE(skipper.ok());
}

TEST(ByteReaderTest, HugeCountsDoNotWrapAround) {
  const auto data = bytes_of({1, 2, 3, 4, 5, 6, 7, 8});
  for (size_t n : {std::numeric_limits<size_t>::max(), std::numeric_limits<size_t>::max() - 3,
                   size_t{1} << 63}) {
    ByteReader in(data);
    in.u32();
    EXPECT_TRUE(in.bytes(n).empty());
    EXPECT_FALSE(in.ok()) << n;
    EXPECT_EQ(in.position(), 4u);
    ByteReader skipper(data);
    skipper.u8();
    skipper.skip(n);
    EXPECT_FALSE(skipper.ok()) << n;
    ByteReader sub_parent(data);
    sub_parent.u8();
    ByteReader sub = sub_parent.sub_reader(n);
    EXPECT_FALSE(sub.ok()) << n;
    EXPECT_FALSE(sub_parent.ok()) << n;
    EXPECT_EQ(sub.u8(), 0u);
  }
}

TEST(ByteReaderTest, PaddedStringsStopAtTheFirstNulOrTheField) {
  const auto data = bytes_of({'a', 'b', 0, 'z', 'c', 'd', 'e', 'f'});
  ByteReader in(data);
  EXPECT_EQ(in.padded_string(4), "ab") << "the text after the NUL is padding";
  EXPECT_EQ(in.position(), 4u) << "the whole field is consumed";
  EXPECT_EQ(in.padded_string(4), "cdef") << "no NUL: the field's end ends the text";
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.padded_string(1), "");
  EXPECT_FALSE(in.ok());

  const auto rest = bytes_of({'x', 'y', 0, 0});
  ByteReader tail(rest);
  tail.u8();
  EXPECT_EQ(tail.rest_as_string(), "y");
  EXPECT_EQ(tail.remaining(), 0u);
  EXPECT_TRUE(tail.ok());
}

TEST(ByteReaderTest, SubReaderIsConfinedToItsPartAndKeepsFileOffsets) {
  const auto data = bytes_of({0, 0, 1, 2, 3, 4, 5, 6, 7, 8});
  ByteReader in(data, 1000);
  in.u16();
  EXPECT_EQ(in.file_offset(), 1002u);
  ByteReader part = in.sub_reader(4);
  EXPECT_EQ(in.position(), 6u) << "the parent moves past the part";
  EXPECT_EQ(part.file_offset(), 1002u);
  EXPECT_EQ(part.remaining(), 4u);
  EXPECT_EQ(part.u32(), 0x04030201u);
  EXPECT_EQ(part.file_offset(), 1006u);
  EXPECT_EQ(part.u8(), 0u) << "the part ends where it was cut, although the parent has more";
  EXPECT_FALSE(part.ok());
  EXPECT_TRUE(in.ok()) << "a sub reader's failure is its own";
  EXPECT_EQ(in.u32(), 0x08070605u);
  EXPECT_EQ(in.file_offset(), 1010u);
}

TEST(ByteReaderTest, SubReaderOfAFailedReaderFails) {
  const auto data = bytes_of({1, 2, 3, 4});
  ByteReader in(data);
  in.fail();
  ByteReader part = in.sub_reader(0);
  EXPECT_FALSE(part.ok());
}

// The check a record parser makes (perfparser's rule): the body was read whole.
TEST(ByteReaderTest, ExactConsumptionIsVisible) {
  const auto record = bytes_of({1, 0, 0, 0, 2, 0, 0, 0, 0xaa});
  ByteReader in(record);
  in.u32();
  in.u32();
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 1u) << "one byte the parser did not account for";
  in.u8();
  EXPECT_TRUE(in.ok() && in.remaining() == 0);
}

TEST(CheckedArithmeticTest, OverflowIsNullopt) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(checked_add(1, 2), 3u);
  EXPECT_EQ(checked_add(kMax - 1, 1), kMax);
  EXPECT_FALSE(checked_add(kMax, 1));
  EXPECT_FALSE(checked_add(kMax / 2 + 1, kMax / 2 + 1));
  EXPECT_EQ(checked_mul(0, kMax), 0u);
  EXPECT_EQ(checked_mul(1ull << 31, 1ull << 32), 1ull << 63);
  EXPECT_FALSE(checked_mul(1ull << 32, 1ull << 32));
  EXPECT_FALSE(checked_mul(kMax, 2));
}

}  // namespace
}  // namespace spanprof
