// Pyroscope's /ingest request for one pprof profile:
//   /ingest?name=SERVICE{k=v,...}&from=START&until=END&format=pprof
// name URL-encoded, from/until in unix nanoseconds (19 digits; the server
// tells seconds from nanoseconds by the number of digits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spanprof::push {

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view text);

// /ingest's app name: [A-Za-z0-9_.\-/]+ (the server refuses anything else).
bool is_valid_ingest_app_name(std::string_view name);
// name with every other byte replaced by '_' ("" stays "").
std::string sanitize_ingest_app_name(std::string_view name);

// A label value /ingest's name{k=v,...} parser reads back unchanged: no
// spaces, control bytes or {},=" .
bool fits_ingest_syntax(std::string_view value);
// value with every byte that breaks that syntax replaced by '_'.
std::string sanitize_ingest_value(std::string_view value);

// series: as series_labels() returns it (__name__ is left out: the server
// derives it from the profile's sample types; service_name is the app name).
std::string ingest_path_and_query(const std::vector<std::pair<std::string, std::string>>& series,
                                  int64_t from_ns, int64_t until_ns);

}  // namespace spanprof::push
