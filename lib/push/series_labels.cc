#include "push/series_labels.h"

#include <set>

#include <fmt/format.h>

namespace spanprof::push {

namespace {

// /ingest parses name{k=v,...} itself: these characters would change its meaning.
bool fits_ingest_syntax(std::string_view value) {
  for (char c : value) {
    if (c == '{' || c == '}' || c == ',' || c == '=' || c == '"' ||
        static_cast<unsigned char>(c) <= ' ') {
      return false;
    }
  }
  return true;
}

}  // namespace

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

Result<LabelList> series_labels(const std::string& service_name, const LabelList& user_labels,
                                bool span_name_label, bool for_ingest) {
  const char* hint = "give --label NAME=VALUE with NAME matching [a-zA-Z_][a-zA-Z0-9_]*";
  if (service_name.empty()) {
    return make_error("the service name is empty", "--service-name",
                      "give --service-name NAME");
  }
  if (for_ingest && !fits_ingest_syntax(service_name)) {
    return make_error(fmt::format("service name '{}' cannot be sent through /ingest", service_name),
                      "--service-name", "leave out spaces and the characters {},=\"");
  }
  LabelList out{{"__name__", "process_cpu"}, {"service_name", service_name}};
  std::set<std::string> names{"__name__", "service_name"};
  for (const auto& [name, value] : user_labels) {
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
    if (name == "span_id" || name == "trace_id" || name == "span_name") {
      return make_error(fmt::format("'{}' is a per-sample label spanprof sets", name), where,
                        "choose another label name");
    }
    if (value.empty()) {
      return make_error(fmt::format("label '{}' has an empty value", name), where,
                        "the server drops empty labels: give a value or leave the label out");
    }
    if (for_ingest && !fits_ingest_syntax(value)) {
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
  size_t count = names.size() + (span_name_label ? 1 : 0);
  if (count > kMaxSeriesLabelNames) {
    return make_error(
        fmt::format("{} label names per series, over the server's limit of {}{}", count,
                    kMaxSeriesLabelNames,
                    span_name_label ? " (span_name counts: the server makes it a series label)" : ""),
        "--label", span_name_label ? "give fewer --label options or --no-span-name"
                                   : "give fewer --label options");
  }
  return out;
}

}  // namespace spanprof::push
