#include "join/join.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <unordered_set>

#include "attribute/clock_alignment.h"
#include "attribute/span_attribution.h"
#include "join/summary_json.h"
#include "profile/profile_builder.h"

namespace spanprof::join {

namespace {

// kallsyms describes the running kernel: use it only for captures recorded
// on this machine under this kernel release.
bool recorded_on_this_kernel(const perfdata::CaptureInfo& info) {
  struct utsname uts {};
  if (uname(&uts) != 0) return false;
  return info.hostname == uts.nodename && info.os_release == uts.release;
}

EventSummary describe_event(const perfdata::EventAttr& attr) {
  EventSummary event;
  event.name = attr.name.empty() ? fmt::format("type {} config {}", attr.type, attr.config)
                                 : attr.name;
  event.sample_unit = attr.is_cpu_clock() ? "cpu/nanoseconds" : "events/count";
  if (attr.freq()) {
    uint64_t freq = std::max<uint64_t>(attr.sample_period_or_freq, 1);
    event.period = attr.is_cpu_clock() ? 1'000'000'000ull / freq : 1;
  } else {
    event.period = attr.sample_period_or_freq;
  }
  return event;
}

// The pipeline's record consumer. The profile is shaped by the first event
// that produces a sample (a capture holds one event in spanprof's use).
class JoinHandler : public perfdata::RecordHandler {
 public:
  JoinHandler(const perfdata::Reader& reader, symbolize::Symbolizer& symbolizer,
              const JoinOptions& options, std::optional<spans::SpanSet> spans)
      : reader_(reader),
        processes_(reader.info().build_ids),
        symbolizer_(symbolizer),
        options_(options),
        pending_spans_(std::move(spans)) {}

  void on_mmap(const perfdata::Mmap& mmap) override { processes_.on_mmap(mmap); }
  void on_comm(const perfdata::Comm& comm) override { processes_.on_comm(comm); }
  void on_fork(const perfdata::TaskEvent& fork) override { processes_.on_fork(fork); }
  void on_exit(const perfdata::TaskEvent& exit) override { processes_.on_exit(exit); }

  void on_sample(const perfdata::Sample& sample) override {
    // Attrs can be added while a pipe-mode capture is read: identify the
    // event by its index, not by address.
    size_t attr_index = static_cast<size_t>(sample.attr - reader_.info().attrs.data());
    if (!primary_attr_) {
      primary_attr_index_ = attr_index;
      start_profile(*sample.attr);
    }
    if (attr_index != primary_attr_index_) {
      ++samples_other_events_;
      return;
    }
    stacks_->resolve(sample, location_ids_);
    labels_[0].num = sample.pid;
    labels_[1].num = sample.tid;
    labels_[2].str = processes_.thread_name(sample.tid);
    values_[0] = 1;
    values_[1] = static_cast<int64_t>(sample.period);
    labels_.resize(kBaseLabels);
    if (attribution_) {
      attribution_->label(sample.pid, sample.tid, sample.time, values_[1], labels_);
    }
    builder_->add_sample(location_ids_, labels_, values_);
    stacks_->hot_functions().add_stack(location_ids_, values_[1]);
    threads_.insert(sample.tid);
    total_weight_ += values_[1];
    if (sample.has_time) {
      first_time_ = std::min(first_time_, sample.time);
      last_time_ = std::max(last_time_, sample.time);
    }
    ++samples_;
  }

  bool has_profile() const { return builder_ != nullptr; }
  profile::ProfileBuilder& builder() { return *builder_; }
  const perfdata::EventAttr& primary_attr() const { return *primary_attr_; }
  const process::ProcessTable& processes() const { return processes_; }
  const stacks::StackStats& stack_stats() const { return stacks_->stats(); }
  std::vector<stacks::HotFunction> hottest(size_t n) const { return stacks_->hot_functions().top(n); }
  uint64_t samples() const { return samples_; }
  int64_t total_weight() const { return total_weight_; }
  uint64_t samples_other_events() const { return samples_other_events_; }
  uint64_t threads() const { return threads_.size(); }
  std::optional<std::pair<uint64_t, uint64_t>> time_range() const {
    if (first_time_ > last_time_) return std::nullopt;
    return std::make_pair(first_time_, last_time_);
  }
  const EventSummary& event() const { return event_; }
  const attribute::SpanAttribution* attribution() const { return attribution_.get(); }
  const std::optional<Error>& span_join_error() const { return span_join_error_; }

 private:
  void start_profile(const perfdata::EventAttr& attr) {
    primary_attr_ = attr;
    event_ = describe_event(attr);
    std::vector<profile::ValueType> types{{"samples", "count"}};
    profile::ValueType period_type =
        attr.is_cpu_clock() ? profile::ValueType{"cpu", "nanoseconds"}
                            : profile::ValueType{"events", "count"};
    types.push_back(period_type);
    builder_ = std::make_unique<profile::ProfileBuilder>(std::move(types), period_type,
                                                         static_cast<int64_t>(event_.period));
    builder_->add_comment(fmt::format("spanprof: event {}", event_.name));
    stacks_ = std::make_unique<stacks::StackResolver>(processes_, symbolizer_, *builder_,
                                                      options_.include_kernel_frames);
    labels_.resize(kBaseLabels);
    labels_[0].key = "pid";
    labels_[1].key = "tid";
    labels_[2].key = "thread_name";
    if (pending_spans_) start_attribution(attr);
  }

  void start_attribution(const perfdata::EventAttr& attr) {
    auto clock = attribute::ClockAlignment::from_capture(reader_.info(), attr,
                                                         options_.clock_offset_ns);
    if (!clock) {
      span_join_error_ = clock.error();
      span_join_error_->message = "spans not joined: " + span_join_error_->message;
      return;
    }
    attribution_ = std::make_unique<attribute::SpanAttribution>(
        std::move(*pending_spans_), *clock, options_.span_scope);
    pending_spans_.reset();
  }

  static constexpr size_t kBaseLabels = 3;  // pid, tid, thread_name

  const perfdata::Reader& reader_;
  process::ProcessTable processes_;
  symbolize::Symbolizer& symbolizer_;
  const JoinOptions& options_;
  std::optional<spans::SpanSet> pending_spans_;  // until the first sample fixes the clock
  std::unique_ptr<attribute::SpanAttribution> attribution_;
  std::optional<Error> span_join_error_;
  std::optional<perfdata::EventAttr> primary_attr_;  // the profiled event (a copy)
  size_t primary_attr_index_ = 0;
  EventSummary event_;
  std::unique_ptr<profile::ProfileBuilder> builder_;
  std::unique_ptr<stacks::StackResolver> stacks_;
  std::vector<uint64_t> location_ids_;
  std::vector<profile::Label> labels_;
  int64_t values_[2] = {0, 0};
  std::unordered_set<uint32_t> threads_;
  uint64_t first_time_ = UINT64_MAX;
  uint64_t last_time_ = 0;
  int64_t total_weight_ = 0;
  uint64_t samples_ = 0;
  uint64_t samples_other_events_ = 0;
};

void fill_span_report(const JoinHandler& handler, JoinReport& report) {
  SpanReport& spans = *report.spans;
  spans.join_error = handler.span_join_error();
  const attribute::SpanAttribution* attribution = handler.attribution();
  if (attribution == nullptr) return;
  spans.tree = attribution->tree_stats();
  spans.index = attribution->index_stats();
  spans.coarse_clock = attribution->coarse_clock_stats();
  int64_t period_ns = handler.event().sample_unit == "cpu/nanoseconds"
                          ? static_cast<int64_t>(handler.event().period)
                          : 0;
  spans.attribution = attribution->summarize(period_ns);
}

}  // namespace

Result<JoinReport> run_join(const JoinOptions& options) {
  JoinReport report;
  report.output_path = options.output_path;
  report.summary_path = options.summary_path;

  // Spans first: a missing span file fails fast, before the long part.
  std::optional<spans::SpanSet> span_set;
  if (!options.span_files.empty()) {
    report.spans.emplace();
    report.spans->files = options.span_files;
    span_set.emplace();
    for (const std::string& path : options.span_files) {
      auto read = spans::read_span_file(path, options.span_reader, *span_set, report.spans->read);
      if (!read) return std::unexpected(read.error());
    }
  }

  auto reader = perfdata::Reader::open(options.perf_data_path);
  if (!reader) return std::unexpected(reader.error());
  const perfdata::CaptureInfo& info = (*reader)->info();
  symbolize::SymbolizerOptions symbolizer_options = options.symbolizer;
  switch (options.kernel_symbols) {
    case KernelSymbols::kAlways: symbolizer_options.use_kallsyms = true; break;
    case KernelSymbols::kNever: symbolizer_options.use_kallsyms = false; break;
    case KernelSymbols::kAuto:
      // In pipe mode the header features arrive later; the HOSTNAME/OSRELEASE
      // check then runs on what is known at open time.
      symbolizer_options.use_kallsyms = recorded_on_this_kernel(info);
      break;
  }
  report.kernel_symbols_used = symbolizer_options.use_kallsyms;

  symbolize::Symbolizer symbolizer(info, symbolizer_options);
  JoinHandler handler(**reader, symbolizer, options, std::move(span_set));
  auto read = (*reader)->read_records(handler);
  if (!read) return std::unexpected(read.error());
  report.read = *read;
  for (const std::string& warning : info.warnings) report.warnings.push_back(warning);
  if (read->damage) report.warnings.push_back(read->damage->to_string());

  if (!handler.has_profile()) {
    std::string where = options.perf_data_path;
    if (read->damage) {
      return make_error("no samples could be decoded before the damage: " +
                            read->damage->message,
                        where, "re-record the capture");
    }
    return make_error("the capture holds no samples", where,
                      "check that the workload ran long enough and that perf could sample it "
                      "(perf record prints the number of samples it wrote)");
  }

  profile::ProfileBuilder& builder = handler.builder();
  if (auto range = handler.time_range()) {
    report.duration_ns = static_cast<int64_t>(range->second - range->first);
    builder.set_duration_nanos(report.duration_ns);
    auto clock = attribute::ClockAlignment::from_capture(info, handler.primary_attr(),
                                                         options.clock_offset_ns);
    if (clock) {
      report.start_unix_ns = clock->to_unix_ns(range->first);
      builder.set_time_nanos(*report.start_unix_ns);
    }
  }

  if (report.spans) fill_span_report(handler, report);

  if (auto written = builder.write_gzipped(options.output_path); !written) {
    return std::unexpected(written.error());
  }

  report.event = handler.event();
  report.samples = handler.samples();
  report.total_weight = handler.total_weight();
  report.samples_other_events = handler.samples_other_events();
  report.distinct_stacks = builder.sample_count();
  report.threads = handler.threads();
  report.processes = handler.processes().stats();
  report.symbols = symbolizer.stats();
  report.stacks = handler.stack_stats();
  report.hottest = handler.hottest(options.hottest_count);
  for (const std::string& warning : symbolizer.warnings()) report.warnings.push_back(warning);
  if (report.samples_other_events > 0) {
    report.warnings.push_back(fmt::format(
        "{} samples of other events were left out: the profile holds {} only",
        report.samples_other_events, report.event.name));
  }
  if (!options.summary_path.empty()) {
    if (auto written = write_summary_json(report, options.summary_path); !written) {
      return std::unexpected(written.error());
    }
  }
  return report;
}

}  // namespace spanprof::join
