// The report page as text: data embedded so that no span or function name can
// end its <script> (or start a comment that hides the end), the title escaped,
// every placeholder filled, nothing fetched from the network.
#include "view/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace spanprof::view {
namespace {

constexpr std::string_view kDataOpen = R"(<script type="application/json" id="spanprof-data">)";

PageData data_with(std::string json) {
  PageData data;
  data.json = std::move(json);
  return data;
}

// The text of the data <script> as an HTML parser sees it: up to the first "</script".
std::string embedded_data(const std::string& page) {
  size_t open = page.find(kDataOpen);
  EXPECT_NE(open, std::string::npos);
  if (open == std::string::npos) return {};
  size_t start = open + kDataOpen.size();
  size_t end = page.find("</script", start);
  EXPECT_NE(end, std::string::npos);
  return page.substr(start, end - start);
}

std::string unescape_lt(std::string text) {
  for (size_t at = text.find("\\u003c"); at != std::string::npos; at = text.find("\\u003c", at + 1)) {
    text.replace(at, 6, "<");
  }
  return text;
}

TEST(HtmlReport, DataSurvivesNamesThatWouldEndOrHideTheScript) {
  const std::string json =
      R"({"version":1,"title":"</script><script>alert(1)</script>",)"
      R"("names":["<!--<script>","</SCRIPT >","a<b"],"frames":[["<\/script>","",0,""]]})";
  const std::string page = html_report(data_with(json));
  const std::string inside = embedded_data(page);
  EXPECT_EQ(inside.find('<'), std::string::npos) << inside;
  EXPECT_EQ(unescape_lt(inside), json);
  // The page's own script follows the data, whole.
  size_t data_end = page.find(kDataOpen) + kDataOpen.size() + inside.size();
  EXPECT_EQ(page.compare(data_end, 9, "</script>"), 0);
  EXPECT_NE(page.find("startReport", data_end), std::string::npos);
}

TEST(HtmlReport, TitleIsTheCommandEscaped) {
  const std::string page =
      html_report(data_with(R"({"version":1,"title":"app --x '<b>' & \"y\""})"));
  EXPECT_NE(page.find("<title>app --x &#39;&lt;b&gt;&#39; &amp; &quot;y&quot; - spanprof report</title>"),
            std::string::npos);
}

TEST(HtmlReport, TitleWithoutCommandOrReadableData) {
  for (const char* json : {R"({"version":1,"title":""})", R"({"version":1})", "not json", ""}) {
    const std::string page = html_report(data_with(json));
    EXPECT_NE(page.find("<title>spanprof report</title>"), std::string::npos) << json;
  }
}

TEST(HtmlReport, EveryPlaceholderIsFilledAndNothingIsFetched) {
  const std::string page = html_report(data_with(R"({"version":1,"title":"t"})"));
  for (const char* placeholder : {"{{TITLE}}", "{{STYLE}}", "{{SCRIPT}}", "{{DATA}}"}) {
    EXPECT_EQ(page.find(placeholder), std::string::npos) << placeholder;
  }
  EXPECT_NE(page.find("class ReportData"), std::string::npos);  // the scripts
  EXPECT_NE(page.find("#flame-layout"), std::string::npos);     // the styles
  // Inline only: no external script, style sheet, image, font or import.
  for (const char* fetch : {"src=", "<link", "@import", "url(", "http://", "https://"}) {
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  }
}

TEST(HtmlReport, WritesTheFile) {
  const auto dir = std::filesystem::path(testing::TempDir()) / "html_report_test";
  std::filesystem::create_directories(dir);
  const PageData data = data_with(R"({"version":1,"title":"demo"})");
  const std::string path = (dir / "report.html").string();
  ASSERT_TRUE(write_html_report(data, path).has_value());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), html_report(data));
  std::filesystem::remove_all(dir);
}

TEST(HtmlReport, UnwritablePathIsAnErrorWithAHint) {
  auto written = write_html_report(data_with("{}"), "/nonexistent-dir/report.html");
  ASSERT_FALSE(written.has_value());
  EXPECT_FALSE(written.error().message.empty());
  EXPECT_FALSE(written.error().hint.empty());
}

}  // namespace
}  // namespace spanprof::view
