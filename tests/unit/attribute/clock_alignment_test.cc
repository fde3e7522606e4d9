#include <gtest/gtest.h>

#include <ctime>

#include "attribute/clock_alignment.h"

namespace spanprof::attribute {
namespace {

perfdata::EventAttr attr_with_clock(int32_t clockid) {
  perfdata::EventAttr attr;
  attr.flags = 1ull << 25;  // use_clockid
  attr.clockid = clockid;
  return attr;
}

TEST(ClockAlignment, MonotonicViaTheReferencePair) {
  perfdata::CaptureInfo info;
  info.clock_data = perfdata::ClockData{1, CLOCK_MONOTONIC, 1'700'000'000'000'000'000ull, 5'000};
  auto clock = ClockAlignment::from_capture(info, attr_with_clock(CLOCK_MONOTONIC));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->to_unix_ns(5'000), 1'700'000'000'000'000'000ll);
  EXPECT_EQ(clock->to_unix_ns(6'500), 1'700'000'000'000'001'500ll);
}

TEST(ClockAlignment, OffsetIsAdded) {
  perfdata::CaptureInfo info;
  info.clock_data = perfdata::ClockData{1, CLOCK_MONOTONIC, 1'000'000, 0};
  auto clock = ClockAlignment::from_capture(info, attr_with_clock(CLOCK_MONOTONIC), -250);
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->to_unix_ns(0), 999'750);
}

TEST(ClockAlignment, RealtimeIsUsedAsIs) {
  perfdata::CaptureInfo info;  // no clock data needed
  auto clock = ClockAlignment::from_capture(info, attr_with_clock(CLOCK_REALTIME));
  ASSERT_TRUE(clock.has_value());
  EXPECT_EQ(clock->to_unix_ns(123), 123);
}

TEST(ClockAlignment, RefusesWithAHowToRecordHint) {
  perfdata::CaptureInfo info;
  perfdata::EventAttr local_clock;  // perf's default: no use_clockid
  auto refused = ClockAlignment::from_capture(info, local_clock);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().hint.find("-k monotonic"), std::string::npos);

  auto no_data = ClockAlignment::from_capture(info, attr_with_clock(CLOCK_MONOTONIC));
  ASSERT_FALSE(no_data.has_value());
  EXPECT_NE(no_data.error().message.find("CLOCK_DATA"), std::string::npos);
}

TEST(ClockAlignment, RefusesWhenClockDataNamesAnotherClock) {
  // perf falls back to monotonic in the attr while CLOCK_DATA names realtime.
  perfdata::CaptureInfo info;
  info.clock_data = perfdata::ClockData{1, CLOCK_REALTIME, 1'000, 1'000};
  auto clock = ClockAlignment::from_capture(info, attr_with_clock(CLOCK_MONOTONIC));
  EXPECT_FALSE(clock.has_value());
}

}  // namespace
}  // namespace spanprof::attribute
