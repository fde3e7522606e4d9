#include "join/join.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <algorithm>

#include "capture/layout.h"
#include "join/join_handler.h"
#include "join/span_loader.h"
#include "join/span_match_warnings.h"
#include "join/summary_json.h"

namespace spanprof::join {

namespace {

// kallsyms describes the running kernel: use it only for captures recorded
// on this machine under this kernel release. Otherwise says why not.
std::optional<std::string> why_not_this_kernel(const perfdata::CaptureInfo& info) {
  struct utsname uts {};
  if (uname(&uts) != 0) return "uname() failed, so this machine's kernel is unknown";
  if (info.hostname == uts.nodename && info.os_release == uts.release) return std::nullopt;
  auto named = [](const std::string& text) { return text.empty() ? "(none)" : "'" + text + "'"; };
  return fmt::format("the capture names host {} kernel {}, this is host '{}' kernel '{}'",
                     named(info.hostname), named(info.os_release), uts.nodename, uts.release);
}

// A process's service: the resource (with process.pid and service.name) that
// holds most of its spans; ties go to the first resource read.
void fill_services_by_pid(const spans::SpanSet& set,
                          std::map<uint32_t, SpanReport::ProcessService>& out) {
  std::vector<uint64_t> spans_per_resource(set.resources.size(), 0);
  for (const spans::Span& span : set.spans) ++spans_per_resource[span.resource_index];
  std::map<uint32_t, uint64_t> best;
  for (size_t i = 0; i < set.resources.size(); ++i) {
    const spans::Resource& resource = set.resources[i];
    if (!resource.pid || resource.service_name.empty() || spans_per_resource[i] == 0) continue;
    auto [it, inserted] = best.try_emplace(*resource.pid, spans_per_resource[i]);
    if (!inserted && it->second >= spans_per_resource[i]) continue;
    it->second = spans_per_resource[i];
    out[*resource.pid] = {resource.service_name, resource.service_namespace};
  }
}

// A profile's time and duration: the main event's sample range, or (for
// the off-CPU and wall profiles) that of every sample and switch record.
void set_profile_time(const JoinHandler& handler, profile::ProfileBuilder& builder,
                      bool all_records = false) {
  auto range = all_records ? handler.record_time_range() : handler.time_range();
  if (!range) return;
  builder.set_duration_nanos(static_cast<int64_t>(range->second - range->first));
  if (const auto& clock = handler.clock()) builder.set_time_nanos(clock->to_unix_ns(range->first));
}

void fill_span_report(const JoinHandler& handler, JoinReport& report) {
  SpanReport& spans = *report.spans;
  spans.join_error = handler.span_join_error();
  spans.read = handler.span_read_stats();
  spans.namespace_mapping = handler.namespace_mapping();
  for (const Warning& warning : handler.span_load_warnings()) report.warnings.push_back(warning);
  const attribute::SpanAttribution* attribution = handler.attribution();
  if (attribution == nullptr) return;
  spans.tree = attribution->tree_stats();
  spans.index = attribution->index_stats();
  spans.coarse_clock = attribution->coarse_clock_stats();
  int64_t period_ns = handler.event().sample_unit == "cpu/nanoseconds"
                          ? static_cast<int64_t>(handler.event().period)
                          : 0;
  spans.attribution = attribution->summarize(period_ns);
  // Without a join (no clock data) no sample was looked up: nothing to diagnose.
  if (!spans.join_error) spans.matching = attribution->diagnose_matching();
  fill_services_by_pid(attribution->spans(), spans.services_by_pid);
  if (!spans.activations) return;
  ActivationReport& activations = *spans.activations;
  activations.read = handler.activation_read_stats();
  activations.warnings = handler.activation_warnings();
  activations.samples = attribution->activation_stats();
  const auto& clock = handler.clock();
  auto range = handler.time_range();
  if (attribution->activations() != nullptr && clock && range) {
    constexpr int64_t kMargin = 1'000'000'000;  // docs/activations.md: a second
    activations.records_outside_capture = attribution->activations()->records_outside(
        clock->to_unix_ns(range->first), clock->to_unix_ns(range->second), kMargin);
  }
}

// The activation counters worth a warning: each says what it cost and what to do.
void add_activation_warnings(const ActivationReport& activations, std::vector<Warning>& warnings) {
  for (const Warning& warning : activations.warnings) warnings.push_back(warning);
  const attribute::ActivationSampleStats& samples = activations.samples;
  if (samples.samples_unknown_span > 0) {
    warnings.push_back(Warning{
        WarningKind::kActivations,
        fmt::format("{} samples fall while a span was current that no span file holds ({} such "
                    "spans): they have no span labels (was the span sampled out, or is a span "
                    "file missing?)",
                    samples.samples_unknown_span, samples.join.unknown_spans),
        ""});
  }
  if (samples.join.threads_without_clock > 0) {
    warnings.push_back(Warning{
        WarningKind::kActivations,
        fmt::format("activations of {} threads were not used: the samples are not on "
                    "CLOCK_MONOTONIC and their files hold no clock pair (record with `perf "
                    "record -k monotonic`)",
                    samples.join.threads_without_clock),
        ""});
  }
  if (activations.records_outside_capture > 0) {
    bool all = activations.records_outside_capture == activations.read.records;
    warnings.push_back(Warning{
        WarningKind::kActivations,
        fmt::format("{} of {} activation records lie more than a second outside the samples' "
                    "time{}",
                    activations.records_outside_capture, activations.read.records,
                    all ? ": the clocks disagree (activation records are on CLOCK_MONOTONIC; "
                          "record with `perf record -k monotonic`)"
                        : " (written before or after the recording)"),
        ""});
  }
}

// Each sampling event besides the main one: its own profile beside it.
Result<void> write_other_profiles(JoinHandler& handler, const JoinOptions& options,
                                  JoinReport& report) {
  std::set<std::string> paths{options.output_path};
  for (const EventProfile* other : handler.other_profiles()) {
    EventProfile& profile = *handler.other_profile(other->attr_index());
    OtherEventReport entry;
    entry.event = profile.summary();
    entry.samples = profile.samples();
    entry.total_weight = profile.total_weight();
    entry.pprof_samples = profile.builder().sample_count();
    set_profile_time(handler, profile.builder());
    if (options.write_profile) {
      entry.output_path =
          capture::event_profile_path(options.output_path, event_base_name(entry.event.name));
      // The same event opened twice: the second one's file takes its attr index.
      if (!paths.insert(entry.output_path).second) {
        entry.output_path = capture::event_profile_path(
            options.output_path,
            fmt::format("{}-{}", event_base_name(entry.event.name), other->attr_index()));
        paths.insert(entry.output_path);
      }
      if (auto written = profile.builder().write_gzipped(entry.output_path); !written) {
        return std::unexpected(written.error());
      }
    }
    report.other_events.push_back(std::move(entry));
  }
  return {};
}

// The off-CPU and wall profiles, their sinks and their report.
Result<void> finish_off_cpu(JoinHandler& handler, const JoinOptions& options, JoinReport& report) {
  OffCpuJoin* off_cpu = handler.off_cpu();
  if (off_cpu == nullptr) {
    if (handler.plan() && handler.plan()->switch_records) {
      report.warnings.push_back(Warning{
          WarningKind::kOffCpu,
          "the capture has switch records (--switch-events) but no sched:sched_switch event: no "
          "off-CPU profile, since neither the blocking stacks nor the thread states are known "
          "(record with spanprof run --off-cpu)",
          ""});
    }
    return {};
  }
  OffCpuReport out = off_cpu->report(options.hottest_count);
  profile::ProfileBuilder& off_cpu_builder = off_cpu->off_cpu_builder();
  profile::ProfileBuilder& wall_builder = off_cpu->wall_builder();
  set_profile_time(handler, off_cpu_builder, true);
  set_profile_time(handler, wall_builder, true);
  if (options.off_cpu_sink != nullptr) {
    if (handler.attribution() != nullptr) options.off_cpu_sink->on_spans(*handler.attribution());
    options.off_cpu_sink->on_profile(off_cpu_builder);
  }
  if (options.wall_sink != nullptr && off_cpu->has_wall()) {
    if (handler.attribution() != nullptr) options.wall_sink->on_spans(*handler.attribution());
    options.wall_sink->on_profile(wall_builder);
  }
  if (options.write_profile) {
    out.off_cpu_path = capture::sibling_profile_path(options.output_path,
                                                     capture::SiblingProfile::kOffCpu);
    if (auto written = off_cpu_builder.write_gzipped(out.off_cpu_path); !written) {
      return std::unexpected(written.error());
    }
    if (off_cpu->has_wall()) {
      out.wall_path = capture::sibling_profile_path(options.output_path,
                                                    capture::SiblingProfile::kWall);
      if (auto written = wall_builder.write_gzipped(out.wall_path); !written) {
        return std::unexpected(written.error());
      }
    }
  }
  if (report.read.lost_events > 0) {
    report.warnings.push_back(Warning{
        WarningKind::kOffCpu,
        fmt::format("perf lost {} records: the {} off-CPU intervals open at a loss notice were "
                    "left out, but one that closed inside a gap before perf noticed it may "
                    "include time on the CPU (record with a larger --mmap-pages)",
                    report.read.lost_events, out.pairing.cut_lost),
        ""});
  }
  if (!out.format_problem.empty()) {
    report.warnings.push_back(Warning{
        WarningKind::kOffCpu,
        fmt::format("sched_switch samples not decoded ({}): off-CPU intervals have no thread "
                    "state (record with spanprof run --off-cpu, which keeps the format in "
                    "perf.data)",
                    out.format_problem),
        ""});
  }
  report.off_cpu = std::move(out);
  return {};
}

}  // namespace

Result<JoinReport> run_join(const JoinOptions& options) {
  JoinReport report;
  report.output_path = options.output_path;
  report.summary_path = options.summary_path;

  // Spans load on a second thread while the capture is read and symbolized.
  std::unique_ptr<SpanLoader> span_loader;
  if (!options.span_files.empty()) {
    report.spans.emplace();
    report.spans->files = options.span_files;
    if (!options.activation_files.empty() || !options.activation_error_notes.empty()) {
      report.spans->activations.emplace();
      report.spans->activations->files = options.activation_files;
    }
    SpanLoaderInputs inputs{options.span_files, options.activation_files,
                            options.activation_error_notes, options.namespace_ids_path};
    auto started = SpanLoader::start(std::move(inputs), options.span_reader, options.span_scope);
    if (!started) return std::unexpected(started.error());
    span_loader = std::move(*started);
  }

  auto reader = perfdata::Reader::open(options.perf_data_path);
  if (!reader) return std::unexpected(reader.error());
  if (options.progress) (*reader)->set_progress(options.progress);
  const perfdata::CaptureInfo& info = (*reader)->info();
  symbolize::SymbolizerOptions symbolizer_options = options.symbolizer;
  switch (options.kernel_symbols) {
    case KernelSymbols::kAlways: symbolizer_options.use_kallsyms = true; break;
    case KernelSymbols::kNever: symbolizer_options.use_kallsyms = false; break;
    case KernelSymbols::kAuto:
      // HOSTNAME and OSRELEASE are known at open, in pipe mode too.
      if (auto why_not = why_not_this_kernel(info)) {
        symbolizer_options.use_kallsyms = false;
        report.warnings.push_back(Warning{
            WarningKind::kSymbols,
            "kernel symbols not used (--kernel-symbols auto): " + *why_not +
                "; kernel and vDSO frames keep raw addresses (--kernel-symbols always uses this "
                "machine's)",
            ""});
      } else {
        symbolizer_options.use_kallsyms = true;
      }
      break;
  }
  report.kernel_symbols_used = symbolizer_options.use_kallsyms;

  binaries::BinaryTable binaries(symbolize::binary_options(symbolizer_options));
  symbolize::Symbolizer symbolizer(binaries, symbolizer_options);
  JoinHandler handler(**reader, binaries, symbolizer, options, span_loader.get());
  auto read = (*reader)->read_records(handler);
  if (!read) return std::unexpected(read.error());
  if (auto finished = handler.finish(); !finished) return std::unexpected(finished.error());
  report.read = *read;
  for (const Warning& warning : options.input_warnings) report.warnings.push_back(warning);
  report.notes = options.input_notes;
  // The reader's header warnings are rendered Errors; their where is in the text.
  for (const std::string& warning : info.warnings) {
    report.warnings.push_back(Warning{WarningKind::kPerfHeader, warning, ""});
  }
  if (read->damage) {
    report.warnings.push_back(Warning::from_error(WarningKind::kDamage, *read->damage));
  }
  // A plan is made at the first fork or exit too: a capture is empty when
  // no event has a sample (sched_switch samples included).
  bool has_samples = handler.has_profile() &&
                     (handler.samples() > 0 || handler.samples_other_events() > 0 ||
                      (handler.off_cpu() != nullptr && handler.off_cpu()->sched_switch_samples() > 0));
  if (!has_samples) {
    std::string where = options.perf_data_path;
    if (read->damage) {
      return make_error("no samples could be decoded before the damage: " +
                            read->damage->message,
                        where, "re-record the capture");
    }
    Error empty = make_error("the capture holds no samples", where,
                             "check that the workload ran long enough and that perf could sample "
                             "it (perf record prints the number of samples it wrote)")
                      .error();
    if (!options.allow_empty) return std::unexpected(empty);
    // spanprof report and export still write their (empty) files, saying why.
    report.read = *read;
    report.empty = true;
    report.warnings.push_back(Warning{WarningKind::kCapture, empty.to_string(), ""});
    return report;
  }

  if (!info.clock_data && options.fallback_clock && handler.primary_attr().use_clockid() &&
      static_cast<int32_t>(options.fallback_clock->clockid) == handler.primary_attr().clockid) {
    report.warnings.push_back(Warning{
        WarningKind::kClock,
        "perf.data has no CLOCK_DATA (the capture was cut short?): sample times were put on the "
        "wall clock with capture.json's clock reading instead",
        ""});
  }

  profile::ProfileBuilder& builder = handler.builder();
  if (auto range = handler.time_range()) {
    report.duration_ns = static_cast<int64_t>(range->second - range->first);
    builder.set_duration_nanos(report.duration_ns);
    if (const auto& clock = handler.clock()) {
      report.start_unix_ns = clock->to_unix_ns(range->first);
      builder.set_time_nanos(*report.start_unix_ns);
    }
  }

  if (report.spans) fill_span_report(handler, report);
  if (report.spans && !report.spans->join_error) {
    add_span_match_warnings(report.spans->matching, report.warnings);
  }
  if (report.spans) {
    // A Node process without activation records is joined by span times: say
    // why its samples may lack span labels (docs/activations.md).
    for (uint32_t pid : handler.node_pids()) {
      std::string name = capture::activation_file_name(pid);
      auto is_its = [&name](const std::string& path) { return path.ends_with("/" + name); };
      std::string note = capture::activation_error_note_name(pid);
      auto is_note = [&note](const std::string& path) { return path.ends_with("/" + note); };
      if (std::any_of(options.activation_files.begin(), options.activation_files.end(), is_its) ||
          std::any_of(options.activation_error_notes.begin(), options.activation_error_notes.end(),
                      is_note)) {
        continue;
      }
      report.warnings.push_back(Warning{
          WarningKind::kActivations,
          fmt::format("Node process {} wrote no activation records, so its samples are joined by "
                      "span times (samples among interleaved requests get no span labels); under "
                      "`spanprof run` spanprof's Node hook writes them unless --no-runtime-hooks "
                      "is given or the app replaces NODE_OPTIONS",
                      pid),
          ""});
    }
  }
  if (report.spans && report.spans->activations) {
    add_activation_warnings(*report.spans->activations, report.warnings);
  } else if (!options.activation_files.empty() || !options.activation_error_notes.empty()) {
    report.warnings.push_back(Warning{
        WarningKind::kActivations,
        fmt::format("{} activation files were not used: there are no span files to name their "
                    "spans",
                    options.activation_files.size()),
        ""});
  }

  if (options.sample_sink != nullptr) {
    if (handler.attribution() != nullptr) options.sample_sink->on_spans(*handler.attribution());
    options.sample_sink->on_profile(builder);
  }
  if (options.write_profile) {
    if (auto written = builder.write_gzipped(options.output_path); !written) {
      return std::unexpected(written.error());
    }
  }
  if (auto others = write_other_profiles(handler, options, report); !others) {
    return std::unexpected(others.error());
  }
  if (auto off_cpu = finish_off_cpu(handler, options, report); !off_cpu) {
    return std::unexpected(off_cpu.error());
  }

  report.event = handler.event();
  report.samples = handler.samples();
  report.total_weight = handler.total_weight();
  report.samples_other_events = handler.samples_other_events();
  report.pprof_samples = builder.sample_count();
  report.unique_stacks = builder.stack_count();
  report.threads = handler.threads();
  report.processes = handler.processes().stats();
  report.symbols = symbolizer.stats();
  report.stacks = handler.stack_stats();
  report.hottest = handler.hottest(options.hottest_count);
  // The binaries' and the symbolizer's warnings are one-line texts naming their file.
  for (const std::string& warning : binaries.warnings()) {
    report.warnings.push_back(Warning{WarningKind::kSymbols, warning, ""});
  }
  for (const std::string& warning : symbolizer.warnings()) {
    report.warnings.push_back(Warning{WarningKind::kSymbols, warning, ""});
  }
  if (report.samples == 0) {
    report.warnings.push_back(Warning{
        WarningKind::kOtherEvents,
        fmt::format("the main profile's event {} has no samples{}", report.event.name,
                    report.other_events.empty()
                        ? std::string()
                        : fmt::format(" (--event picks another: {})",
                                      report.other_events.front().event.name)),
        ""});
  }
  if (!options.summary_path.empty()) {
    if (auto written = write_summary_json(report, options.summary_path); !written) {
      return std::unexpected(written.error());
    }
  }
  return report;
}

}  // namespace spanprof::join
