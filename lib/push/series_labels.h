// The series labels of every pushed profile: __name__, service_name and the
// user's --label k=v, checked the way Pyroscope checks them, so a bad label is
// reported before anything is sent.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace spanprof::push {

using LabelList = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxSeriesLabelNames = 30;  // Pyroscope's default per series

// Prometheus label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool is_valid_label_name(std::string_view name);

// __name__=process_cpu, service_name, then the user's labels in their order.
// Fails on an invalid or reserved name (__*, service_name, span_id, trace_id,
// span_name), a duplicate name, an empty value, or more than 30 names counting
// span_name when it is sent (the server makes it a series label).
// for_ingest: values must also fit /ingest's name{k=v,...} syntax.
Result<LabelList> series_labels(const std::string& service_name, const LabelList& user_labels,
                                bool span_name_label, bool for_ingest);

}  // namespace spanprof::push
