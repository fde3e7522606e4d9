// SchedSwitchFormat: sched_switch's fields read where the capture's own
// format puts them, every read checked, every refusal a one-line error.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "offcpu/sched_switch_format.h"
#include "offcpu/switch_pairing.h"

namespace spanprof::offcpu {
namespace {

// The format of this kernel (6.18, x86-64): tracefs events/sched/sched_switch/format.
perfdata::TracepointFormat sched_switch(uint32_t prev_state_size = 8) {
  perfdata::TracepointFormat format;
  format.system = "sched";
  format.name = "sched_switch";
  format.id = 372;
  format.fields = {{"common_type", 0, 2, false},  {"common_flags", 2, 1, false},
                   {"common_preempt_count", 3, 1, false}, {"common_pid", 4, 4, true},
                   {"prev_comm", 8, 16, false},   {"prev_pid", 24, 4, true},
                   {"prev_prio", 28, 4, true},    {"prev_state", 32, prev_state_size, true},
                   {"next_comm", 40, 16, false},  {"next_pid", 56, 4, true},
                   {"next_prio", 60, 4, true}};
  return format;
}

template <class T>
void put(std::vector<std::byte>& raw, size_t offset, T value) {
  std::memcpy(raw.data() + offset, &value, sizeof value);
}

std::vector<std::byte> record(uint16_t type, uint32_t prev_pid, int64_t prev_state,
                              uint32_t next_pid) {
  std::vector<std::byte> raw(68);  // perf pads the raw record to 8 bytes with its u32 size
  put(raw, 0, type);
  put(raw, 24, prev_pid);
  put(raw, 32, prev_state);
  put(raw, 56, next_pid);
  return raw;
}

TEST(SchedSwitchFormat, ReadsTheFieldsWhereTheFormatSays) {
  perfdata::TracepointFormat other;
  other.system = "sched";
  other.name = "sched_wakeup";
  auto format = SchedSwitchFormat::find({other, sched_switch()});
  ASSERT_TRUE(format.has_value()) << format.error().to_string();
  EXPECT_EQ(format->id(), 372u);
  auto fields = format->decode(record(372, 8213, 0x100, 8210));
  ASSERT_TRUE(fields.has_value()) << fields.error().to_string();
  EXPECT_EQ(fields->prev_pid, 8213u);
  EXPECT_EQ(fields->next_pid, 8210u);
  EXPECT_EQ(fields->prev_state, 0x100u);
  EXPECT_EQ(state_from_prev_state(fields->prev_state), ThreadState::kRunnable);
}

TEST(SchedSwitchFormat, AFourBytePrevStateIsRead) {
  auto format = SchedSwitchFormat::find({sched_switch(4)});
  ASSERT_TRUE(format.has_value());
  auto fields = format->decode(record(372, 7, 2, 8));
  ASSERT_TRUE(fields.has_value());
  EXPECT_EQ(fields->prev_state, 2u);
}

TEST(SchedSwitchFormat, RefusesACaptureWithoutTheEventOrItsFields) {
  auto none = SchedSwitchFormat::find({});
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().to_string().find("no sched:sched_switch format"), std::string::npos);
  EXPECT_NE(none.error().hint.find("--off-cpu"), std::string::npos);

  perfdata::TracepointFormat without = sched_switch();
  std::erase_if(without.fields, [](const auto& f) { return f.name == "prev_state"; });
  auto missing = SchedSwitchFormat::find({without});
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("no field prev_state"), std::string::npos);

  auto odd = SchedSwitchFormat::find({sched_switch(2)});
  ASSERT_FALSE(odd.has_value());
  EXPECT_NE(odd.error().message.find("prev_state is 2 bytes"), std::string::npos);
}

TEST(SchedSwitchFormat, RefusesShortRecordsAndOtherEvents) {
  auto format = SchedSwitchFormat::find({sched_switch()});
  ASSERT_TRUE(format.has_value());
  std::vector<std::byte> raw = record(372, 7, 1, 8);
  raw.resize(59);  // next_pid needs [56, 60)
  auto short_record = format->decode(raw);
  ASSERT_FALSE(short_record.has_value());
  EXPECT_NE(short_record.error().message.find("[56, 60)"), std::string::npos);
  EXPECT_FALSE(format->decode({}).has_value());
  auto other = format->decode(record(371, 7, 1, 8));
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("tracepoint 371"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::offcpu
