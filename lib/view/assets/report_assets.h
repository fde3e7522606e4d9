// The report page's assets (lib/view/assets), compiled into spanprof by
// embed_assets.py so that a report needs no file at run time.
//
// kTemplate: the page, with the placeholders html_report.cc fills:
// {{TITLE}}, {{STYLE}}, {{SCRIPT}}, {{DATA}}. kStyle: the styles. kScript:
// the scripts, data/aggregation first, the app last, as one text.
#pragma once

#include <string_view>

namespace spanprof::view::assets {

extern const std::string_view kTemplate;
extern const std::string_view kStyle;
extern const std::string_view kScript;

}  // namespace spanprof::view::assets
