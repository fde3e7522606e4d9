// The report page (issue #14): one self-contained HTML file, its script,
// styles and data inline, that opens from disk with no network.
//
// Takes: the page's data (page_data.h). Gives: DIR/report.html, written
// durably. The page's script and styles live in lib/view/assets and are
// compiled into spanprof, so the report needs nothing at run time.
#pragma once

#include <string>

#include "common/result.h"
#include "view/page_data.h"

namespace spanprof::view {

// The whole page as one string.
std::string html_report(const PageData& data);

Result<void> write_html_report(const PageData& data, const std::string& path);

}  // namespace spanprof::view
