#include "view/html_report.h"

#include <simdjson.h>

#include <string_view>

#include "common/durable_file.h"
#include "view/assets/report_assets.h"

namespace spanprof::view {
namespace {

// HTML text content and attribute values: the five characters HTML gives a meaning.
void append_html_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

// The JSON inside <script type="application/json">. The HTML parser ends a
// script at "</script" whatever the JSON means, and "<!--" followed by
// "<script" switches it to a state where that end tag no longer ends it
// (HTML Living Standard, "script data escaped/double escaped" states). JSON
// holds '<' only inside strings, where \u003c means the same character, so
// every '<' becomes \u003c: "</" can never appear, nor "<!--".
void append_json_for_script(std::string& out, std::string_view json) {
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

// The page's title: the data's "title" (the recorded command), else a generic
// one. PageData carries it only inside its JSON.
std::string page_title(const PageData& data) {
  std::string command;
  simdjson::padded_string padded(data.json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view title;
  if (parser.iterate(padded).get(doc) == simdjson::SUCCESS &&
      doc.find_field_unordered("title").get_string().get(title) == simdjson::SUCCESS) {
    command = title;
  }
  if (command.empty()) return "spanprof report";
  return command + " - spanprof report";
}

}  // namespace

std::string html_report(const PageData& data) {
  const std::string_view page = assets::kTemplate;
  std::string out;
  out.reserve(page.size() + assets::kStyle.size() + assets::kScript.size() + data.json.size() +
              data.json.size() / 16);
  size_t at = 0;
  while (at < page.size()) {
    size_t open = page.find("{{", at);
    if (open == std::string_view::npos) break;
    size_t close = page.find("}}", open);
    if (close == std::string_view::npos) break;
    out.append(page.substr(at, open - at));
    std::string_view name = page.substr(open + 2, close - open - 2);
    if (name == "TITLE") {
      append_html_escaped(out, page_title(data));
    } else if (name == "STYLE") {
      out.append(assets::kStyle);
    } else if (name == "SCRIPT") {
      out.append(assets::kScript);
    } else if (name == "DATA") {
      append_json_for_script(out, data.json);
    } else {
      out.append(page.substr(open, close + 2 - open));  // not ours: kept as written
    }
    at = close + 2;
  }
  out.append(page.substr(at));
  return out;
}

Result<void> write_html_report(const PageData& data, const std::string& path) {
  auto written = write_file_durably(path, html_report(data));
  if (!written) {
    Error error = written.error();
    if (error.hint.empty()) error.hint = "choose a writable path with -o FILE";
    return std::unexpected(error);
  }
  return {};
}

}  // namespace spanprof::view
