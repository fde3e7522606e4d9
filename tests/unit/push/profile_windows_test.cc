#include "push/profile_windows.h"

#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "shape_test_util.h"

namespace spanprof::push {
namespace {

using testing::decode_pprof;
using testing::str;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kBase = 1'795'646'270 * kSecond;  // a multiple of 10 s

// Feeds synthetic samples through a real profile builder, as the join does.
class WindowFeeder {
 public:
  WindowFeeder()
      : builder_({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"}, 1'000'000) {
    uint64_t mapping = builder_.add_mapping({0x1000, 0x9000, 0, "/bin/app", "abcd", true, false,
                                             false, false});
    for (int i = 0; i < 40; ++i) {
      symbolize::Frames frames;
      symbolize::Frame frame;
      frame.function = "function_" + std::to_string(i);
      frames.push_back(frame);
      locations_.push_back(builder_.add_location(mapping, 0x1000 + 16 * i, frames));
    }
  }

  // A sample at time t on stack (leaf) i, i+1 with the join's labels.
  void add(ProfileWindows& windows, int64_t t, int stack, const std::string& span_id,
           int64_t period = 1'000'000) {
    std::vector<uint64_t> ids{locations_[stack], locations_[stack + 1]};
    std::vector<profile::Label> labels{{"pid", "", 7, ""}, {"tid", "", 8, ""},
                                       {"thread_name", "app", 0, ""}};
    if (!span_id.empty()) {
      labels.push_back({"span_id", span_id, 0, ""});
      labels.push_back({"span_name", "GET /x", 0, ""});
      labels.push_back({"trace_id", std::string(32, 'a'), 0, ""});
      labels.push_back({"innermost_span_id", span_id, 0, ""});
      labels.push_back({"service_name", "svc", 0, ""});
    }
    int64_t values[2] = {1, period};
    builder_.add_sample(ids, labels, values);
    join::SampleEvent event;
    event.unix_ns = t;
    event.period = period;
    event.location_ids = ids;
    event.labels = labels;
    windows.on_sample(event);
    ++fed_;
  }

  void finish(ProfileWindows& windows) { windows.on_profile(builder_); }
  uint64_t fed() const { return fed_; }

 private:
  profile::ProfileBuilder builder_;
  std::vector<uint64_t> locations_;
  uint64_t fed_ = 0;
};

TEST(ProfileWindowsTest, CutsSamplesIntoAlignedWindowsAndKeepsEverySample) {
  ProfileWindows windows(10 * kSecond, true);
  WindowFeeder feeder;
  // 35 s of samples starting 3 s into a window: 4 windows.
  for (int64_t t = 3 * kSecond; t < 38 * kSecond; t += kSecond / 4) {
    feeder.add(windows, kBase + t, static_cast<int>((t / kSecond) % 5), "00000000000000a1");
  }
  feeder.finish(windows);
  auto profiles = windows.build(0, 16'000, 4u << 20);
  ASSERT_TRUE(profiles) << profiles.error().to_string();
  ASSERT_EQ(profiles->size(), 4u);
  int64_t total = 0;
  for (size_t i = 0; i < profiles->size(); ++i) {
    const auto& p = (*profiles)[i];
    EXPECT_EQ(p.start_ns, kBase + static_cast<int64_t>(i) * 10 * kSecond);
    EXPECT_EQ(p.end_ns - p.start_ns, 10 * kSecond);
    pprof::Profile profile = decode_pprof(p.pprof);
    EXPECT_EQ(profile.time_nanos(), p.start_ns);
    EXPECT_EQ(profile.duration_nanos(), 10 * kSecond);
    for (const auto& sample : profile.sample()) total += sample.value(0);
  }
  EXPECT_EQ(total, static_cast<int64_t>(feeder.fed()));
  EXPECT_EQ(windows.samples(), feeder.fed());
}

TEST(ProfileWindowsTest, KeepsOnlySpanLabelsAndMergesTheRest) {
  ProfileWindows windows(10 * kSecond, true);
  WindowFeeder feeder;
  // Same stack and span, different tids in the join's view: one pprof sample.
  feeder.add(windows, kBase + 1, 0, "00000000000000a1");
  feeder.add(windows, kBase + 2, 0, "00000000000000a1");
  feeder.add(windows, kBase + 3, 0, "");
  feeder.finish(windows);
  auto profiles = windows.build(0, 16'000, 4u << 20);
  ASSERT_TRUE(profiles);
  ASSERT_EQ(profiles->size(), 1u);
  pprof::Profile profile = decode_pprof((*profiles)[0].pprof);
  ASSERT_EQ(profile.sample_size(), 2);
  std::map<std::string, int64_t> by_span;
  for (const auto& sample : profile.sample()) {
    std::string span;
    for (const auto& label : sample.label()) {
      std::string key = str(profile, label.key());
      EXPECT_TRUE(key == "span_id" || key == "trace_id" || key == "span_name") << key;
      if (key == "span_id") span = str(profile, label.str());
    }
    by_span[span] += sample.value(0);
  }
  EXPECT_EQ(by_span["00000000000000a1"], 2);
  EXPECT_EQ(by_span[""], 1);
  EXPECT_EQ(windows.dropped_label_names(),
            (std::vector<std::string>{"innermost_span_id", "pid", "service_name", "thread_name",
                                      "tid"}));
  EXPECT_EQ(windows.dominant_service_name(), "svc");
  EXPECT_EQ(windows.labelled_span_ids(), (std::set<std::string>{"00000000000000a1"}));
  // Only the referenced locations, functions and the one mapping are copied.
  EXPECT_EQ(profile.location_size(), 2);
  EXPECT_EQ(profile.function_size(), 2);
  EXPECT_EQ(profile.mapping_size(), 1);
}

TEST(ProfileWindowsTest, NoSpanNameDropsIt) {
  ProfileWindows windows(10 * kSecond, false);
  WindowFeeder feeder;
  feeder.add(windows, kBase + 1, 0, "00000000000000a1");
  feeder.finish(windows);
  auto profiles = windows.build(0, 16'000, 4u << 20);
  ASSERT_TRUE(profiles);
  pprof::Profile profile = decode_pprof((*profiles)[0].pprof);
  for (const auto& label : profile.sample(0).label()) {
    EXPECT_NE(str(profile, label.key()), "span_name");
  }
  auto dropped = windows.dropped_label_names();
  EXPECT_NE(std::find(dropped.begin(), dropped.end(), "span_name"), dropped.end());
}

TEST(ProfileWindowsTest, SplitsBySampleCountAndBytes) {
  WindowFeeder feeder;
  ProfileWindows windows(10 * kSecond, true);
  // 30 distinct (stack, span) pairs in one window.
  for (int i = 0; i < 30; ++i) {
    feeder.add(windows, kBase + i, i % 10, fmt::format("{:016x}", i));
  }
  feeder.finish(windows);

  auto by_count = windows.build(0, 7, 4u << 20);
  ASSERT_TRUE(by_count);
  EXPECT_EQ(by_count->size(), 5u);  // 7+7+7+7+2
  uint64_t samples = 0;
  for (const auto& p : *by_count) {
    EXPECT_LE(p.samples, 7u);
    EXPECT_EQ(decode_pprof(p.pprof).sample_size(), static_cast<int>(p.samples));
    EXPECT_EQ(p.start_ns, kBase);
    samples += p.events;
  }
  EXPECT_EQ(samples, 30u);

  // A byte limit a few samples wide forces halving.
  size_t one = decode_pprof((*windows.build(0, 1, 4u << 20))[0].pprof).ByteSizeLong();
  size_t limit = one * 3;
  auto by_bytes = windows.build(0, 16'000, limit);
  ASSERT_TRUE(by_bytes) << by_bytes.error().to_string();
  size_t whole = (*windows.build(0, 16'000, 4u << 20))[0].pprof.size();
  ASSERT_GT(whole, limit);  // the window did need splitting
  EXPECT_GE(by_bytes->size(), whole / limit + 1);
  samples = 0;
  for (const auto& p : *by_bytes) {
    EXPECT_LE(p.pprof.size(), limit);
    samples += p.events;
  }
  EXPECT_EQ(samples, 30u);

  auto too_small = windows.build(0, 16'000, 10);
  ASSERT_FALSE(too_small);
  EXPECT_NE(too_small.error().message.find("over the limit"), std::string::npos);
}

TEST(ProfileWindowsTest, ShiftMovesWindowStarts) {
  ProfileWindows windows(10 * kSecond, true);
  WindowFeeder feeder;
  feeder.add(windows, kBase + 5 * kSecond, 0, "");
  feeder.finish(windows);
  auto profiles = windows.build(3600 * kSecond, 16'000, 4u << 20);
  ASSERT_TRUE(profiles);
  EXPECT_EQ((*profiles)[0].start_ns, kBase + 3600 * kSecond);
  EXPECT_EQ(decode_pprof((*profiles)[0].pprof).time_nanos(), kBase + 3600 * kSecond);
}

TEST(ProfileWindowsTest, SamplesWithoutTimeAreCounted) {
  ProfileWindows windows(10 * kSecond, true);
  join::SampleEvent event;
  event.period = 1;
  windows.on_sample(event);
  EXPECT_EQ(windows.samples_without_time(), 1u);
  EXPECT_FALSE(windows.first_ns());
  EXPECT_FALSE(windows.build(0, 1, 1).has_value());  // no profile was seen
}

TEST(ProfileWindowsTest, FloorToMultipleRoundsDown) {
  EXPECT_EQ(floor_to_multiple(25, 10), 20);
  EXPECT_EQ(floor_to_multiple(20, 10), 20);
  EXPECT_EQ(floor_to_multiple(-5, 10), -10);
  EXPECT_EQ(floor_to_multiple(-20, 10), -20);
}

}  // namespace
}  // namespace spanprof::push
