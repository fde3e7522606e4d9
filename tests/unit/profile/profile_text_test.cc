#include "profile/profile_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

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

// fuzz: sample_values_overflow_int64. Sums are checked, not wrapped (UB).
TEST(ProfileText, RejectsSampleValuesWhoseSumOverflows) {
  pprof::Profile profile;
  for (const char* text : {"", "cpu", "nanoseconds"}) profile.add_string_table(text);
  auto* type = profile.add_sample_type();
  type->set_type(1);
  type->set_unit(2);
  profile.add_sample()->add_value(INT64_MAX);
  profile.add_sample()->add_value(1);
  auto text = profile_to_text(profile.SerializeAsString());
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "sum of cpu/nanoseconds sample values overflows int64");

  profile.mutable_sample(1)->set_value(0, -1);
  auto fits = profile_to_text(profile.SerializeAsString());
  ASSERT_TRUE(fits) << fits.error().to_string();
  EXPECT_NE(fits->find("totals: 9223372036854775806\n"), std::string::npos) << *fits;
}

// fuzz: quadratic_output_123_bytes.pb.gz. Samples name locations by id, so the
// text can grow as (location references) x (lines per location): bounded.
TEST(ProfileText, BoundsTextOfRepeatedDeepLocations) {
  pprof::Profile profile;
  for (const std::string& text : {std::string(), std::string("f"), std::string(1000, 'n')}) {
    profile.add_string_table(text);
  }
  auto* function = profile.add_function();
  function->set_id(1);
  function->set_name(2);
  auto* location = profile.add_location();
  location->set_id(1);
  for (int i = 0; i < 1000; ++i) location->add_line()->set_function_id(1);
  // 1000 samples x 100 references x 1000 lines of 1 KB: 100 GB of text from ~120 KB.
  for (int s = 0; s < 1000; ++s) {
    auto* sample = profile.add_sample();
    for (int i = 0; i < 100; ++i) sample->add_location_id(1);
  }
  std::string bytes = profile.SerializeAsString();
  EXPECT_LT(bytes.size(), 200'000u);
  auto text = profile_to_text(bytes);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("profile text would exceed 64 MiB"), std::string::npos)
      << text.error().message;

  // The same location, named a sensible number of times, renders.
  profile.clear_sample();
  profile.add_sample()->add_location_id(1);
  auto small = profile_to_text(profile.SerializeAsString());
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_GT(small->size(), 1000u * 1000u);

  // Labels name strings by index too: 100000 of them naming the 1 KB string.
  auto* labeled = profile.add_sample();
  for (int i = 0; i < 100'000; ++i) labeled->add_label()->set_key(2);
  auto labels = profile_to_text(profile.SerializeAsString());
  ASSERT_FALSE(labels);
  EXPECT_NE(labels.error().message.find("would exceed"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::profile
