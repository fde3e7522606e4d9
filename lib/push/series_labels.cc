#include "push/series_labels.h"

#include <set>

#include <fmt/format.h>

#include "push/ingest_request.h"

namespace spanprof::push {

bool is_valid_label_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

size_t label_bytes(const LabelList& labels) {
  size_t bytes = 0;
  for (const auto& [name, value] : labels) bytes += name.size() + value.size();
  return bytes;
}

Result<LabelList> series_labels(const SeriesLabelInputs& in) {
  const char* hint = "give --label NAME=VALUE with NAME matching [a-zA-Z_][a-zA-Z0-9_]*";
  if (in.service_name.empty()) {
    return make_error("the service name is empty", "--service-name",
                      "give --service-name NAME");
  }
  if (in.for_ingest && !is_valid_ingest_app_name(in.service_name)) {
    return make_error(fmt::format("service name '{}' cannot be sent through /ingest",
                                  in.service_name),
                      "--service-name",
                      "use only letters, digits and _ . - / (or --protocol push)");
  }
  LabelList out{{"__name__", in.metric_name}, {"service_name", in.service_name}};
  if (!in.service_namespace.empty()) out.emplace_back("service_namespace", in.service_namespace);
  if (!in.hostname.empty()) out.emplace_back("hostname", in.hostname);
  for (const auto& [name, value] : out) {
    if (in.for_ingest && !fits_ingest_syntax(value)) {
      return make_error(fmt::format("label '{}' value '{}' cannot be sent through /ingest", name,
                                    value),
                        "--protocol ingest", "use --protocol push");
    }
  }
  std::set<std::string> names;
  for (const auto& [name, value] : out) names.insert(name);
  for (const auto& [name, value] : in.user_labels) {
    std::string where = "--label " + name;
    if (!is_valid_label_name(name)) {
      return make_error(fmt::format("'{}' is not a valid label name", name), where, hint);
    }
    if (name.starts_with("__")) {
      return make_error(fmt::format("label name '{}' is reserved (names starting with __)", name),
                        where, hint);
    }
    if (name == "service_name") {
      return make_error("service_name is set by spanprof", where, "use --service-name instead");
    }
    if (name == "service_namespace") {
      return make_error("service_namespace is set by spanprof, from the spans' resource "
                        "attribute service.namespace (Grafana's span selector adds it only then)",
                        where, "set service.namespace in the app's OpenTelemetry resource");
    }
    if (name == "hostname" && in.host_label) {
      return make_error("hostname is set by --host-label", where,
                        "give either --host-label or --label hostname=NAME");
    }
    if (name == "span_id" || name == "trace_id" || name == "span_name" ||
        name == "thread_state") {
      return make_error(fmt::format("'{}' is a per-sample label spanprof sets", name), where,
                        "choose another label name");
    }
    if (value.empty()) {
      return make_error(fmt::format("label '{}' has an empty value", name), where,
                        "the server drops empty labels: give a value or leave the label out");
    }
    if (in.for_ingest && !fits_ingest_syntax(value)) {
      return make_error(fmt::format("label '{}' value '{}' cannot be sent through /ingest", name,
                                    value),
                        where, "leave out spaces and the characters {},=\", or use --protocol push");
    }
    if (!names.insert(name).second) {
      return make_error(fmt::format("label '{}' is given twice", name), where,
                        "give each --label name once");
    }
    out.emplace_back(name, value);
  }
  size_t count = names.size() + (in.span_name_label ? 1 : 0) + (in.kept_label.empty() ? 0 : 1) +
                 (in.for_ingest ? kIngestAddedLabelNames : 0);
  if (count > kMaxSeriesLabelNames) {
    std::string why;
    if (in.span_name_label) why += "; span_name counts: the server makes it a series label";
    if (!in.kept_label.empty()) why += "; so does " + in.kept_label + " in these profiles";
    if (in.for_ingest) why += "; /ingest adds pyroscope_app and __delta__";
    return make_error(fmt::format("{} label names per series, over the server's limit of {}{}",
                                  count, kMaxSeriesLabelNames, why),
                      "--label", in.span_name_label ? "give fewer --label options or --no-span-name"
                                                    : "give fewer --label options");
  }
  return out;
}

}  // namespace spanprof::push
