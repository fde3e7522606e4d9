// The off-CPU and wall profiles of a join as push sends them: one
// ProfileWindows per kind, fed synthetic samples through a real profile
// builder laid out as the join's builders write them.
#include "push/profile_kind.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "push/profile_windows.h"
#include "push/series_labels.h"
#include "shape_test_util.h"

namespace spanprof::push {
namespace {

using testing::decode_pprof;
using testing::str;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'795'646'270 * kSecond;  // a multiple of 10 s

// Which thread a sample is on, and its span's resource service ("" none).
struct Who {
  uint32_t pid = 7;
  uint32_t tid = 8;
  std::string thread_name = "app";
  std::string service;
};

// A join's profile of one kind: its builder's sample types, and samples
// handed to a sink with their period in nanoseconds, as the join does.
class KindFeeder {
 public:
  KindFeeder(std::vector<profile::ValueType> types, profile::ValueType period_type)
      : two_values_(types.size() == 2), builder_(std::move(types), std::move(period_type), 1) {
    uint64_t mapping = builder_.add_mapping({0x1000, 0x9000, 0, "/bin/app", "abcd", true, false,
                                             false, false});
    for (const char* name : {"futex_wait", "pool_get", "handler", "compute"}) {
      symbolize::Frames frames(1);
      frames[0].function = name;
      locations_.push_back(builder_.add_location(mapping, 0x1000 + 16 * locations_.size(), frames));
    }
  }

  static KindFeeder off_cpu() {
    return KindFeeder({{"switches", "count"}, {"off_cpu", "nanoseconds"}},
                      {"off_cpu", "nanoseconds"});
  }
  static KindFeeder wall() { return KindFeeder({{"wall", "nanoseconds"}}, {"cpu", "nanoseconds"}); }

  // One piece of an interval (or one CPU sample) of `ns` at time t on the
  // stack futex_wait <- pool_get <- handler (blocked) or compute (on CPU).
  void add(ProfileWindows& windows, int64_t t, int64_t ns, const std::string& span_id,
           const std::string& thread_state, const Who& who = {}) {
    std::vector<uint64_t> ids = thread_state.empty()
                                    ? std::vector<uint64_t>{locations_[3], locations_[2]}
                                    : std::vector<uint64_t>{locations_[0], locations_[1],
                                                            locations_[2]};
    std::vector<profile::Label> labels{{"pid", "", who.pid, ""},
                                       {"tid", "", who.tid, ""},
                                       {"thread_name", who.thread_name, 0, ""}};
    if (!who.service.empty()) labels.push_back({"service_name", who.service, 0, ""});
    if (!span_id.empty()) {
      labels.push_back({"span_id", span_id, 0, ""});
      labels.push_back({"span_name", "GET /x", 0, ""});
      labels.push_back({"trace_id", std::string(32, 'a'), 0, ""});
    }
    if (!thread_state.empty()) labels.push_back({"thread_state", thread_state, 0, ""});
    std::vector<int64_t> values{1, ns};
    if (two_values_) {
      builder_.add_sample(ids, labels, values);
    } else {
      builder_.add_sample(ids, labels, std::span<const int64_t>(values).subspan(1));
    }
    join::SampleEvent event;
    event.unix_ns = t;
    event.period = ns;
    event.location_ids = ids;
    event.labels = labels;
    windows.on_sample(event);
  }

  void finish(ProfileWindows& windows) { windows.on_profile(builder_); }

 private:
  bool two_values_;  // samples/count + ...: {1, ns}; one type: {ns}
  profile::ProfileBuilder builder_;
  std::vector<uint64_t> locations_;
};

WindowOptions options_for(ProfileKind kind) { return WindowOptions{10 * kSecond, true, true, kind}; }

std::vector<WindowedProfile> build_only_series(ProfileWindows& windows,
                                               const ServiceNaming& naming = {}) {
  auto series = windows.assign_series(naming);
  EXPECT_EQ(series.size(), 1u);
  auto profiles = windows.build(0, 0, ProfileLimits{16'000, 4u << 20});
  EXPECT_TRUE(profiles) << profiles.error().to_string();
  return profiles ? *profiles : std::vector<WindowedProfile>{};
}

std::map<std::string, std::string> labels_of(const pprof::Profile& profile,
                                             const pprof::Sample& sample) {
  std::map<std::string, std::string> out;
  for (const auto& label : sample.label()) out[str(profile, label.key())] = str(profile, label.str());
  return out;
}

TEST(ProfileKindsTest, OffCpuKeepsItsSampleTypesAndThreadStateAndHasNoPeriodType) {
  ProfileWindows windows(options_for(ProfileKind::kOffCpu));
  KindFeeder feeder = KindFeeder::off_cpu();
  // Two windows: 40 ms blocked and 5 ms waiting for a CPU in the first, an
  // interval cut at the window boundary's far side in the second.
  feeder.add(windows, kBase + 1 * kSecond, 30 * kMs, "00000000000000a1", "blocked_io");
  feeder.add(windows, kBase + 2 * kSecond, 10 * kMs, "00000000000000a1", "blocked_io");
  feeder.add(windows, kBase + 3 * kSecond, 5 * kMs, "00000000000000a1", "runnable");
  feeder.add(windows, kBase + 12 * kSecond, 70 * kMs, "", "sleeping");
  feeder.finish(windows);
  std::vector<WindowedProfile> profiles = build_only_series(windows);
  ASSERT_EQ(profiles.size(), 2u);
  EXPECT_EQ(profiles[0].start_ns, kBase + 1 * kSecond);
  EXPECT_EQ(profiles[0].end_ns, kBase + 10 * kSecond);
  EXPECT_EQ(profiles[1].start_ns, kBase + 12 * kSecond);
  EXPECT_EQ(profiles[0].events, 3u);

  pprof::Profile first = decode_pprof(profiles[0].pprof);
  ASSERT_EQ(first.sample_type_size(), 2);
  EXPECT_EQ(str(first, first.sample_type(0).type()), "switches");
  EXPECT_EQ(str(first, first.sample_type(0).unit()), "count");
  EXPECT_EQ(str(first, first.sample_type(1).type()), "off_cpu");
  EXPECT_EQ(str(first, first.sample_type(1).unit()), "nanoseconds");
  // off_cpu:off_cpu:nanoseconds:: on the server, the OTel eBPF profiler's id.
  EXPECT_FALSE(first.has_period_type());
  EXPECT_EQ(first.period(), 0);
  std::map<std::string, std::pair<int64_t, int64_t>> by_state;
  for (const auto& sample : first.sample()) {
    auto labels = labels_of(first, sample);
    EXPECT_EQ(labels["span_id"], "00000000000000a1");
    for (const auto& [key, value] : labels) {
      EXPECT_TRUE(key == "span_id" || key == "trace_id" || key == "span_name" ||
                  key == "thread_state")
          << key;
    }
    ASSERT_EQ(sample.value_size(), 2);
    by_state[labels["thread_state"]].first += sample.value(0);
    by_state[labels["thread_state"]].second += sample.value(1);
  }
  // Same stack, span and state: one pprof sample, pieces counted, ns summed.
  EXPECT_EQ(by_state["blocked_io"], (std::pair<int64_t, int64_t>{2, 40 * kMs}));
  EXPECT_EQ(by_state["runnable"], (std::pair<int64_t, int64_t>{1, 5 * kMs}));
  EXPECT_EQ(first.sample_size(), 2);
  pprof::Profile second = decode_pprof(profiles[1].pprof);
  ASSERT_EQ(second.sample_size(), 1);
  EXPECT_EQ(labels_of(second, second.sample(0))["thread_state"], "sleeping");
  EXPECT_EQ(second.sample(0).value(1), 70 * kMs);

  EXPECT_EQ(windows.dropped_label_names(),
            (std::vector<std::string>{"pid", "thread_name", "tid"}));
  EXPECT_EQ(windows.labelled_span_ids(), (std::set<std::string>{"00000000000000a1"}));
}

// A 25 s sleep that starts 5 s before a window's end: 5 s, 10 s and 10 s go
// to the three windows it covers (not 25 s to the first), its switch to the
// first only.
TEST(ProfileKindsTest, AnOffCpuPieceLongerThanItsWindowIsSharedByTheWindowsItCovers) {
  ProfileWindows windows(options_for(ProfileKind::kOffCpu));
  KindFeeder feeder = KindFeeder::off_cpu();
  feeder.add(windows, kBase + 5 * kSecond, 25 * kSecond, "00000000000000a1", "sleeping");
  feeder.finish(windows);
  std::vector<WindowedProfile> profiles = build_only_series(windows);
  ASSERT_EQ(profiles.size(), 3u);
  const int64_t expected_ns[] = {5 * kSecond, 10 * kSecond, 10 * kSecond};
  const int64_t expected_switches[] = {1, 0, 0};
  for (size_t i = 0; i < 3; ++i) {
    pprof::Profile profile = decode_pprof(profiles[i].pprof);
    ASSERT_EQ(profile.sample_size(), 1) << i;
    EXPECT_EQ(profile.sample(0).value(1), expected_ns[i]) << i;
    EXPECT_EQ(profile.sample(0).value(0), expected_switches[i]) << i;
  }
  EXPECT_EQ(profiles[1].start_ns, kBase + 10 * kSecond);
}

TEST(ProfileKindsTest, WallHasOneValueAndTheWallPeriodType) {
  ProfileWindows windows(options_for(ProfileKind::kWall));
  KindFeeder feeder = KindFeeder::wall();
  // A CPU sample weighted by its period (the join labels it running), and an
  // off-CPU interval.
  feeder.add(windows, kBase + 1 * kSecond, 1 * kMs, "00000000000000b2", "");
  feeder.add(windows, kBase + 1 * kSecond + 1, 40 * kMs, "00000000000000b2", "blocked_io");
  feeder.finish(windows);
  std::vector<WindowedProfile> profiles = build_only_series(windows);
  ASSERT_EQ(profiles.size(), 1u);
  pprof::Profile profile = decode_pprof(profiles[0].pprof);
  ASSERT_EQ(profile.sample_type_size(), 1);
  EXPECT_EQ(str(profile, profile.sample_type(0).type()), "wall");
  EXPECT_EQ(str(profile, profile.sample_type(0).unit()), "nanoseconds");
  // wall:wall:nanoseconds:wall:nanoseconds, as Java's wall profiles.
  ASSERT_TRUE(profile.has_period_type());
  EXPECT_EQ(str(profile, profile.period_type().type()), "wall");
  EXPECT_EQ(str(profile, profile.period_type().unit()), "nanoseconds");
  std::map<std::string, int64_t> by_state;
  for (const auto& sample : profile.sample()) {
    ASSERT_EQ(sample.value_size(), 1);
    by_state[labels_of(profile, sample)["thread_state"]] += sample.value(0);
  }
  EXPECT_EQ(by_state, (std::map<std::string, int64_t>{{"", 1 * kMs}, {"blocked_io", 40 * kMs}}));
  EXPECT_EQ(windows.dropped_label_names(),
            (std::vector<std::string>{"pid", "thread_name", "tid"}));
}

TEST(ProfileKindsTest, CpuKeepsTheJoinsPeriodTypeAndDropsThreadState) {
  // (A CPU sample carries no thread_state; one that did would lose it, and
  // the profile would hold no thread_state string.)
  ProfileWindows windows(options_for(ProfileKind::kCpu));
  KindFeeder feeder({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"});
  feeder.add(windows, kBase + 1, 1 * kMs, "00000000000000c3", "sleeping");
  feeder.finish(windows);
  std::vector<WindowedProfile> profiles = build_only_series(windows);
  ASSERT_EQ(profiles.size(), 1u);
  pprof::Profile profile = decode_pprof(profiles[0].pprof);
  EXPECT_EQ(str(profile, profile.period_type().type()), "cpu");
  EXPECT_EQ(profile.period(), 1);
  ASSERT_EQ(profile.sample_size(), 1);
  EXPECT_EQ(profile.sample(0).value_size(), 2);
  EXPECT_FALSE(labels_of(profile, profile.sample(0)).contains("thread_state"));
  for (const std::string& s : profile.string_table()) EXPECT_NE(s, "thread_state");
  std::vector<std::string> dropped = windows.dropped_label_names();
  EXPECT_NE(std::find(dropped.begin(), dropped.end(), "thread_state"), dropped.end());
}

TEST(ProfileKindsTest, AProcessGoesToTheServiceItsCpuSamplesNamed) {
  // pid 7's CPU samples: its main thread "app-main" outside spans, a worker
  // in a span of "checkout". Its off-CPU samples are all the worker's, outside
  // spans: on their own they would name the process by the executable, but
  // they go where its CPU samples went.
  ProfileWindows cpu(options_for(ProfileKind::kCpu));
  KindFeeder cpu_feeder({{"samples", "count"}, {"cpu", "nanoseconds"}}, {"cpu", "nanoseconds"});
  cpu_feeder.add(cpu, kBase + 1, 1 * kMs, "", "", {7, 7, "app-main", ""});
  cpu_feeder.add(cpu, kBase + 2, 1 * kMs, "00000000000000d4", "", {7, 8, "worker", "checkout"});
  // pid 9 ran only in spans: named all the same, for its samples elsewhere.
  cpu_feeder.add(cpu, kBase + 3, 1 * kMs, "00000000000000d5", "", {9, 9, "other", "checkout"});
  cpu_feeder.finish(cpu);
  ProfileWindows off_cpu(options_for(ProfileKind::kOffCpu));
  KindFeeder off_feeder = KindFeeder::off_cpu();
  off_feeder.add(off_cpu, kBase + 4, 5 * kMs, "", "sleeping", {7, 8, "worker", ""});
  off_feeder.finish(off_cpu);

  ServiceNaming naming;
  naming.executable_name = "the-real-app";
  EXPECT_EQ(off_cpu.assign_series(naming), (std::vector<ServiceKey>{{"the-real-app", ""}}));
  naming.process_services = cpu.process_services(naming);
  EXPECT_EQ(naming.process_services,
            (std::map<uint32_t, ServiceKey>{{7, {"app-main", ""}}, {9, {"other", ""}}}));
  EXPECT_EQ(off_cpu.assign_series(naming), (std::vector<ServiceKey>{{"app-main", ""}}));
  // The span's resource and --service-name still come first.
  naming.services_by_pid[7] = {"cart", "shop"};
  EXPECT_EQ(off_cpu.assign_series(naming), (std::vector<ServiceKey>{{"cart", "shop"}}));
  naming.forced_service_name = "forced";
  EXPECT_EQ(off_cpu.assign_series(naming), (std::vector<ServiceKey>{{"forced", ""}}));
}

TEST(ProfileKindsTest, SelectionParsesTheFlagsList) {
  auto all = parse_profile_selection("");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->to_string(), "cpu,off-cpu,wall");
  auto cpu = parse_profile_selection("cpu");
  ASSERT_TRUE(cpu);
  EXPECT_TRUE(cpu->has(ProfileKind::kCpu));
  EXPECT_FALSE(cpu->has(ProfileKind::kOffCpu));
  EXPECT_FALSE(cpu->has(ProfileKind::kWall));
  auto two = parse_profile_selection("wall,off-cpu");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->to_string(), "off-cpu,wall");
  for (const char* bad : {"gpu", "cpu,", ",wall", "off_cpu"}) {
    auto parsed = parse_profile_selection(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().where, "--profiles") << bad;
    EXPECT_NE(parsed.error().hint.find("cpu, off-cpu, wall"), std::string::npos) << bad;
  }
  auto twice = parse_profile_selection("cpu,wall,cpu");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("\"cpu\" twice"), std::string::npos);
}

TEST(ProfileKindsTest, KindsNameTheirSeriesAndBatches) {
  EXPECT_STREQ(kind_info(ProfileKind::kCpu).metric_name, "process_cpu");
  EXPECT_STREQ(kind_info(ProfileKind::kOffCpu).metric_name, "off_cpu");
  EXPECT_STREQ(kind_info(ProfileKind::kWall).metric_name, "wall");
  std::set<std::string> suffixes;
  for (const ProfileKindInfo& info : profile_kinds()) suffixes.insert(info.batch_suffix);
  EXPECT_EQ(suffixes, (std::set<std::string>{"profile", "offcpu", "wall"}));
  EXPECT_EQ(profile_kinds().front().kind, ProfileKind::kCpu);
}

TEST(ProfileKindsTest, OffCpuSeriesLabelsCountThreadStateAndReserveIt) {
  SeriesLabelInputs inputs;
  inputs.metric_name = "off_cpu";
  inputs.service_name = "cart";
  inputs.kept_label = "thread_state";
  auto labels = series_labels(inputs);
  ASSERT_TRUE(labels) << labels.error().to_string();
  EXPECT_EQ(*labels, (LabelList{{"__name__", "off_cpu"}, {"service_name", "cart"}}));

  // __name__, service_name, span_name and thread_state leave 26 names.
  for (int i = 0; i < 26; ++i) inputs.user_labels.emplace_back("l" + std::to_string(i), "v");
  EXPECT_TRUE(series_labels(inputs));
  inputs.user_labels.emplace_back("one_more", "v");
  auto over = series_labels(inputs);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().message.find("thread_state"), std::string::npos) << over.error().message;
  inputs.kept_label.clear();
  EXPECT_TRUE(series_labels(inputs));

  SeriesLabelInputs clash;
  clash.service_name = "cart";
  clash.user_labels = {{"thread_state", "x"}};
  auto refused = series_labels(clash);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("per-sample label"), std::string::npos);
}

}  // namespace
}  // namespace spanprof::push
