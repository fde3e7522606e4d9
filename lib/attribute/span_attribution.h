// The span join: labels each sample with the span running on its thread.
//
// Takes: the capture's spans, and samples (already in Unix time) in time
// order. Gives: pprof labels for each sample (span_id, span_name, trace_id of
// the chosen scope, innermost_span_id/_name, service_name) and per-span CPU
// for the summary; for off-CPU intervals, the same span choice and labels
// piece by piece, between the instants where that choice may change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <memory>
#include <optional>

#include "activations/activation_set.h"
#include "attribute/activation_timeline.h"
#include "attribute/coarse_clock_repair.h"
#include "attribute/match_diagnosis.h"
#include "attribute/span_index.h"
#include "attribute/span_tree.h"
#include "profile/profile_builder.h"
#include "spans/span_set.h"

namespace spanprof::attribute {

enum class SpanScope { kRoot, kInnermost };

struct SpanCpu {
  std::string name;
  int64_t self = 0;   // weight whose innermost span has this name
  int64_t total = 0;  // weight inside a span of this name (descendants on the thread included)
  uint64_t spans = 0; // spans of this name
};

struct SpanWithoutSamples {
  std::string name;
  int64_t duration_ns = 0;
};

// What the activation records decided (docs/activations.md).
struct ActivationSampleStats {
  ActivationJoinStats join;
  uint64_t samples = 0;               // samples on threads with activation records
  uint64_t samples_in_spans = 0;      // of those, labelled with the activated span
  uint64_t samples_no_span = 0;       // a record said no span was current
  uint64_t samples_before_first = 0;  // earlier than their thread's first record
  uint64_t samples_unknown_span = 0;  // the current span is in no span file: unlabelled
};

struct AttributionSummary {
  uint64_t samples = 0;
  uint64_t samples_in_spans = 0;
  int64_t weight = 0;
  int64_t weight_in_spans = 0;
  uint64_t spans_with_samples = 0;
  uint64_t spans_without_samples = 0;       // of the spans that could be placed on a thread
  uint64_t spans_without_samples_shorter_than_period = 0;
  // Spans without a thread id that activation records put on a thread.
  uint64_t spans_placed_by_activation = 0;
  // Spans placed by thread.id whose (pid, tid) a sample proved to be an OS
  // thread of the process: the only ones thread.id can match.
  uint64_t spans_placed_by_runtime_thread_id = 0;
  // Of SpanIndexStats::ambiguous_spans, those on threads activation records
  // decide: their overlap costs nothing.
  uint64_t ambiguous_spans_on_activated_threads = 0;
  std::vector<SpanWithoutSamples> longest_without_samples;  // up to 10
  std::vector<SpanCpu> by_name;  // sorted by total weight, then self
};

class SpanAttribution {
 public:
  // Takes ownership of the spans; builds the span tree and the per-thread index
  // (the costly part, O(spans log spans)).
  SpanAttribution(spans::SpanSet spans, SpanScope scope);

  // Appends the span labels of a sample at unix_ns (none outside any span);
  // returns the innermost span it fell in (kNoSpan for none).
  uint32_t label(uint32_t pid, uint32_t tid, int64_t unix_ns, int64_t weight,
             std::vector<profile::Label>& labels);

  // Off-CPU intervals (issue #13) are joined piece by piece with these three:
  // The span on (pid, tid) at unix_ns, chosen exactly as label() chooses
  // (activation records first), without counting a sample.
  SpanMatch match_at(uint32_t pid, uint32_t tid, int64_t unix_ns);
  // The first instant after unix_ns at which match_at on this thread may give
  // another answer: a span placed on the thread starts or ends, or one of the
  // thread's activation records takes effect. INT64_MAX when none follows.
  int64_t next_change(uint32_t pid, uint32_t tid, int64_t unix_ns) const;
  // The span labels label() appends for this match (none for no span).
  void append_labels(const SpanMatch& match, std::vector<profile::Label>& labels) const;
  // Per span: the CPU weight of samples inside it on its own thread, child
  // spans on that thread included (for a span's time breakdown).
  int64_t cpu_on_thread(uint32_t span) const { return thread_weight_[span]; }
  // True when span is on (pid, tid): its thread id places it there (as
  // lookup keys it: (pid, tid) or (0, tid)) or a record of that thread names
  // it. cpu_on_thread walks up from a sample's span while this holds.
  bool on_thread(uint32_t span, uint32_t pid, uint32_t tid) const;
  // The span tree, to walk a match up to the spans that contain it.
  const SpanTree& tree() const { return tree_; }

  // From here on, samples on threads with activation records get the span
  // the records say was current (their parents give the root); other threads
  // are joined by span times. monotonic_to_unix_ns: see ActivationTimeline.
  void use_activations(const activations::ActivationSet& set,
                       std::optional<int64_t> monotonic_to_unix_ns);
  // Null without activations.
  const ActivationTimeline* activations() const { return activations_.get(); }
  ActivationSampleStats activation_stats() const;

  // period_ns: the sampling period, to explain spans that got no sample.
  AttributionSummary summarize(int64_t period_ns) const;

  // Why spans met no sample (wrong ids, a pid namespace, disjoint times), from
  // the samples labelled so far.
  MatchDiagnosis diagnose_matching() const;

  const SpanTreeStats& tree_stats() const { return tree_.stats(); }
  const SpanIndexStats& index_stats() const { return index_.stats(); }
  const CoarseClockStats& coarse_clock_stats() const { return coarse_stats_; }
  const spans::SpanSet& spans() const { return spans_; }

 private:
  // True when the sample's thread has activation records; match is then theirs.
  bool match_by_activation(uint32_t pid, uint32_t tid, int64_t unix_ns, SpanMatch& match);

  spans::SpanSet spans_;
  SpanTree tree_;
  CoarseClockStats coarse_stats_;  // before index_: the repair moves spans it indexes
  SpanIndex index_;
  SpanScope scope_;
  std::unique_ptr<ActivationTimeline> activations_;
  ActivationSampleStats activation_samples_;
  SampledThreads sampled_;  // every sample's thread and time, for diagnose_matching
  std::vector<int64_t> self_weight_;   // per span
  std::vector<uint32_t> sample_count_;  // per span: samples inside it, child spans included
  std::vector<int64_t> thread_weight_;  // per span: cpu_on_thread
  std::vector<uint64_t> name_seen_;     // per name: last sample counter, to count total once
  std::vector<int64_t> name_total_;     // per name
  uint64_t samples_ = 0;
  uint64_t samples_in_spans_ = 0;
  int64_t weight_ = 0;
  int64_t weight_in_spans_ = 0;
};

}  // namespace spanprof::attribute
