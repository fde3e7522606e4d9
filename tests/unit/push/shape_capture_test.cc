// shape_capture on the committed demo capture (perf.data + spans.jsonl): the
// join's samples, windowed and shaped, must all arrive in the outbox batches.
#include "push/push_plan.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>
#include <simdjson.h>

#include "otlp_trace.pb.h"
#include "push/outbox.h"
#include "push/push_state.h"
#include "pyroscope_push.pb.h"
#include "shape_test_util.h"

namespace spanprof::push {
namespace {

namespace fs = std::filesystem;
using testing::decode_pprof;
using testing::is_lower_hex;
using testing::read_file;
using testing::ScratchDir;
using testing::str;
using testing::write_file;

const fs::path kDemo = fs::path(SPANPROF_SOURCE_ROOT) / "testdata/captures/demo-spans";
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kWindow = 250 * kMs;  // the demo capture lasts about a second

struct Reference {
  uint64_t samples = 0;
  int64_t weight = 0;
  int64_t start_ns = 0;
};

join::JoinOptions demo_join_options() {
  join::JoinOptions options;
  options.symbolizer.build_id_cache_dir = (kDemo / "buildid").string();
  options.kernel_symbols = join::KernelSymbols::kNever;
  return options;
}

// `spanprof join` of the demo capture, as the golden test runs it.
const Reference& reference() {
  static Reference ref = [] {
    ScratchDir out;
    join::JoinOptions options = demo_join_options();
    options.perf_data_path = (kDemo / "perf.data").string();
    options.span_files = {(kDemo / "spans.jsonl").string()};
    options.output_path = (out.path() / "profile.pb.gz").string();
    auto report = join::run_join(options);
    EXPECT_TRUE(report) << report.error().to_string();
    Reference r;
    if (report) {
      r.samples = report->samples;
      r.weight = report->total_weight;
      r.start_ns = report->start_unix_ns.value_or(0);
    }
    return r;
  }();
  return ref;
}

// RFC 4122 version 4, lower case: 8-4-4-4-12 hex digits.
bool is_uuid4(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (id[i] == '-')) return false;
    if (!dash && !is_lower_hex(std::string(1, id[i]), 1)) return false;
  }
  return id[14] == '4' && std::string("89ab").find(id[19]) != std::string::npos;
}

struct Pushed {
  std::vector<BatchInfo> batches;
  std::vector<pyroscope::PushRequest> requests;
  std::vector<pprof::Profile> profiles;
  std::vector<otlp::Span> spans;
};

class ShapeCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy_file(kDemo / "perf.data", dir_.path() / "perf.data");
    fs::copy_file(kDemo / "spans.jsonl", dir_.path() / "spans.jsonl");
    options_.join = demo_join_options();
    options_.limits.window_ns = kWindow;
    options_.labels = {{"env", "test"}};
    options_.now_unix_ns = reference().start_ns + 60'000 * kMs;
  }

  std::string dir() const { return dir_.path().string(); }

  Pushed read_outbox() {
    Pushed pushed;
    Outbox outbox(dir());
    auto pending = outbox.pending();
    EXPECT_TRUE(pending);
    if (!pending) return pushed;
    pushed.batches = *pending;
    for (const BatchInfo& info : *pending) {
      auto body = outbox.read_body(info);
      EXPECT_TRUE(body);
      if (!body) continue;
      EXPECT_EQ(body->size(), info.body_bytes);
      if (info.kind == BatchKind::kPyroscopePush) {
        pyroscope::PushRequest request;
        EXPECT_TRUE(request.ParseFromString(*body));
        uint64_t samples = 0;
        for (const auto& series : request.series()) {
          for (const auto& raw : series.samples()) {
            pushed.profiles.push_back(decode_pprof(raw.raw_profile()));
            samples += static_cast<uint64_t>(pushed.profiles.back().sample_size());
          }
        }
        EXPECT_EQ(samples, info.samples);
        pushed.requests.push_back(std::move(request));
      } else if (info.kind == BatchKind::kPyroscopeIngest) {
        pushed.profiles.push_back(decode_pprof(*body));
        EXPECT_EQ(info.profiles, 1u);
      } else {
        otlp::ExportTraceServiceRequest request;
        EXPECT_TRUE(request.ParseFromString(*body));
        uint64_t spans = 0;
        for (const auto& rs : request.resource_spans()) {
          for (const auto& ss : rs.scope_spans()) {
            for (const auto& span : ss.spans()) pushed.spans.push_back(span), ++spans;
          }
        }
        EXPECT_EQ(spans, info.spans);
      }
    }
    return pushed;
  }

  // Every profile follows the rules; returns the span ids of its samples.
  std::set<std::string> check_profiles(const Pushed& pushed, size_t max_samples) {
    std::set<std::string> span_ids;
    uint64_t samples = 0;
    int64_t weight = 0;
    for (const pprof::Profile& profile : pushed.profiles) {
      // A range inside one window (the whole window unless it was split).
      EXPECT_GT(profile.duration_nanos(), 0);
      EXPECT_EQ(profile.time_nanos() / kWindow,
                (profile.time_nanos() + profile.duration_nanos() - 1) / kWindow);
      EXPECT_LE(static_cast<size_t>(profile.sample_size()), max_samples);
      EXPECT_LE(profile.ByteSizeLong(), options_.limits.max_profile_bytes);
      EXPECT_EQ(str(profile, profile.sample_type(1).type()), "cpu");
      for (const auto& sample : profile.sample()) {
        samples += static_cast<uint64_t>(sample.value(0));
        weight += sample.value(1);
        for (const auto& label : sample.label()) {
          const std::string& key = str(profile, label.key());
          const std::string& value = str(profile, label.str());
          if (key == "span_id") {
            EXPECT_TRUE(is_lower_hex(value, 16)) << value;
            span_ids.insert(value);
          } else if (key == "trace_id") {
            EXPECT_TRUE(is_lower_hex(value, 32)) << value;
          } else {
            EXPECT_EQ(key, "span_name");
            EXPECT_TRUE(options_.span_name_label);
          }
        }
      }
    }
    EXPECT_EQ(samples, reference().samples);
    EXPECT_EQ(weight, reference().weight);
    return span_ids;
  }

  ScratchDir dir_;
  ShapeOptions options_;
};

TEST_F(ShapeCaptureTest, PushBatchesHoldEveryJoinedSampleInWindows) {
  ASSERT_GT(reference().samples, 0u);
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->samples, reference().samples);
  EXPECT_EQ(report->shift_ns, 0);
  EXPECT_GE(report->windows, 2u);
  for (const char* name : {"pid", "tid", "thread_name", "innermost_span_id"}) {
    EXPECT_NE(std::find(report->dropped_label_names.begin(), report->dropped_label_names.end(),
                        name),
              report->dropped_label_names.end())
        << name;
  }

  Pushed pushed = read_outbox();
  EXPECT_EQ(report->batches, pushed.batches.size());
  EXPECT_EQ(report->profiles, pushed.profiles.size());
  // Profiles first, then the spans that link to them.
  ASSERT_FALSE(pushed.batches.empty());
  EXPECT_EQ(pushed.batches.front().kind, BatchKind::kPyroscopePush);
  EXPECT_EQ(pushed.batches.back().kind, BatchKind::kOtlpTraces);
  EXPECT_EQ(pushed.batches.front().path_and_query, "/push.v1.PusherService/Push");
  EXPECT_EQ(pushed.batches.front().content_type, "application/proto");

  std::set<std::string> ids;
  for (const auto& request : pushed.requests) {
    ASSERT_EQ(request.series_size(), 1);
    std::vector<std::pair<std::string, std::string>> labels;
    for (const auto& label : request.series(0).labels()) labels.emplace_back(label.name(), label.value());
    EXPECT_EQ(labels, (std::vector<std::pair<std::string, std::string>>{
                          {"__name__", "process_cpu"}, {"service_name", "spanprof-demo"},
                          {"env", "test"}}));
    for (const auto& raw : request.series(0).samples()) {
      EXPECT_TRUE(is_uuid4(raw.id())) << raw.id();
      EXPECT_TRUE(ids.insert(raw.id()).second);
    }
  }
  std::set<std::string> span_ids = check_profiles(pushed, options_.limits.max_samples);
  EXPECT_FALSE(span_ids.empty());

  // Spans: all forwarded; pyroscope.profile.id on exactly those pushed as span_id,
  // which with the default scope are local roots.
  EXPECT_EQ(pushed.spans.size(), report->spans_forwarded);
  std::set<std::string> marked;
  for (const auto& span : pushed.spans) {
    for (const auto& attribute : span.attributes()) {
      if (attribute.key() != "pyroscope.profile.id") continue;
      marked.insert(attribute.value().string_value());
      EXPECT_TRUE(span.parent_span_id().empty()) << span.name();
    }
  }
  EXPECT_EQ(marked, span_ids);
  EXPECT_EQ(report->spans_marked, marked.size());

  auto state = read_push_state(dir());
  ASSERT_TRUE(state);
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ((*state)->batches, report->batches);
  EXPECT_EQ((*state)->fingerprint, options_fingerprint(options_));
  EXPECT_EQ((*state)->shift_ns, 0);
}

TEST_F(ShapeCaptureTest, TinyLimitsSplitByTimeWithoutLosingSamples) {
  options_.limits.max_samples = 5;
  options_.limits.max_profile_bytes = 6000;
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  Pushed pushed = read_outbox();
  EXPECT_GT(pushed.profiles.size(), report->windows);
  // One profile per request; each starts at its own time within its series,
  // and what the rate limiter charges (profile + series labels) fits.
  std::map<std::string, std::set<int64_t>> starts;  // series -> time_nanos
  size_t profile = 0;
  for (const BatchInfo& info : pushed.batches) {
    if (info.kind != BatchKind::kPyroscopePush) continue;
    EXPECT_EQ(info.profiles, 1u);
    EXPECT_LE(info.uncompressed_bytes, 6000u);
    const pyroscope::PushRequest& request = pushed.requests[profile];
    ASSERT_EQ(request.series_size(), 1);
    ASSERT_EQ(request.series(0).samples_size(), 1);
    size_t labels = 0;
    std::string series;
    for (const auto& label : request.series(0).labels()) {
      labels += label.name().size() + label.value().size();
      series += label.name() + "=" + label.value() + ",";
    }
    const pprof::Profile& decoded = pushed.profiles[profile];
    EXPECT_EQ(info.uncompressed_bytes, decoded.ByteSizeLong() + labels);
    EXPECT_EQ(info.window_start_ns, decoded.time_nanos());
    EXPECT_EQ(info.window_end_ns, decoded.time_nanos() + decoded.duration_nanos());
    EXPECT_TRUE(starts[series].insert(decoded.time_nanos()).second)
        << "two profiles of " << series << " start at " << decoded.time_nanos();
    ++profile;
  }
  EXPECT_EQ(profile, pushed.profiles.size());
  check_profiles(pushed, 5);
}

TEST_F(ShapeCaptureTest, InnermostScopeMarksInnerSpans) {
  options_.join.matching.span_scope = "innermost";
  options_.span_name_label = false;
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  Pushed pushed = read_outbox();
  std::set<std::string> span_ids = check_profiles(pushed, options_.limits.max_samples);
  std::set<std::string> marked;
  bool inner = false;
  for (const auto& span : pushed.spans) {
    for (const auto& attribute : span.attributes()) {
      if (attribute.key() != "pyroscope.profile.id") continue;
      marked.insert(attribute.value().string_value());
      inner = inner || !span.parent_span_id().empty();
    }
  }
  EXPECT_EQ(marked, span_ids);
  EXPECT_TRUE(inner);
}

TEST_F(ShapeCaptureTest, IngestWritesOneRequestPerProfile) {
  options_.protocol = Protocol::kIngest;
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  Pushed pushed = read_outbox();
  size_t profiles = 0;
  for (const BatchInfo& info : pushed.batches) {
    if (info.kind != BatchKind::kPyroscopeIngest) continue;
    EXPECT_EQ(info.path_and_query,
              fmt::format("/ingest?name=spanprof-demo%7Benv%3Dtest%7D&from={}&until={}&format=pprof",
                          info.window_start_ns, info.window_end_ns));
    EXPECT_EQ(std::to_string(info.window_start_ns).size(), 19u);
    // From the window's first sample to the window's end.
    EXPECT_GT(info.window_end_ns - info.window_start_ns, 0);
    EXPECT_LE(info.window_end_ns - info.window_start_ns, kWindow);
    EXPECT_EQ(info.window_end_ns % kWindow, 0);
    EXPECT_EQ(pushed.profiles[profiles].time_nanos(), info.window_start_ns);
    ++profiles;
  }
  EXPECT_EQ(profiles, report->profiles);
  check_profiles(pushed, options_.limits.max_samples);
}

TEST_F(ShapeCaptureTest, TooOldWithoutShiftIsRefusedWithTheAge) {
  options_.now_unix_ns = reference().start_ns + 2 * 3'600'000 * kMs;
  auto report = shape_capture(dir(), options_);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("too old"), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("2h ago, the limit is 1h"), std::string::npos)
      << report.error().message;
  EXPECT_NE(report.error().hint.find("--shift-to-now"), std::string::npos);
  EXPECT_TRUE(read_outbox().batches.empty());
  auto state = read_push_state(dir());
  ASSERT_TRUE(state);
  EXPECT_FALSE(state->has_value());
}

TEST_F(ShapeCaptureTest, ShiftCannotFitACaptureLongerThanMaxAge) {
  options_.shift_to_now = true;
  options_.max_age_ns = 100 * kMs;  // shorter than the demo capture
  auto report = shape_capture(dir(), options_);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("longer than"), std::string::npos)
      << report.error().message;
}

TEST_F(ShapeCaptureTest, FutureCaptureIsRefused) {
  options_.now_unix_ns = reference().start_ns - 3'600'000 * kMs;
  auto report = shape_capture(dir(), options_);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("future"), std::string::npos);
}

TEST_F(ShapeCaptureTest, ShiftToNowMovesProfilesAndSpansTogether) {
  write_file(dir_.path() / "capture.json",
             R"({"schema": "spanprof.capture/1", "state": "finished", "command": ["./demo", "-n", "3"],)"
             R"( "clocks": {"start": {"realtime_ns": 5}}, "push": {"shift_ns": 1}})");
  const int64_t day = 24 * 3'600'000 * kMs;
  options_.now_unix_ns = reference().start_ns + day;
  options_.shift_to_now = true;
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  const int64_t shift = report->shift_ns;
  EXPECT_EQ(shift % kWindow, 0);
  EXPECT_GT(shift, day - 10'000 * kMs);
  EXPECT_LE(shift, day);

  Pushed pushed = read_outbox();
  for (const auto& profile : pushed.profiles) {
    EXPECT_LE(profile.time_nanos(), options_.now_unix_ns);
    EXPECT_GT(profile.time_nanos(), options_.now_unix_ns - 60'000 * kMs);
  }
  // Spans moved by the same offset as in the span file.
  otlp::TracesData original;
  std::map<std::string, std::pair<uint64_t, uint64_t>> times;
  std::ifstream lines(kDemo / "spans.jsonl");
  simdjson::dom::parser parser;
  for (std::string line; std::getline(lines, line);) {
    simdjson::dom::element doc;
    ASSERT_FALSE(parser.parse(line).get(doc));
    for (auto rs : doc["resourceSpans"].get_array()) {
      for (auto ss : rs["scopeSpans"].get_array()) {
        for (auto span : ss["spans"].get_array()) {
          std::string id(std::string_view(span["spanId"].get_string()));
          uint64_t start = std::stoull(std::string(std::string_view(span["startTimeUnixNano"].get_string())));
          uint64_t end = std::stoull(std::string(std::string_view(span["endTimeUnixNano"].get_string())));
          times[id] = {start, end};
        }
      }
    }
  }
  ASSERT_EQ(pushed.spans.size(), times.size());
  for (const auto& span : pushed.spans) {
    std::string id;
    for (unsigned char c : span.span_id()) id += fmt::format("{:02x}", c);
    ASSERT_TRUE(times.contains(id));
    EXPECT_EQ(span.start_time_unix_nano(), times[id].first + static_cast<uint64_t>(shift));
    EXPECT_EQ(span.end_time_unix_nano(), times[id].second + static_cast<uint64_t>(shift));
  }

  // Recorded in push.json and under capture.json's "push" key, the rest kept.
  auto state = read_push_state(dir());
  ASSERT_TRUE(state && state->has_value());
  EXPECT_EQ((*state)->shift_ns, shift);
  simdjson::dom::element capture;
  std::string text = read_file(dir_.path() / "capture.json");
  ASSERT_FALSE(parser.parse(text).get(capture)) << text;
  EXPECT_EQ(std::string_view(capture["state"].get_string()), "finished");
  EXPECT_EQ(std::string_view(capture["command"].at(2).get_string()), "3");
  EXPECT_EQ(int64_t(capture["clocks"]["start"]["realtime_ns"].get_int64()), 5);
  EXPECT_EQ(int64_t(capture["push"]["shift_ns"].get_int64()), shift);
}

// service_name: --service-name, else the spans' service.name, else the
// process's main-thread name (before capture.json's executable, which names
// what perf ran: maybe a wrapper).
TEST_F(ShapeCaptureTest, ServiceNameOptionSpansAndProcessName) {
  auto service_names = [this]() {
    std::set<std::string> names;
    Pushed pushed = read_outbox();
    EXPECT_FALSE(pushed.requests.empty());
    for (const auto& request : pushed.requests) {
      for (const auto& label : request.series(0).labels()) {
        if (label.name() == "service_name") names.insert(label.value());
      }
    }
    return names;
  };
  auto reshape = [this] {
    ASSERT_TRUE(Outbox(dir()).clear());
    auto report = shape_capture(dir(), options_);
    ASSERT_TRUE(report) << report.error().to_string();
  };
  using Names = std::set<std::string>;
  write_file(dir_.path() / "capture.json",
             R"({"schema": "spanprof.capture/2", "command": ["/opt/shop/bin/checkout-svc", "-v"]})");
  options_.service_name = "checkout";
  reshape();
  EXPECT_EQ(service_names(), Names{"checkout"});

  options_.service_name.clear();
  reshape();
  EXPECT_EQ(service_names(), Names{"spanprof-demo"});  // the demo's spans' resource service.name

  fs::remove(dir_.path() / "spans.jsonl");
  reshape();
  EXPECT_EQ(service_names(), Names{"spanprof-demo"});  // the demo process's main-thread name

  fs::remove(dir_.path() / "capture.json");
  reshape();
  EXPECT_EQ(service_names(), Names{"spanprof-demo"});
}

// The series labels of every pushed request, by service_name.
std::map<std::string, LabelList> series_by_service(const Pushed& pushed) {
  std::map<std::string, LabelList> out;
  for (const auto& request : pushed.requests) {
    LabelList labels;
    std::string service;
    for (const auto& label : request.series(0).labels()) {
      labels.emplace_back(label.name(), label.value());
      if (label.name() == "service_name") service = label.value();
    }
    out[service] = labels;
  }
  return out;
}

TEST_F(ShapeCaptureTest, EachServiceOfTheSpansGetsItsOwnSeries) {
  // The second line of spans.jsonl as another service, with a namespace.
  std::ifstream in(kDemo / "spans.jsonl");
  std::string first, second;
  std::getline(in, first);
  std::getline(in, second);
  const std::string demo = R"({"key":"service.name","value":{"stringValue":"spanprof-demo"}})";
  ASSERT_NE(second.find(demo), std::string::npos);
  second.replace(second.find(demo), demo.size(),
                 R"({"key":"service.name","value":{"stringValue":"other-svc"}},)"
                 R"({"key":"service.namespace","value":{"stringValue":"ns2"}})");
  write_file(dir_.path() / "spans.jsonl", first + "\n" + second + "\n");
  // Innermost scope: a sample's span_id is the span whose resource names its service.
  options_.join.matching.span_scope = "innermost";
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();

  auto ids_in = [](const std::string& line) {
    std::set<std::string> ids;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    EXPECT_FALSE(parser.parse(line).get(doc));
    for (auto rs : doc["resourceSpans"].get_array()) {
      for (auto ss : rs["scopeSpans"].get_array()) {
        for (auto span : ss["spans"].get_array()) {
          ids.insert(std::string(std::string_view(span["spanId"].get_string())));
        }
      }
    }
    return ids;
  };
  const std::set<std::string> demo_ids = ids_in(first), other_ids = ids_in(second);

  Pushed pushed = read_outbox();
  std::map<std::string, std::set<std::string>> span_ids;  // service -> span_id labels
  for (size_t i = 0; i < pushed.requests.size(); ++i) {
    std::string service;
    for (const auto& label : pushed.requests[i].series(0).labels()) {
      if (label.name() == "service_name") service = label.value();
    }
    const pprof::Profile& profile = pushed.profiles[i];
    for (const auto& sample : profile.sample()) {
      for (const auto& label : sample.label()) {
        if (str(profile, label.key()) == "span_id") span_ids[service].insert(str(profile, label.str()));
      }
    }
  }
  ASSERT_FALSE(span_ids["other-svc"].empty());
  ASSERT_FALSE(span_ids["spanprof-demo"].empty());
  for (const std::string& id : span_ids["other-svc"]) EXPECT_TRUE(other_ids.contains(id)) << id;
  for (const std::string& id : span_ids["spanprof-demo"]) EXPECT_TRUE(demo_ids.contains(id)) << id;

  auto series = series_by_service(pushed);
  EXPECT_EQ(series["other-svc"], (LabelList{{"__name__", "process_cpu"},
                                             {"service_name", "other-svc"},
                                             {"service_namespace", "ns2"},
                                             {"env", "test"}}));
  EXPECT_EQ(series["spanprof-demo"], (LabelList{{"__name__", "process_cpu"},
                                                 {"service_name", "spanprof-demo"},
                                                 {"env", "test"}}));
  ASSERT_EQ(report->series.size(), 2u);
  uint64_t samples = 0, profiles = 0;
  for (const SeriesReport& one : report->series) samples += one.samples, profiles += one.profiles;
  EXPECT_EQ(samples, reference().samples);
  EXPECT_EQ(profiles, pushed.profiles.size());
  EXPECT_EQ(report->series[0].labels, series["other-svc"]);  // sorted by service
  check_profiles(pushed, options_.limits.max_samples);

  // --service-name still makes one series of everything.
  ASSERT_TRUE(Outbox(dir()).clear());
  options_.service_name = "everything";
  report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->series.size(), 1u);
  EXPECT_EQ(series_by_service(read_outbox()).size(), 1u);
}

TEST_F(ShapeCaptureTest, HostLabelNamesTheCapturesHost) {
  options_.host_label = true;
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  for (const auto& [service, labels] : series_by_service(read_outbox())) {
    EXPECT_NE(std::find(labels.begin(), labels.end(),
                        std::pair<std::string, std::string>{"hostname", "vm"}),
              labels.end())
        << service;  // perf.data's HEADER_HOSTNAME
  }
}

TEST_F(ShapeCaptureTest, TraceBatchesAreShapedWheneverThereAreSpans) {
  auto report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_GT(report->spans_forwarded, 0u);
  Pushed pushed = read_outbox();
  EXPECT_EQ(pushed.spans.size(), 264u);  // every span of the demo's spans.jsonl
  // The whole join comes back for the CLI to print.
  ASSERT_TRUE(report->join);
  EXPECT_EQ(report->join->samples, reference().samples);
  ASSERT_TRUE(report->join->spans);
  EXPECT_EQ(report->join->spans->services_by_pid.size(), 1u);
  EXPECT_LE(report->join_warnings, report->warnings.size());

  ASSERT_TRUE(Outbox(dir()).clear());
  fs::remove(dir_.path() / "spans.jsonl");
  report = shape_capture(dir(), options_);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->spans_forwarded, 0u);
  for (const BatchInfo& info : read_outbox().batches) EXPECT_NE(info.kind, BatchKind::kOtlpTraces);
}

TEST_F(ShapeCaptureTest, PendingBatchesAreNotOverwritten) {
  ASSERT_TRUE(shape_capture(dir(), options_));
  auto again = shape_capture(dir(), options_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("still pending"), std::string::npos);
  ASSERT_TRUE(Outbox(dir()).clear());
  EXPECT_TRUE(shape_capture(dir(), options_));
}

TEST_F(ShapeCaptureTest, BadLabelFailsBeforeJoining) {
  options_.labels = {{"bad-name", "x"}};
  auto report = shape_capture(dir(), options_);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("bad-name"), std::string::npos);
}

TEST_F(ShapeCaptureTest, MissingCaptureIsAnError) {
  auto report = shape_capture((dir_.path() / "nothing").string(), options_);
  ASSERT_FALSE(report);
}

}  // namespace
}  // namespace spanprof::push
