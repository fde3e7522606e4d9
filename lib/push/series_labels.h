// The series labels of every pushed profile: __name__, service_name,
// service_namespace, hostname and the user's --label k=v, checked the way
// Pyroscope checks them, so a bad label is reported before anything is sent.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

using LabelList = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxSeriesLabelNames = 30;  // Pyroscope's default per series
// /ingest turns a request into a PushRequest whose series also carries
// pyroscope_app and __delta__ (grafana/pyroscope pkg/ingester/pyroscope/
// ingest_adapter.go, Put): two names of the 30 a series may have.
inline constexpr size_t kIngestAddedLabelNames = 2;

// Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool is_valid_label_name(std::string_view name);

struct SeriesLabelInputs {
  std::string metric_name = "process_cpu";  // __name__ (profile_kind.h)
  std::string service_name;
  std::string service_namespace;  // "" = no service_namespace label
  std::string hostname;           // "" = no hostname label (--host-label not given)
  LabelList user_labels;          // --label, in their order
  bool span_name_label = true;    // span_name is sent (the server makes it a series label)
  bool for_ingest = false;        // /ingest: its app-name and name{k=v} syntax
  bool host_label = false;        // --host-label: hostname is spanprof's, not the user's
  // A sample label of this kind that the server makes a series label
  // (thread_state in off-CPU and wall profiles), "" for none: it counts
  // against the 30.
  std::string kept_label;
};

// __name__ (process_cpu, off_cpu or wall), service_name, service_namespace,
// hostname, then the user's labels in their order. Fails on an invalid or
// reserved name (__*, service_name, service_namespace, span_id, trace_id,
// span_name, thread_state, and hostname with --host-label), a duplicate name,
// an empty value, or more than 30 names counting span_name when it is sent,
// the kept label and the 2 that /ingest adds.
// for_ingest: the service name must match [A-Za-z0-9_.\-/]+ and the values
// fit /ingest's name{k=v,...} syntax.
Result<LabelList> series_labels(const SeriesLabelInputs& inputs);

// Bytes of the label names and values: what Pyroscope's rate limiter adds to
// a profile's size for its series.
size_t label_bytes(const LabelList& labels);

}  // namespace spanprof::push
