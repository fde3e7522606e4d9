// Content-Encoding: gzip, inflated with a bound on the output.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace spanprof::receiver {

struct InflateError {
  bool too_large = false;  // the output passed max_output: a 413, not a 400
  std::string message;
};

// Inflates a gzip body: one member, or several concatenated (RFC 1952 2.2).
// Stops as soon as the output would pass max_output, so a small body that
// inflates to gigabytes costs no more than max_output bytes of memory.
std::expected<std::string, InflateError> gunzip(std::string_view compressed, uint64_t max_output);

}  // namespace spanprof::receiver
