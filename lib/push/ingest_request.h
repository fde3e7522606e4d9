// Pyroscope's /ingest request for one pprof profile:
//   /ingest?name=SERVICE{k=v,...}&from=START&until=END&format=pprof
// name URL-encoded, from/until in unix nanoseconds (19 digits; the server
// tells seconds from nanoseconds by the number of digits).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "push/series_labels.h"

namespace spanprof::push {

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string url_encode(std::string_view text);

// series: as series_labels() returns it (__name__ is left out: the server
// derives it from the profile's sample types; service_name is the app name).
std::string ingest_path_and_query(const LabelList& series, int64_t from_ns, int64_t until_ns);

}  // namespace spanprof::push
