#include "profile/profile_text.h"

#include <gtest/gtest.h>

#include "profile/gzip.h"
#include "profile/profile_builder.h"
#include "profile_test_util.h"

namespace spanprof::profile {
namespace {

using testing::frame;
using testing::num_label;
using testing::str_label;

// Two builds of the same program: different addresses, same source lines.
std::string demo_profile(uint64_t address_shift) {
  ProfileBuilder builder({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"},
                         1'001'001);
  builder.set_time_nanos(static_cast<int64_t>(address_shift) + 1);  // must not show
  uint64_t exe = builder.add_mapping(testing::mapping(
      0x55550000 + address_shift, 0x55560000 + address_shift, 0x1000, "/build/x/spanprof-demo"));
  uint64_t lib = builder.add_mapping(
      testing::mapping(0x7f0000000000, 0x7f0000010000, 0x2000, "/build/x/libdemo_work.so"));
  uint64_t parse =
      builder.add_location(exe, 0x55551234 + address_shift,
                           {frame("demo::decode_varint", "/src/demo/workloads.cc", 21),
                            frame("demo::parse_records", "/src/demo/workloads.cc", 48)});
  uint64_t parse_other_pc =
      builder.add_location(exe, 0x55551238 + address_shift,
                           {frame("demo::decode_varint", "/src/demo/workloads.cc", 21),
                            frame("demo::parse_records", "/src/demo/workloads.cc", 48)});
  uint64_t main_loc = builder.add_location(exe, 0x55552000 + address_shift,
                                           {frame("main", "/src/demo/main.cc", 70)});
  uint64_t raw = builder.add_location(lib, 0x7f0000000400, {});
  uint64_t no_mapping = builder.add_location(0, 0xdead, {});

  Label worker[] = {str_label("thread_name", "worker-1"), num_label("tid", 101)};
  Label main_thread[] = {num_label("tid", 100, "id"), str_label("thread_name", "main")};
  int64_t one[] = {1, 1'001'001};
  int64_t three[] = {3, 3'003'003};
  uint64_t parse_stack[] = {parse, main_loc};
  uint64_t parse_stack_other_pc[] = {parse_other_pc, main_loc};
  uint64_t raw_stack[] = {raw, no_mapping, main_loc};
  builder.add_sample(parse_stack, worker, three);
  builder.add_sample(parse_stack_other_pc, worker, one);
  builder.add_sample(raw_stack, main_thread, one);
  auto bytes = builder.serialize();
  EXPECT_TRUE(bytes);
  return bytes ? *bytes : std::string();
}

constexpr std::string_view kExpected =
    "sample_types: samples/count cpu/nanoseconds\n"
    "period_type: cpu/nanoseconds\n"
    "period: 1001001\n"
    "totals: 5 5005005\n"
    "samples: 2\n"
    "\n"
    "sample: 1 1001001\n"
    "  labels: thread_name=\"main\" tid=100 id\n"
    "  0x2400 libdemo_work.so\n"
    "  0xdead ?\n"
    "  main main.cc:70\n"
    "\n"
    "sample: 4 4004004\n"
    "  labels: thread_name=\"worker-1\" tid=101\n"
    "  [inline] demo::decode_varint workloads.cc:21\n"
    "  demo::parse_records workloads.cc:48\n"
    "  main main.cc:70\n";

TEST(ProfileText, RendersSortedStableText) {
  auto text = profile_to_text(demo_profile(0));
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, kExpected);
}

TEST(ProfileText, AcceptsGzipAndIgnoresAddressesOfSymbolizedFrames) {
  auto gz = gzip_compress(demo_profile(0x10000));
  ASSERT_TRUE(gz);
  auto text = profile_to_text(*gz);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, kExpected);
}

TEST(ProfileText, RejectsGarbage) {
  EXPECT_FALSE(profile_to_text("\x1f\x8b not gzip"));
  EXPECT_FALSE(profile_to_text("\xff\xff\xff\xff not a protobuf"));
}

TEST(ProfileText, RejectsDanglingLocation) {
  pprof::Profile profile;
  profile.add_string_table("");
  auto* sample = profile.add_sample();
  sample->add_location_id(5);
  auto text = profile_to_text(profile.SerializeAsString());
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("unknown location 5"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::profile
