// page_from_json: wraps page data (lib/view/page_data.h's JSON, from a file) in the
// report page, as `spanprof report` does with the data of a join. For the browser
// test's made-up cases (fixture_page.py).
//   page_from_json DATA.json OUT.html
#include <cstdio>
#include <string>

#include "common/durable_file.h"
#include "view/html_report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: page_from_json DATA.json OUT.html\n");
    return 1;
  }
  auto json = spanprof::read_small_file(argv[1], size_t{1} << 30);
  if (!json) {
    std::fprintf(stderr, "page_from_json: %s\n", json.error().to_string().c_str());
    return 1;
  }
  spanprof::view::PageData data;
  data.json = std::move(*json);
  auto written = spanprof::view::write_html_report(data, argv[2]);
  if (!written) {
    std::fprintf(stderr, "page_from_json: %s\n", written.error().to_string().c_str());
    return 1;
  }
  return 0;
}
