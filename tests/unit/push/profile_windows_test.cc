#include "push/profile_windows.h"

#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "push/profile_cutter.h"
#include "shape_test_util.h"

namespace spanprof::push {
namespace {

using testing::decode_pprof;
using testing::str;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kBase = 1'795'646'270 * kSecond;  // a multiple of 10 s

// Who a synthetic sample belongs to, as the join labels it.
struct Origin {
  uint32_t pid = 7;
  uint32_t tid = 8;
  std::string thread_name = "app";
  std::string service;           // service_name label: the span's resource
  std::string service_namespace;
};

Origin from(uint32_t pid, uint32_t tid, std::string thread_name = "app", std::string service = "",
            std::string service_namespace = "") {
  return Origin{pid, tid, std::move(thread_name), std::move(service), std::move(service_namespace)};
}

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
    // An address the symbolizer found no function for, in the same mapping.
    unsymbolized_ = builder_.add_location(mapping, 0x8000, {});
  }

  // A sample at time t on stack (leaf) i, i+1 with the join's labels.
  void add(ProfileWindows& windows, int64_t t, int stack, const std::string& span_id,
           const Origin& origin = {}, const std::string& span_name = "GET /x",
           bool unsymbolized_leaf = false) {
    std::vector<uint64_t> ids{locations_[stack], locations_[stack + 1]};
    if (unsymbolized_leaf) ids.insert(ids.begin(), unsymbolized_);
    std::vector<profile::Label> labels{{"pid", "", origin.pid, ""},
                                       {"tid", "", origin.tid, ""},
                                       {"thread_name", origin.thread_name, 0, ""}};
    if (!span_id.empty()) {
      labels.push_back({"span_id", span_id, 0, ""});
      labels.push_back({"span_name", span_name, 0, ""});
      labels.push_back({"trace_id", std::string(32, 'a'), 0, ""});
      labels.push_back({"innermost_span_id", span_id, 0, ""});
      if (!origin.service.empty()) labels.push_back({"service_name", origin.service, 0, ""});
      if (!origin.service_namespace.empty()) {
        labels.push_back({"service_namespace", origin.service_namespace, 0, ""});
      }
    }
    int64_t values[2] = {1, 1'000'000};
    builder_.add_sample(ids, labels, values);
    join::SampleEvent event;
    event.unix_ns = t;
    event.period = 1'000'000;
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
  uint64_t unsymbolized_ = 0;
  uint64_t fed_ = 0;
};

WindowOptions window_options(bool span_name = true, bool trace_id = true) {
  return WindowOptions{10 * kSecond, span_name, trace_id};
}

ProfileLimits limits(size_t samples = 16'000, size_t bytes = 4u << 20) {
  return ProfileLimits{samples, bytes};
}

// The profiles of the only series.
std::vector<WindowedProfile> build_one(ProfileWindows& windows, const ProfileLimits& l,
                                       int64_t shift = 0) {
  auto series = windows.assign_series({});
  EXPECT_EQ(series.size(), 1u);
  auto profiles = windows.build(0, shift, l);
  EXPECT_TRUE(profiles) << profiles.error().to_string();
  return profiles ? *profiles : std::vector<WindowedProfile>{};
}

// Profiles of one series tile [first sample, to) of a window starting at
// from: consecutive, distinct starts.
void expect_tiling(const std::vector<WindowedProfile>& profiles, int64_t from, int64_t to) {
  ASSERT_FALSE(profiles.empty());
  EXPECT_GE(profiles.front().start_ns, from);
  EXPECT_LT(profiles.front().start_ns, to);
  EXPECT_EQ(profiles.back().end_ns, to);
  for (size_t i = 0; i < profiles.size(); ++i) {
    pprof::Profile profile = decode_pprof(profiles[i].pprof);
    EXPECT_EQ(profile.time_nanos(), profiles[i].start_ns);
    EXPECT_EQ(profile.duration_nanos(), profiles[i].end_ns - profiles[i].start_ns);
    EXPECT_GT(profiles[i].end_ns, profiles[i].start_ns);
    if (i > 0) {
      EXPECT_EQ(profiles[i].start_ns, profiles[i - 1].end_ns) << i;
    }
  }
}

TEST(ProfileWindowsTest, CutsSamplesIntoWindowsAndKeepsEverySample) {
  ProfileWindows windows(window_options());
  WindowFeeder feeder;
  // 35 s of samples starting 3 s into a window: 4 windows.
  for (int64_t t = 3 * kSecond; t < 38 * kSecond; t += kSecond / 4) {
    feeder.add(windows, kBase + t, static_cast<int>((t / kSecond) % 5), "00000000000000a1");
  }
  feeder.finish(windows);
  auto profiles = build_one(windows, limits());
  ASSERT_EQ(profiles.size(), 4u);
  EXPECT_EQ(windows.window_count(), 4u);
  int64_t total = 0;
  for (size_t i = 0; i < profiles.size(); ++i) {
    const auto& p = profiles[i];
    // A window's profile starts at its first sample (3 s into the first
    // window) and ends at the window's end.
    int64_t window = kBase + static_cast<int64_t>(i) * 10 * kSecond;
    EXPECT_EQ(p.start_ns, i == 0 ? window + 3 * kSecond : window);
    EXPECT_EQ(p.end_ns, window + 10 * kSecond);
    pprof::Profile profile = decode_pprof(p.pprof);
    EXPECT_EQ(profile.time_nanos(), p.start_ns);
    EXPECT_EQ(profile.duration_nanos(), p.end_ns - p.start_ns);
    for (const auto& sample : profile.sample()) total += sample.value(0);
  }
  EXPECT_EQ(total, static_cast<int64_t>(feeder.fed()));
  EXPECT_EQ(windows.samples(), feeder.fed());
  EXPECT_EQ(windows.series_samples(0), feeder.fed());
}

TEST(ProfileWindowsTest, KeepsOnlySpanLabelsAndMergesTheRest) {
  ProfileWindows windows(window_options());
  WindowFeeder feeder;
  // Same stack and span, different tids in the join's view: one pprof sample.
  feeder.add(windows, kBase + 1, 0, "00000000000000a1", from(7, 8, "app", "svc"));
  feeder.add(windows, kBase + 2, 0, "00000000000000a1", from(7, 9, "app", "svc"));
  feeder.add(windows, kBase + 3, 0, "", from(7, 8));
  feeder.finish(windows);
  ServiceNaming naming;
  naming.services_by_pid[7] = {"svc", ""};
  ASSERT_EQ(windows.assign_series(naming), (std::vector<ServiceKey>{{"svc", ""}}));
  auto profiles = windows.build(0, 0, limits());
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
  // service_name becomes the series' label: it is not "dropped".
  EXPECT_EQ(windows.dropped_label_names(),
            (std::vector<std::string>{"innermost_span_id", "pid", "thread_name", "tid"}));
  EXPECT_EQ(windows.labelled_span_ids(), (std::set<std::string>{"00000000000000a1"}));
  // Only the referenced locations, functions and the one mapping are copied.
  EXPECT_EQ(profile.location_size(), 2);
  EXPECT_EQ(profile.function_size(), 2);
  EXPECT_EQ(profile.mapping_size(), 1);
}

TEST(ProfileWindowsTest, SpanNameAndTraceIdLabelsCanBeLeftOut) {
  for (bool span_name : {false, true}) {
    ProfileWindows windows(window_options(span_name, !span_name));
    WindowFeeder feeder;
    feeder.add(windows, kBase + 1, 0, "00000000000000a1");
    feeder.finish(windows);
    auto profiles = build_one(windows, limits());
    ASSERT_EQ(profiles.size(), 1u);
    pprof::Profile profile = decode_pprof(profiles[0].pprof);
    std::set<std::string> keys;
    for (const auto& label : profile.sample(0).label()) keys.insert(str(profile, label.key()));
    EXPECT_EQ(keys.contains("span_name"), span_name);
    EXPECT_EQ(keys.contains("trace_id"), !span_name);
    EXPECT_TRUE(keys.contains("span_id"));
    auto dropped = windows.dropped_label_names();
    EXPECT_EQ(std::find(dropped.begin(), dropped.end(), "span_name") != dropped.end(), !span_name);
  }
}

// A window over the limits is cut by time: Pyroscope keeps one profile per
// (series, time_nanos), so pieces sharing the window's start would be lost.
TEST(ProfileWindowsTest, SplitsAnOverLimitWindowIntoConsecutiveTimeRanges) {
  WindowFeeder feeder;
  ProfileWindows windows(window_options());
  // 30 distinct (stack, span) pairs in one window, 100 ms apart from 1 s on.
  for (int i = 0; i < 30; ++i) {
    feeder.add(windows, kBase + kSecond + i * kSecond / 10, i % 10, fmt::format("{:016x}", i));
  }
  feeder.finish(windows);

  auto by_count = build_one(windows, limits(7));
  EXPECT_GE(by_count.size(), 5u);  // at least ceil(30 / 7)
  uint64_t samples = 0;
  std::set<int64_t> starts;
  for (const auto& p : by_count) {
    EXPECT_LE(p.samples, 7u);
    EXPECT_EQ(decode_pprof(p.pprof).sample_size(), static_cast<int>(p.samples));
    EXPECT_TRUE(starts.insert(p.start_ns).second) << "two profiles start at " << p.start_ns;
    samples += p.events;
  }
  EXPECT_EQ(samples, 30u);
  expect_tiling(by_count, kBase, kBase + 10 * kSecond);
  // A byte limit a few samples wide: the same tiling, every piece under it.
  auto one = build_one(windows, limits(1));
  size_t limit = decode_pprof(one[0].pprof).ByteSizeLong() * 3;
  size_t whole = build_one(windows, limits())[0].pprof.size();
  ASSERT_GT(whole, limit);  // the window did need splitting
  auto by_bytes = build_one(windows, limits(16'000, limit));
  EXPECT_GE(by_bytes.size(), whole / limit + 1);
  samples = 0;
  for (const auto& p : by_bytes) {
    EXPECT_LE(p.pprof.size(), limit);
    samples += p.events;
  }
  EXPECT_EQ(samples, 30u);
  expect_tiling(by_bytes, kBase, kBase + 10 * kSecond);
}

TEST(ProfileWindowsTest, SamplesOfOneInstantOverALimitAreAnError) {
  WindowFeeder feeder;
  ProfileWindows windows(window_options());
  for (int i = 0; i < 10; ++i) feeder.add(windows, kBase + 5, i, fmt::format("{:016x}", i));
  feeder.add(windows, kBase + 6, 0, "");
  feeder.finish(windows);
  windows.assign_series({});
  auto by_count = windows.build(0, 0, limits(3));
  ASSERT_FALSE(by_count);
  EXPECT_NE(by_count.error().message.find("10 samples at one instant"), std::string::npos)
      << by_count.error().message;
  EXPECT_NE(by_count.error().message.find("over the limit of 3"), std::string::npos);
  auto by_bytes = windows.build(0, 0, limits(16'000, 10));
  ASSERT_FALSE(by_bytes);
  EXPECT_NE(by_bytes.error().message.find("over the limit of 10"), std::string::npos)
      << by_bytes.error().message;
  // The same samples fit once the limit allows one instant's worth.
  EXPECT_TRUE(windows.build(0, 0, limits(10)));
}

TEST(ProfileWindowsTest, OneSeriesPerService) {
  WindowFeeder feeder;
  ProfileWindows windows(window_options());
  // In spans: two services, one with a namespace.
  feeder.add(windows, kBase + 1, 0, "00000000000000a1",
             from(7, 8, "app", "cart", "shop"));
  feeder.add(windows, kBase + 2, 1, "00000000000000b1", from(9, 10, "app", "auth"));
  // Outside spans: pid 7 has cart's spans; pid 9's main thread names it; pid
  // 11 has neither (the capture's executable); pid 12's main thread name is
  // the executable's, cut to 15 bytes by the kernel.
  feeder.add(windows, kBase + 3, 2, "", from(7, 8));
  // pid 9 ran "sh" before it exec'd authd: the busier name wins.
  feeder.add(windows, kBase + 3, 6, "", from(9, 9, "sh"));
  feeder.add(windows, kBase + 4, 3, "", from(9, 9, "authd"));
  feeder.add(windows, kBase + 4, 7, "", from(9, 9, "authd"));
  feeder.add(windows, kBase + 5, 4, "", from(11, 13, "worker"));
  feeder.add(windows, kBase + 6, 5, "", from(12, 12, "checkout-servic"));
  feeder.finish(windows);

  ServiceNaming naming;
  naming.services_by_pid[7] = {"cart", "shop"};
  naming.executable_name = "checkout-service-api";
  auto series = windows.assign_series(naming);
  ASSERT_EQ(series, (std::vector<ServiceKey>{{"auth", ""},
                                             {"authd", ""},
                                             {"cart", "shop"},
                                             {"checkout-service-api", ""}}));
  std::vector<uint64_t> expected{1, 3, 2, 2};
  for (size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(windows.series_samples(i), expected[i]) << series[i].service_name;
    auto profiles = windows.build(i, 0, limits());
    ASSERT_TRUE(profiles);
    uint64_t events = 0;
    for (const auto& p : *profiles) events += p.events;
    EXPECT_EQ(events, expected[i]) << series[i].service_name;
  }
  EXPECT_FALSE(windows.build(series.size(), 0, limits()));

  // --service-name: one series for everything.
  naming.forced_service_name = "all";
  ASSERT_EQ(windows.assign_series(naming), (std::vector<ServiceKey>{{"all", ""}}));
  EXPECT_EQ(windows.series_samples(0), feeder.fed());
}

TEST(ProfileWindowsTest, LongSpanNamesAreCutOnACharacterBoundary) {
  WindowFeeder feeder;
  ProfileWindows windows(window_options());
  // 2,047 ASCII bytes then 'é' (2 bytes): the cut must not split it.
  std::string name = std::string(2047, 'a') + "\xc3\xa9" + std::string(100, 'b');
  feeder.add(windows, kBase + 1, 0, "00000000000000a1", {}, name);
  feeder.add(windows, kBase + 2, 0, "00000000000000a1", {}, name);
  feeder.add(windows, kBase + 3, 0, "00000000000000a2", {}, "short");
  feeder.finish(windows);
  auto profiles = build_one(windows, limits());
  ASSERT_EQ(profiles.size(), 1u);
  pprof::Profile profile = decode_pprof(profiles[0].pprof);
  std::set<std::string> names;
  for (const auto& sample : profile.sample()) {
    for (const auto& label : sample.label()) {
      if (str(profile, label.key()) == "span_name") names.insert(str(profile, label.str()));
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{std::string(2047, 'a'), "short"}));
  EXPECT_EQ(windows.span_names_truncated(), 1u);
  EXPECT_EQ(windows.samples_with_truncated_span_name(), 2u);

  EXPECT_EQ(truncate_utf8("abc", 5), "abc");
  EXPECT_EQ(truncate_utf8("ab\xc3\xa9", 3), "ab");
  EXPECT_EQ(truncate_utf8("ab\xe2\x82\xac" "c", 5), "ab\xe2\x82\xac");
}

TEST(ProfileWindowsTest, MappingKeepsHasFunctionsOnlyWhenAllItsLocationsHaveLines) {
  WindowFeeder feeder;
  ProfileWindows windows(window_options());
  feeder.add(windows, kBase + 1, 0, "");                               // window 1: symbolized
  feeder.add(windows, kBase + 10 * kSecond + 1, 0, "", {}, "", true);  // window 2: one address only
  feeder.finish(windows);
  auto profiles = build_one(windows, limits());
  ASSERT_EQ(profiles.size(), 2u);
  pprof::Profile symbolized = decode_pprof(profiles[0].pprof);
  pprof::Profile mixed = decode_pprof(profiles[1].pprof);
  ASSERT_EQ(symbolized.mapping_size(), 1);
  ASSERT_EQ(mixed.mapping_size(), 1);
  EXPECT_TRUE(symbolized.mapping(0).has_functions());
  // The server would clear the addresses of a has_functions mapping.
  EXPECT_FALSE(mixed.mapping(0).has_functions());
  EXPECT_EQ(mixed.location_size(), 3);
}

TEST(ProfileWindowsTest, ShiftMovesWindowStarts) {
  ProfileWindows windows(window_options());
  WindowFeeder feeder;
  feeder.add(windows, kBase + 5 * kSecond, 0, "");
  feeder.finish(windows);
  auto profiles = build_one(windows, limits(), 3600 * kSecond);
  ASSERT_EQ(profiles.size(), 1u);
  EXPECT_EQ(profiles[0].start_ns, kBase + 3605 * kSecond);
  EXPECT_EQ(profiles[0].end_ns, kBase + 3610 * kSecond);
  EXPECT_EQ(decode_pprof(profiles[0].pprof).time_nanos(), kBase + 3605 * kSecond);
}

TEST(ProfileWindowsTest, SamplesWithoutTimeAreCounted) {
  ProfileWindows windows(window_options());
  join::SampleEvent event;
  event.period = 1;
  windows.on_sample(event);
  EXPECT_EQ(windows.samples_without_time(), 1u);
  EXPECT_FALSE(windows.first_ns());
  EXPECT_TRUE(windows.assign_series({}).empty());
  EXPECT_FALSE(windows.build(0, 0, limits(1, 1)).has_value());  // no profile was seen
}

TEST(ProfileWindowsTest, FloorToMultipleRoundsDown) {
  EXPECT_EQ(floor_to_multiple(25, 10), 20);
  EXPECT_EQ(floor_to_multiple(20, 10), 20);
  EXPECT_EQ(floor_to_multiple(-5, 10), -10);
  EXPECT_EQ(floor_to_multiple(-20, 10), -20);
}

TEST(ValidUtf8Test, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
  EXPECT_EQ(valid_utf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(valid_utf8("\xc3"), "\xef\xbf\xbd");                 // cut sequence
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

}  // namespace
}  // namespace spanprof::push
