// JoinHandler, the join's record consumer: samples that arrive while the spans
// still load are held, then labelled; the capture's first event is the main
// profile's, other events get their own; off-CPU intervals are split at span
// boundaries.
//
// The span loader reads a pipe that the test holds open, so "still loading" is
// a fact, not a race: the loader cannot finish before the test writes the spans
// and closes the pipe's write end.
#include "join/join_handler.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

namespace spanprof::join {
namespace {

constexpr uint64_t kContextUser = static_cast<uint64_t>(-512);  // PERF_CONTEXT_USER

// A capture whose header is given, not read: JoinHandler asks its Reader only for info().
class FixedReader final : public perfdata::Reader {
 public:
  explicit FixedReader(perfdata::CaptureInfo info) : info_(std::move(info)) {}
  const perfdata::CaptureInfo& info() const override { return info_; }
  Result<perfdata::ReadStats> read_records(perfdata::RecordHandler&) override {
    return perfdata::ReadStats{};
  }

 private:
  perfdata::CaptureInfo info_;
};

struct Emitted {
  int64_t unix_ns = 0;
  int64_t period = 0;
  std::map<std::string, std::string> labels;  // string labels only
};

class RecordingSink final : public SampleSink {
 public:
  void on_sample(const SampleEvent& sample) override {
    Emitted e;
    e.unix_ns = sample.unix_ns.value_or(-1);
    e.period = sample.period;
    for (const profile::Label& label : sample.labels) {
      if (!label.str.empty()) e.labels[label.key] = label.str;
    }
    emitted.push_back(std::move(e));
  }
  void on_profile(const profile::ProfileBuilder&) override {}
  std::vector<Emitted> emitted;
};

// Sample times are CLOCK_REALTIME: Unix nanoseconds as they are.
perfdata::EventAttr realtime_attr(uint32_t type, uint64_t config) {
  perfdata::EventAttr attr;
  attr.type = type;
  attr.config = config;
  attr.sample_period_or_freq = 1000;
  attr.flags = (1ULL << 25) | (1ULL << 20);  // use_clockid, exclude_guest (as perf record sets)
  attr.clockid = CLOCK_REALTIME;
  return attr;
}

class JoinHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { symbolizer_options_.use_kallsyms = false; }

  perfdata::Sample sample(const perfdata::CaptureInfo& info, size_t attr_index, uint64_t time) {
    perfdata::Sample s;
    s.attr = &info.attrs.at(attr_index);
    s.attr_index = attr_index;
    s.misc = 2;  // PERF_RECORD_MISC_USER
    s.pid = 7;
    s.tid = 8;
    s.time = time;
    s.has_time = true;
    s.period = 1000;
    s.callchain = callchain_;
    return s;
  }

  symbolize::SymbolizerOptions symbolizer_options_;
  const std::vector<uint64_t> callchain_{kContextUser, 0x401000, 0x402000};
};

// One OTLP JSON line: span "work" on tid 8 of pid 7 from 1000 to 5000 ns.
std::string span_line() {
  return R"({"resourceSpans":[{"resource":{"attributes":[)"
         R"({"key":"service.name","value":{"stringValue":"svc"}},)"
         R"({"key":"process.pid","value":{"intValue":"7"}}]},)"
         R"("scopeSpans":[{"spans":[{"traceId":"0123456789abcdef0123456789abcdef",)"
         R"("spanId":"1111111111111111","name":"work","kind":1,)"
         R"("startTimeUnixNano":"1000","endTimeUnixNano":"5000",)"
         R"("attributes":[{"key":"thread.os_id","value":{"intValue":"8"}}]}]}]}]})"
         "\n";
}

TEST_F(JoinHandlerTest, SamplesBeforeTheSpansLoadAreHeldThenLabelled) {
  // The span file is a pipe the test holds both ends of, named by its /proc path:
  // opening it never blocks (an anonymous pipe, not a FIFO), written bytes stay
  // while the read end is open, and the loader sees EOF only once the write end
  // is closed.
  int spans_pipe[2];
  ASSERT_EQ(::pipe2(spans_pipe, O_CLOEXEC), 0);
  const std::string path = "/proc/self/fd/" + std::to_string(spans_pipe[0]);
  auto loader = SpanLoader::start(SpanLoaderInputs{{path}, {}, {}, {}}, {}, attribute::SpanScope::kRoot);
  ASSERT_TRUE(loader) << loader.error().to_string();

  perfdata::CaptureInfo info;
  info.attrs.push_back(realtime_attr(1, 0));  // cpu-clock
  FixedReader reader(info);
  binaries::BinaryTable binaries(symbolize::binary_options(symbolizer_options_));
  symbolize::Symbolizer symbolizer(binaries, symbolizer_options_);
  RecordingSink sink;
  JoinOptions options;
  options.sample_sink = &sink;
  JoinHandler handler(reader, binaries, symbolizer, options, loader->get());

  for (uint64_t time : {2000, 3000, 9000}) handler.on_sample(sample(reader.info(), 0, time));
  EXPECT_TRUE(sink.emitted.empty()) << "samples were emitted before the spans were loaded";
  EXPECT_EQ(handler.samples(), 3u) << "held samples are counted when they arrive";

  const std::string line = span_line();
  ASSERT_EQ(::write(spans_pipe[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::close(spans_pipe[1]);
  auto finished = handler.finish();
  ::close(spans_pipe[0]);
  ASSERT_TRUE(finished) << finished.error().to_string();

  ASSERT_EQ(sink.emitted.size(), 3u);
  EXPECT_EQ(sink.emitted[0].unix_ns, 2000);
  EXPECT_EQ(sink.emitted[0].labels["span_id"], "1111111111111111");
  EXPECT_EQ(sink.emitted[0].labels["span_name"], "work");
  EXPECT_EQ(sink.emitted[1].unix_ns, 3000);
  EXPECT_EQ(sink.emitted[1].labels["span_id"], "1111111111111111");
  EXPECT_EQ(sink.emitted[2].unix_ns, 9000);
  EXPECT_EQ(sink.emitted[2].labels.count("span_id"), 0u) << "9000 ns is after the span";
  for (const Emitted& e : sink.emitted) EXPECT_EQ(e.period, 1000);
  ASSERT_NE(handler.attribution(), nullptr);
  EXPECT_EQ(handler.span_read_stats().spans, 1u);
  EXPECT_FALSE(handler.span_join_error());
}

TEST_F(JoinHandlerTest, WithoutSpansSamplesAreEmittedAtOnce) {
  perfdata::CaptureInfo info;
  info.attrs.push_back(realtime_attr(1, 0));
  FixedReader reader(info);
  binaries::BinaryTable binaries(symbolize::binary_options(symbolizer_options_));
  symbolize::Symbolizer symbolizer(binaries, symbolizer_options_);
  RecordingSink sink;
  JoinOptions options;
  options.sample_sink = &sink;
  JoinHandler handler(reader, binaries, symbolizer, options, nullptr);
  handler.on_sample(sample(reader.info(), 0, 2000));
  ASSERT_EQ(sink.emitted.size(), 1u);
  EXPECT_EQ(sink.emitted[0].labels.count("span_id"), 0u);
  handler.on_sample(sample(reader.info(), 0, 2500));
  EXPECT_EQ(sink.emitted.size(), 2u);
  EXPECT_TRUE(handler.finish());
  EXPECT_EQ(handler.time_range(), std::make_pair(uint64_t{2000}, uint64_t{2500}));
}

// The first event in the capture's order is the main profile's, whichever
// samples first; every other event gets a profile of its own (counted, never
// mixed in). Events are told apart by attr index: two attrs with equal
// contents are still two events, and a sample's attr pointer need not point
// into the reader's vector (pipe mode may have grown it).
TEST_F(JoinHandlerTest, TheFirstEventIsTheMainOneOthersGetTheirOwnProfiles) {
  perfdata::CaptureInfo info;
  info.attrs.push_back(realtime_attr(0, 5));  // branch-misses, no name recorded
  info.attrs.push_back(realtime_attr(0, 5));  // the same event opened twice
  info.attrs.push_back(realtime_attr(1, 0));
  FixedReader reader(info);
  binaries::BinaryTable binaries(symbolize::binary_options(symbolizer_options_));
  symbolize::Symbolizer symbolizer(binaries, symbolizer_options_);
  RecordingSink sink;
  JoinOptions options;
  options.sample_sink = &sink;
  JoinHandler handler(reader, binaries, symbolizer, options, nullptr);

  const perfdata::EventAttr moved = reader.info().attrs[1];
  perfdata::Sample first = sample(reader.info(), 1, 100);
  first.attr = &moved;  // the copy, not the reader's element
  handler.on_sample(first);
  handler.on_sample(sample(reader.info(), 0, 200));
  handler.on_sample(sample(reader.info(), 2, 300));
  handler.on_sample(sample(reader.info(), 1, 400));
  ASSERT_TRUE(handler.finish());

  EXPECT_EQ(handler.samples(), 1u);
  EXPECT_EQ(handler.samples_other_events(), 3u);
  EXPECT_EQ(handler.total_weight(), 1000);
  ASSERT_EQ(sink.emitted.size(), 1u) << "the sink gets the main profile's samples only";
  EXPECT_EQ(sink.emitted[0].unix_ns, 200);
  EXPECT_EQ(handler.event().name, "branch-misses");
  EXPECT_EQ(handler.event().sample_unit, "events/count");
  EXPECT_EQ(handler.primary_attr().config, 5u);
  std::vector<const EventProfile*> others = handler.other_profiles();
  ASSERT_EQ(others.size(), 2u);
  EXPECT_EQ(others[0]->attr_index(), 1u);
  EXPECT_EQ(others[0]->samples(), 2u);
  EXPECT_EQ(others[1]->attr_index(), 2u);
  EXPECT_EQ(others[1]->summary().sample_unit, "cpu/nanoseconds");
}

TEST_F(JoinHandlerTest, EventNamePicksTheMainProfileOrFailsListingTheEvents) {
  perfdata::CaptureInfo info;
  info.attrs.push_back(realtime_attr(0, 5));
  info.attrs.back().name = "branch-misses:u";
  info.attrs.push_back(realtime_attr(1, 0));
  info.attrs.back().name = "cpu-clock:ppp";
  auto plan = plan_events(info, "cpu-clock");
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(plan->primary, 1u) << "a name matches without its :modifiers";
  plan = plan_events(info, "branch-misses:u");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->primary, 0u);
  info.attrs[1].name = "cpu-clock/freq=999/";  // how perf records `-e cpu-clock/freq=999/`
  plan = plan_events(info, "cpu-clock");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->primary, 1u) << "a name matches without its /terms/";
  EXPECT_EQ(event_base_name("cpu-clock/freq=999/:u"), "cpu-clock");
  EXPECT_EQ(event_base_name("sched:sched_switch"), "sched:sched_switch");
  info.attrs[1].name = "cpu-clock:ppp";
  plan = plan_events(info, "cycles");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().to_string().find("branch-misses:u, cpu-clock:ppp"), std::string::npos)
      << plan.error().to_string();
}

// An off-CPU capture: sched_switch's format in TRACING_DATA, an attr with
// context_switch (--switch-events), cpu-clock first.
struct OffCpuCapture {
  static constexpr uint64_t kSchedSwitchId = 372;
  perfdata::CaptureInfo info;
  OffCpuCapture() {
    info.attrs.push_back(realtime_attr(1, 0));                            // cpu-clock
    info.attrs.back().flags |= 1ULL << 26;                                // context_switch
    info.attrs.push_back(realtime_attr(2, kSchedSwitchId));               // sched:sched_switch
    perfdata::TracepointFormat format;
    format.system = "sched";
    format.name = "sched_switch";
    format.id = kSchedSwitchId;
    format.fields = {{"common_type", 0, 2, false},
                     {"prev_pid", 24, 4, true},
                     {"prev_state", 32, 8, true},
                     {"next_pid", 56, 4, true}};
    info.tracepoints.push_back(format);
  }
  // sched_switch's raw record: tid 8 leaves in `state`.
  static std::vector<std::byte> raw(uint64_t state) {
    std::vector<std::byte> bytes(64);
    uint16_t type = kSchedSwitchId;
    uint32_t prev_pid = 8;
    std::memcpy(bytes.data(), &type, sizeof type);
    std::memcpy(bytes.data() + 24, &prev_pid, sizeof prev_pid);
    std::memcpy(bytes.data() + 32, &state, sizeof state);
    return bytes;
  }
  static perfdata::Switch switch_record(bool out, uint64_t time) {
    perfdata::Switch record;
    record.out = out;
    record.sample_id.pid = 7;
    record.sample_id.tid = 8;
    record.sample_id.time = time;
    record.sample_id.has_time = true;
    return record;
  }
};

// A thread sleeps from 3000 to 7000 ns; the span "work" (1000..5000) ends in
// between: the interval is split at 5000, the first piece carries the span
// and the switch, both carry thread_state; the wall profile gets the CPU
// sample and both pieces.
TEST_F(JoinHandlerTest, OffCpuIntervalsAreSplitAtSpanEndsAndLabelled) {
  int spans_pipe[2];
  ASSERT_EQ(::pipe2(spans_pipe, O_CLOEXEC), 0);
  const std::string path = "/proc/self/fd/" + std::to_string(spans_pipe[0]);
  const std::string line = span_line();
  ASSERT_EQ(::write(spans_pipe[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::close(spans_pipe[1]);
  auto loader = SpanLoader::start(SpanLoaderInputs{{path}, {}, {}, {}}, {}, attribute::SpanScope::kRoot);
  ASSERT_TRUE(loader) << loader.error().to_string();

  OffCpuCapture capture;
  FixedReader reader(capture.info);
  binaries::BinaryTable binaries(symbolize::binary_options(symbolizer_options_));
  symbolize::Symbolizer symbolizer(binaries, symbolizer_options_);
  RecordingSink off_cpu_sink, wall_sink;
  JoinOptions options;
  options.off_cpu_sink = &off_cpu_sink;
  options.wall_sink = &wall_sink;
  JoinHandler handler(reader, binaries, symbolizer, options, loader->get());

  handler.on_sample(sample(reader.info(), 0, 2000));  // cpu-clock, in the span
  std::vector<std::byte> raw = OffCpuCapture::raw(1);  // S: sleeping
  perfdata::Sample leaving = sample(reader.info(), 1, 2999);
  leaving.raw = raw;
  handler.on_sample(leaving);
  handler.on_switch(OffCpuCapture::switch_record(true, 3000));
  handler.on_switch(OffCpuCapture::switch_record(false, 7000));
  auto finished = handler.finish();
  ::close(spans_pipe[0]);
  ASSERT_TRUE(finished) << finished.error().to_string();

  ASSERT_NE(handler.off_cpu(), nullptr);
  EXPECT_EQ(handler.samples(), 1u) << "sched_switch samples are no profile of their own";
  EXPECT_TRUE(handler.other_profiles().empty());
  ASSERT_EQ(off_cpu_sink.emitted.size(), 2u);
  EXPECT_EQ(off_cpu_sink.emitted[0].unix_ns, 3000);
  EXPECT_EQ(off_cpu_sink.emitted[0].period, 2000);
  EXPECT_EQ(off_cpu_sink.emitted[0].labels["span_name"], "work");
  EXPECT_EQ(off_cpu_sink.emitted[0].labels["thread_state"], "sleeping");
  EXPECT_EQ(off_cpu_sink.emitted[1].unix_ns, 5000);
  EXPECT_EQ(off_cpu_sink.emitted[1].period, 2000);
  EXPECT_EQ(off_cpu_sink.emitted[1].labels.count("span_name"), 0u);
  EXPECT_EQ(off_cpu_sink.emitted[1].labels["thread_state"], "sleeping");
  ASSERT_EQ(wall_sink.emitted.size(), 3u);
  int64_t running = 0, wall = 0;
  for (Emitted& e : wall_sink.emitted) {
    wall += e.period;
    if (e.labels["thread_state"] == "running") running += e.period;
  }
  EXPECT_EQ(running, 1000) << "the CPU sample, by its period";
  EXPECT_EQ(wall, 5000) << "CPU plus the interval's two pieces";

  OffCpuReport report = handler.off_cpu()->report(5);
  EXPECT_EQ(report.pairing.intervals, 1u);
  EXPECT_EQ(report.pieces, 2u);
  EXPECT_EQ(report.off_cpu_ns[0], 4000);
  EXPECT_EQ(report.off_cpu_ns_in_spans, 2000);
  ASSERT_TRUE(report.span_time);
  ASSERT_EQ(report.span_time->by_name.size(), 1u);
  const SpanTimeTotals& work = report.span_time->by_name[0].totals;
  EXPECT_EQ(work.duration_ns, 4000);
  EXPECT_EQ(work.cpu_ns, 1000);
  EXPECT_EQ(work.off_cpu_ns[0], 2000);
  EXPECT_EQ(work.unaccounted_ns, 1000);
  ASSERT_EQ(report.span_time->slowest.size(), 1u);
  EXPECT_NE(report.span_time->slowest[0].line.find("work 4 us: 1 us CPU, 2 us sleeping"),
            std::string::npos)
      << report.span_time->slowest[0].line;
}

}  // namespace
}  // namespace spanprof::join
