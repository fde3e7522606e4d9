#include "push/ingest_request.h"

#include <fmt/format.h>

namespace spanprof::push {

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

namespace {

bool is_app_name_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/';
}

bool breaks_ingest_syntax(char c) {
  return c == '{' || c == '}' || c == ',' || c == '=' || c == '"' ||
         static_cast<unsigned char>(c) <= ' ';
}

}  // namespace

bool is_valid_ingest_app_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!is_app_name_byte(c)) return false;
  }
  return true;
}

std::string sanitize_ingest_app_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (!is_app_name_byte(c)) c = '_';
  }
  return out;
}

bool fits_ingest_syntax(std::string_view value) {
  for (char c : value) {
    if (breaks_ingest_syntax(c)) return false;
  }
  return true;
}

std::string sanitize_ingest_value(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (breaks_ingest_syntax(c)) c = '_';
  }
  return out;
}

std::string ingest_path_and_query(const std::vector<std::pair<std::string, std::string>>& series,
                                  int64_t from_ns, int64_t until_ns) {
  std::string service;
  std::string labels;
  for (const auto& [name, value] : series) {
    if (name == "__name__") continue;
    if (name == "service_name") {
      service = value;
      continue;
    }
    if (!labels.empty()) labels += ',';
    labels += name + "=" + value;
  }
  std::string name = service + "{" + labels + "}";
  return fmt::format("/ingest?name={}&from={}&until={}&format=pprof", url_encode(name), from_ns,
                     until_ns);
}

}  // namespace spanprof::push
