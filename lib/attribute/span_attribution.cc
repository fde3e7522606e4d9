#include "attribute/span_attribution.h"

#include <algorithm>

namespace spanprof::attribute {

SpanAttribution::SpanAttribution(spans::SpanSet spans, SpanScope scope)
    : spans_(std::move(spans)),
      tree_(spans_),
      coarse_stats_(repair_coarse_clocks(spans_, tree_)),
      index_(spans_, tree_),
      scope_(scope),
      self_weight_(spans_.spans.size(), 0),
      sample_count_(spans_.spans.size(), 0),
      thread_weight_(spans_.spans.size(), 0),
      name_seen_(spans_.names.size(), 0),
      name_total_(spans_.names.size(), 0) {}

void SpanAttribution::use_activations(const activations::ActivationSet& set,
                                      std::optional<int64_t> monotonic_to_unix_ns) {
  activations_ = std::make_unique<ActivationTimeline>(set, spans_, tree_, monotonic_to_unix_ns);
}

ActivationSampleStats SpanAttribution::activation_stats() const {
  ActivationSampleStats stats = activation_samples_;
  if (activations_) stats.join = activations_->stats();
  return stats;
}

bool SpanAttribution::match_by_activation(uint32_t pid, uint32_t tid, int64_t unix_ns,
                                          SpanMatch& match) {
  if (!activations_) return false;
  ActivationTimeline::Hit hit = activations_->lookup(pid, tid, unix_ns);
  using State = ActivationTimeline::State;
  switch (hit.state) {
    case State::kNoActivations: return false;
    case State::kBeforeFirst: ++activation_samples_.samples_before_first; break;
    case State::kNoSpan: ++activation_samples_.samples_no_span; break;
    case State::kUnknownSpan: ++activation_samples_.samples_unknown_span; break;
    case State::kSpan:
      ++activation_samples_.samples_in_spans;
      match = {hit.span, tree_.local_root(hit.span)};
      break;
  }
  ++activation_samples_.samples;
  return true;
}

uint32_t SpanAttribution::label(uint32_t pid, uint32_t tid, int64_t unix_ns, int64_t weight,
                            std::vector<profile::Label>& labels) {
  ++samples_;
  weight_ += weight;
  sampled_.add(pid, tid, unix_ns);
  SpanMatch match;
  if (!match_by_activation(pid, tid, unix_ns, match)) match = index_.lookup(pid, tid, unix_ns, weight);
  if (match.innermost == kNoSpan) return kNoSpan;
  ++samples_in_spans_;
  weight_in_spans_ += weight;
  self_weight_[match.innermost] += weight;

  // The sample is inside every span on the chain from the innermost span to
  // its local root: each counts it, and each name gets its total once.
  for (uint32_t span = match.innermost; span != kNoSpan; span = tree_.parent(span)) {
    ++sample_count_[span];
    uint32_t name = spans_.spans[span].name_index;
    if (name_seen_[name] != samples_) {
      name_seen_[name] = samples_;
      name_total_[name] += weight;
    }
  }
  // CPU on the span's own thread: up the chain while the spans are placed
  // on the sample's thread (a parent elsewhere waits for a remote child; a
  // common ancestor chosen for interleaved spans may live on another thread).
  for (uint32_t span = match.innermost; span != kNoSpan && on_thread(span, pid, tid);
       span = tree_.parent(span)) {
    thread_weight_[span] += weight;
  }
  append_labels(match, labels);
  return match.innermost;
}

SpanMatch SpanAttribution::match_at(uint32_t pid, uint32_t tid, int64_t unix_ns) {
  if (activations_ && activations_->has_thread(pid, tid)) {
    // As match_by_activation decides, without its counters.
    ActivationTimeline::Hit hit = activations_->lookup(pid, tid, unix_ns);
    if (hit.state != ActivationTimeline::State::kSpan) return {};
    return {hit.span, tree_.local_root(hit.span), SpanChoice::kDeepest};
  }
  return index_.match(pid, tid, unix_ns);
}

int64_t SpanAttribution::next_change(uint32_t pid, uint32_t tid, int64_t unix_ns) const {
  // The records alone decide a thread that has them: span times do not move
  // its answer.
  if (activations_ && activations_->has_thread(pid, tid)) {
    return activations_->next_transition(pid, tid, unix_ns);
  }
  return index_.next_boundary(pid, tid, unix_ns);
}

bool SpanAttribution::on_thread(uint32_t span, uint32_t pid, uint32_t tid) const {
  if (index_.is_placed(span)) {
    std::optional<SpanThread> thread = thread_of_span(spans_, spans_.spans[span]);
    if (thread && (thread->key == thread_key(pid, tid) || thread->key == thread_key(0, tid))) {
      return true;
    }
  }
  return activations_ && activations_->activated_on(span, pid, tid);
}

void SpanAttribution::append_labels(const SpanMatch& match,
                                    std::vector<profile::Label>& labels) const {
  if (match.innermost == kNoSpan) return;
  const spans::Span& innermost = spans_.spans[match.innermost];
  const spans::Span& chosen =
      scope_ == SpanScope::kRoot ? spans_.spans[match.root] : innermost;
  labels.push_back({"span_id", spans::span_id_hex(chosen.span_id), 0, {}});
  labels.push_back({"span_name", spans_.names[chosen.name_index], 0, {}});
  labels.push_back({"trace_id", spans::trace_id_hex(chosen.trace_id), 0, {}});
  labels.push_back({"innermost_span_id", spans::span_id_hex(innermost.span_id), 0, {}});
  labels.push_back({"innermost_span_name", spans_.names[innermost.name_index], 0, {}});
  const spans::Resource& resource = spans_.resources[innermost.resource_index];
  if (!resource.service_name.empty()) labels.push_back({"service_name", resource.service_name, 0, {}});
  if (!resource.service_namespace.empty()) {
    labels.push_back({"service_namespace", resource.service_namespace, 0, {}});
  }
}

MatchDiagnosis SpanAttribution::diagnose_matching() const {
  return attribute::diagnose_matching(spans_, tree_, sampled_);
}

AttributionSummary SpanAttribution::summarize(int64_t period_ns) const {
  AttributionSummary summary;
  summary.samples = samples_;
  summary.samples_in_spans = samples_in_spans_;
  summary.weight = weight_;
  summary.weight_in_spans = weight_in_spans_;
  if (activations_) {
    for (auto [pid, tid] : activations_->threads()) {
      summary.ambiguous_spans_on_activated_threads += index_.ambiguous_spans_on(pid, tid);
    }
  }

  std::vector<SpanCpu> by_name(spans_.names.size());
  for (size_t name = 0; name < spans_.names.size(); ++name) {
    by_name[name].name = spans_.names[name];
    by_name[name].total = name_total_[name];
  }
  std::vector<SpanWithoutSamples> without;
  for (uint32_t i = 0; i < spans_.spans.size(); ++i) {
    if (tree_.is_dropped(i)) continue;
    const spans::Span& span = spans_.spans[i];
    by_name[span.name_index].self += self_weight_[i];
    ++by_name[span.name_index].spans;
    if (std::optional<SpanThread> thread = thread_of_span(spans_, span);
        thread && thread->by_runtime_thread_id &&
        sampled_.has_thread(pid_of_key(thread->key), tid_of_key(thread->key))) {
      ++summary.spans_placed_by_runtime_thread_id;
    }
    bool activated = activations_ && activations_->is_activated(i);
    if (activated && !index_.is_placed(i)) ++summary.spans_placed_by_activation;
    if (sample_count_[i] > 0) {
      ++summary.spans_with_samples;
      continue;
    }
    if (!index_.is_placed(i) && !activated) continue;  // counted as without a thread id
    ++summary.spans_without_samples;
    int64_t duration = span.end_unix_ns - span.start_unix_ns;
    if (duration < period_ns) ++summary.spans_without_samples_shorter_than_period;
    without.push_back({spans_.names[span.name_index], duration});
  }
  size_t keep = std::min<size_t>(10, without.size());
  std::partial_sort(without.begin(), without.begin() + static_cast<std::ptrdiff_t>(keep),
                    without.end(), [](const auto& a, const auto& b) {
                      return a.duration_ns > b.duration_ns;
                    });
  without.resize(keep);
  summary.longest_without_samples = std::move(without);

  std::erase_if(by_name, [](const SpanCpu& cpu) { return cpu.spans == 0; });
  std::sort(by_name.begin(), by_name.end(), [](const SpanCpu& a, const SpanCpu& b) {
    if (a.total != b.total) return a.total > b.total;
    if (a.self != b.self) return a.self > b.self;
    return a.name < b.name;
  });
  summary.by_name = std::move(by_name);
  return summary;
}

}  // namespace spanprof::attribute
