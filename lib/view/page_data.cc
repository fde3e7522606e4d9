#include "view/page_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>

#include "common/json_quote.h"

namespace spanprof::view {
namespace {

constexpr int64_t kCut = -2;  // rows: in spans, none of which was kept

// What the samples inside one span add up to (the span and its children).
struct SpanSums {
  int64_t event = 0;
  std::array<int64_t, 4> off_cpu{};
  uint64_t samples = 0;  // main-event samples
};

struct NameStats {
  std::vector<int64_t> durations;
  int64_t event = 0;
  std::array<int64_t, 4> off_cpu{};
  uint64_t samples = 0;
  uint64_t without_samples = 0;
  std::vector<uint32_t> slowest;  // span indices of the model, longest first
};

struct RowKey {
  int64_t bucket, thread, span, top, stack, kind;
  bool operator==(const RowKey&) const = default;
};
struct RowHash {
  size_t operator()(const RowKey& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t v : {k.bucket, k.thread, k.span, k.top, k.stack, k.kind}) {
      h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
    }
    return h;
  }
};
struct Sum {
  int64_t weight = 0;
  int64_t count = 0;
};

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the values at or below it.
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void append_int(std::string& out, int64_t value) { fmt::format_to(std::back_inserter(out), "{}", value); }

// The spans listed on the page: the slowest of each name first, then those
// with the most samples, with their parents (so a listed span's parents are
// listed, and "the innermost listed span" of a sample is well defined).
std::vector<uint32_t> choose_spans(const ViewModel& model, const std::vector<NameStats>& names,
                                   const std::unordered_map<uint32_t, SpanSums>& sums,
                                   size_t max_spans, std::vector<uint32_t>& kept_index) {
  kept_index.assign(model.spans.size(), kNone);
  std::vector<uint32_t> kept;
  auto keep = [&](uint32_t span) {
    // With its parents, or not at all.
    std::vector<uint32_t> chain;
    for (uint32_t s = span; s != kNone && kept_index[s] == kNone; s = model.spans[s].parent) {
      chain.push_back(s);
    }
    if (kept.size() + chain.size() > max_spans) return false;
    for (uint32_t s : chain) {
      kept_index[s] = 0;
      kept.push_back(s);
    }
    return true;
  };
  for (const NameStats& name : names) {
    for (uint32_t span : name.slowest) keep(span);
  }
  std::vector<std::pair<uint64_t, uint32_t>> sampled;
  sampled.reserve(sums.size());
  for (const auto& [span, sum] : sums) {
    sampled.emplace_back(sum.samples + (sum.off_cpu[0] + sum.off_cpu[1] + sum.off_cpu[2] +
                                                sum.off_cpu[3] > 0 ? 1 : 0),
                         span);
  }
  std::sort(sampled.begin(), sampled.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (const auto& [weight, span] : sampled) {
    if (kept.size() >= max_spans) break;
    keep(span);
  }
  // Then the others, longest first, while there is room.
  if (kept.size() < max_spans && kept.size() < model.spans.size()) {
    std::vector<uint32_t> rest;
    for (uint32_t i = 0; i < model.spans.size(); ++i) {
      if (kept_index[i] == kNone) rest.push_back(i);
    }
    std::sort(rest.begin(), rest.end(), [&](uint32_t a, uint32_t b) {
      int64_t da = model.spans[a].end_ns - model.spans[a].start_ns;
      int64_t db = model.spans[b].end_ns - model.spans[b].start_ns;
      return da != db ? da > db : a < b;
    });
    for (uint32_t span : rest) {
      if (kept.size() >= max_spans) break;
      keep(span);
    }
  }
  // Listed in time order.
  std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
    const Span& x = model.spans[a];
    const Span& y = model.spans[b];
    return x.start_ns != y.start_ns ? x.start_ns < y.start_ns : a < b;
  });
  for (uint32_t i = 0; i < kept.size(); ++i) kept_index[kept[i]] = i;
  return kept;
}

}  // namespace

PageData page_data(const ViewModel& model, const std::string& summary_json,
                   const std::string& title, const PageLimits& limits) {
  PageData page;
  const bool has_clock = model.start_ns.has_value();
  const int64_t start = model.start_ns.value_or(0);
  const int64_t duration = std::max<int64_t>(model.duration_ns, 1);

  // Per span and per span name, over every span and sample.
  std::unordered_map<uint32_t, SpanSums> sums;
  std::vector<NameStats> names(model.names.size());
  // (name << 32 | stack) -> sum, per kind
  std::array<std::unordered_map<uint64_t, Sum>, kSampleKinds> name_rows_by_kind;
  std::vector<uint32_t> chain_names;
  for (const Sample& sample : model.samples) {
    const auto kind = static_cast<size_t>(sample.kind);
    chain_names.clear();
    for_each_span_of(model, sample, [&](uint32_t span) {
      SpanSums& sum = sums[span];
      if (sample.kind == SampleKind::kEvent) {
        sum.event += sample.weight;
        sum.samples += sample.count;
      } else {
        sum.off_cpu[kind - 1] += sample.weight;
      }
      chain_names.push_back(model.spans[span].name);
    });
    std::sort(chain_names.begin(), chain_names.end());
    chain_names.erase(std::unique(chain_names.begin(), chain_names.end()), chain_names.end());
    for (uint32_t name : chain_names) {
      NameStats& stats = names[name];
      if (sample.kind == SampleKind::kEvent) {
        stats.event += sample.weight;
        stats.samples += sample.count;
      } else {
        stats.off_cpu[kind - 1] += sample.weight;
      }
      uint64_t key = (static_cast<uint64_t>(name) << 32) | (sample.stack & 0xffffffffU);
      Sum& row = name_rows_by_kind[kind][key];
      row.weight += sample.weight;
      row.count += sample.count;
    }
  }
  for (uint32_t i = 0; i < model.spans.size(); ++i) {
    const Span& span = model.spans[i];
    NameStats& stats = names[span.name];
    stats.durations.push_back(span.end_ns - span.start_ns);
    auto it = sums.find(i);
    if (it == sums.end() || it->second.samples == 0) ++stats.without_samples;
  }
  {
    // The slowest spans of each name.
    std::vector<std::vector<uint32_t>> by_name(model.names.size());
    for (uint32_t i = 0; i < model.spans.size(); ++i) by_name[model.spans[i].name].push_back(i);
    for (size_t n = 0; n < by_name.size(); ++n) {
      auto& list = by_name[n];
      const size_t top = std::min(limits.slowest_per_name, list.size());
      auto longer = [&](uint32_t a, uint32_t b) {
        int64_t da = model.spans[a].end_ns - model.spans[a].start_ns;
        int64_t db = model.spans[b].end_ns - model.spans[b].start_ns;
        return da != db ? da > db : a < b;
      };
      std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(top), list.end(), longer);
      names[n].slowest.assign(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(top));
    }
  }

  std::vector<uint32_t> kept_index;
  std::vector<uint32_t> kept = choose_spans(model, names, sums, limits.max_spans, kept_index);
  page.spans_kept = kept.size();
  if (kept.size() < model.spans.size()) {
    page.cuts.push_back(fmt::format(
        "{} of {} spans are listed (the slowest of each name, then those with the most samples, "
        "then the longest, with their parents); the span table counts them all",
        kept.size(), model.spans.size()));
  }

  // Samples summed into rows; the buckets coarsen until the rows fit.
  uint32_t buckets = has_clock ? std::max<uint32_t>(limits.buckets, 1) : 1;
  std::unordered_map<RowKey, Sum, RowHash> rows;
  int64_t bucket_ns = duration;
  uint64_t samples_without_time = 0;
  for (;;) {
    bucket_ns = (duration + buckets - 1) / buckets;
    rows.clear();
    samples_without_time = 0;
    for (const Sample& sample : model.samples) {
      int64_t bucket = 0;
      if (has_clock && sample.time_ns) {
        bucket = std::clamp<int64_t>((*sample.time_ns - start) / bucket_ns, 0, buckets - 1);
      } else if (has_clock) {
        ++samples_without_time;
      }
      int64_t span = -1;
      int64_t top = -1;
      if (sample.span != kNone) {
        span = kCut;
        top = kCut;
        for_each_span_of(model, sample, [&](uint32_t s) {
          if (span == kCut && kept_index[s] != kNone) span = kept_index[s];
        });
        if (span != kCut) top = kept_index[sample.span_top];
      }
      RowKey key{bucket, sample.thread, span, top,
                 sample.stack == kNone ? -1 : static_cast<int64_t>(sample.stack),
                 static_cast<int64_t>(sample.kind)};
      if (sample.kind == SampleKind::kEvent || !has_clock || !sample.time_ns) {
        Sum& row = rows[key];
        row.weight += sample.weight;
        row.count += sample.count;
        continue;
      }
      // An off-CPU piece lasts its weight: each step it covers gets its part,
      // so a range of the timeline holds the off-CPU time inside it.
      int64_t at = std::max(*sample.time_ns, start);
      const int64_t end = *sample.time_ns + sample.weight;
      int64_t count = sample.count;
      int64_t left = sample.weight;
      while (left > 0) {
        const int64_t step_end =
            key.bucket >= buckets - 1 ? INT64_MAX : start + (key.bucket + 1) * bucket_ns;
        const int64_t part = std::min(left, std::max<int64_t>(std::min(end, step_end) - at, 0));
        const int64_t taken = part > 0 ? part : left;  // before the capture's start: all in step 0
        Sum& row = rows[key];
        row.weight += taken;
        row.count += count;
        count = 0;
        left -= taken;
        at += taken;
        if (key.bucket < buckets - 1) ++key.bucket;
      }
    }
    if (rows.size() <= limits.max_rows || buckets == 1) break;
    buckets = std::max<uint32_t>(buckets / 2, 1);
  }
  if (has_clock && buckets < limits.buckets) {
    page.cuts.push_back(fmt::format("the timeline has {} steps of {:.1f} ms (coarsened to keep the page small)",
                                    buckets, static_cast<double>(bucket_ns) / 1e6));
  }
  if (samples_without_time > 0) {
    page.cuts.push_back(fmt::format("{} samples have no time: they are in the graphs, at the timeline's start",
                                    samples_without_time));
  }
  page.rows = rows.size();

  // The JSON.
  std::string& out = page.json;
  out.reserve(rows.size() * 40 + model.stacks.size() * 12 + kept.size() * 60 + 4096);
  out += "{\"version\":1,\"title\":";
  append_json_quoted(out, title);
  out += ",\"summary\":";
  out += summary_json.empty() ? "null" : summary_json;
  out += ",\"event\":{\"name\":";
  append_json_quoted(out, model.event.name);
  fmt::format_to(std::back_inserter(out), ",\"unit\":\"{}\",\"period\":{},\"is_time\":{}}}",
                 model.event_is_time ? "nanoseconds" : "count", model.event.period,
                 model.event_is_time ? "true" : "false");
  fmt::format_to(std::back_inserter(out),
                 ",\"has_off_cpu\":{},\"has_clock\":{},\"start_unix_ns\":\"{}\",\"duration_ns\":{},"
                 "\"bucket_ns\":{},\"buckets\":{}",
                 model.has_off_cpu ? "true" : "false", has_clock ? "true" : "false", start,
                 model.duration_ns, bucket_ns, buckets);
  out += ",\"kinds\":[";
  for (size_t k = 0; k < kSampleKinds; ++k) {
    if (k) out += ',';
    append_json_quoted(out, sample_kind_name(static_cast<SampleKind>(k)));
  }
  out += "],\"frames\":[";
  for (size_t i = 0; i < model.frames.size(); ++i) {
    const Frame& f = model.frames[i];
    if (i) out += ',';
    out += '[';
    append_json_quoted(out, f.function);
    out += ',';
    append_json_quoted(out, f.file);
    out += ',';
    append_int(out, f.line);
    out += ',';
    append_json_quoted(out, f.module);
    out += ']';
  }
  out += "],\"stacks\":[";
  for (size_t i = 0; i < model.stacks.size(); ++i) {
    if (i) out += ',';
    const StackNode& node = model.stacks[i];
    append_int(out, node.parent == kNone ? -1 : static_cast<int64_t>(node.parent));
    out += ',';
    append_int(out, node.frame);
  }
  out += "],\"threads\":[";
  for (size_t i = 0; i < model.threads.size(); ++i) {
    const Thread& t = model.threads[i];
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "[{},{},", t.pid, t.tid);
    append_json_quoted(out, t.name);
    out += ']';
  }
  out += "],\"names\":[";
  for (size_t i = 0; i < model.names.size(); ++i) {
    if (i) out += ',';
    append_json_quoted(out, model.names[i]);
  }
  out += "],\"spans\":[";
  std::vector<uint32_t> depth(kept.size(), 0);
  for (size_t i = 0; i < kept.size(); ++i) {
    const Span& span = model.spans[kept[i]];
    int64_t parent = span.parent == kNone || kept_index[span.parent] == kNone
                         ? -1
                         : static_cast<int64_t>(kept_index[span.parent]);
    uint32_t d = 0;
    for (uint32_t s = span.parent; s != kNone; s = model.spans[s].parent) ++d;
    depth[i] = d;
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{}", span.name,
                   span.thread == kNone ? -1 : static_cast<int64_t>(span.thread),
                   span.start_ns - start, span.end_ns - start, parent, i, d);
  }
  out += "],\"span_ids\":[";
  for (size_t i = 0; i < kept.size(); ++i) {
    const Span& span = model.spans[kept[i]];
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "[\"{}\",\"{}\"]", spans::span_id_hex(span.span_id),
                   spans::trace_id_hex(span.trace_id));
  }
  out += "],\"span_names\":[";
  bool first_name = true;
  for (size_t n = 0; n < names.size(); ++n) {
    NameStats& stats = names[n];
    if (stats.durations.empty()) continue;
    std::sort(stats.durations.begin(), stats.durations.end());
    if (!first_name) out += ',';
    first_name = false;
    out += "{\"name\":";
    append_int(out, static_cast<int64_t>(n));
    fmt::format_to(std::back_inserter(out),
                   ",\"count\":{},\"p50_ns\":{},\"p95_ns\":{},\"max_ns\":{},\"event\":{},"
                   "\"off_cpu\":[{},{},{},{}],\"samples\":{},\"without_samples\":{},\"slowest\":[",
                   stats.durations.size(), percentile(stats.durations, 0.5),
                   percentile(stats.durations, 0.95), stats.durations.back(), stats.event,
                   stats.off_cpu[0], stats.off_cpu[1], stats.off_cpu[2], stats.off_cpu[3],
                   stats.samples, stats.without_samples);
    bool first = true;
    for (uint32_t span : stats.slowest) {
      if (kept_index[span] == kNone) continue;
      if (!first) out += ',';
      first = false;
      append_int(out, kept_index[span]);
    }
    out += "]}";
  }
  out += "],\"rows\":[";
  // Deterministic order: by bucket, thread, then the rest.
  std::vector<std::pair<RowKey, Sum>> sorted_rows(rows.begin(), rows.end());
  std::sort(sorted_rows.begin(), sorted_rows.end(), [](const auto& a, const auto& b) {
    const RowKey& x = a.first;
    const RowKey& y = b.first;
    return std::tie(x.bucket, x.thread, x.span, x.top, x.stack, x.kind) <
           std::tie(y.bucket, y.thread, y.span, y.top, y.stack, y.kind);
  });
  for (size_t i = 0; i < sorted_rows.size(); ++i) {
    const auto& [k, sum] = sorted_rows[i];
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{}", k.bucket, k.thread, k.span,
                   k.top, k.stack, k.kind, sum.weight, sum.count);
  }
  out += "],\"name_rows\":[";
  bool first_row = true;
  for (size_t kind = 0; kind < kSampleKinds; ++kind) {
    std::vector<std::pair<uint64_t, Sum>> list(name_rows_by_kind[kind].begin(),
                                               name_rows_by_kind[kind].end());
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, sum] : list) {
      if (!first_row) out += ',';
      first_row = false;
      uint32_t stack = static_cast<uint32_t>(key & 0xffffffffU);
      fmt::format_to(std::back_inserter(out), "{},{},{},{},{}", key >> 32,
                     stack == kNone ? -1 : static_cast<int64_t>(stack), kind, sum.weight, sum.count);
    }
  }
  out += "],\"cuts\":[";
  for (size_t i = 0; i < page.cuts.size(); ++i) {
    if (i) out += ',';
    append_json_quoted(out, page.cuts[i]);
  }
  out += "]}";
  return page;
}

}  // namespace spanprof::view
