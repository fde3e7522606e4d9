#include "view/view_session.h"

#include <filesystem>

#include <fmt/format.h>

#include "capture/layout.h"
#include "join/capture_inputs.h"
#include "join/summary_json.h"
#include "view/html_report.h"

namespace spanprof::view {

std::string capture_title(const capture::Capture& capture) {
  if (!capture.record) return "";
  std::string title;
  for (const std::string& word : capture.record->command) {
    if (!title.empty()) title += ' ';
    title += word;
  }
  return title;
}

void ReportPass::attach(join::JoinOptions& options) {
  options.sample_sink = collector_.sample_sink();
  options.off_cpu_sink = collector_.off_cpu_sink();
}

Result<join::JoinReport> ReportPass::join_capture(const capture::Capture& capture,
                                                 join::JoinOptions options) {
  join::JoinOptions join = join::join_options_for(capture, std::move(options));
  join.output_path.clear();
  join.summary_path.clear();
  join.write_profile = false;
  join.allow_empty = true;
  attach(join);
  return join::run_join(join);
}

Result<ReportWritten> ReportPass::write_report(const join::JoinReport& report,
                                               const std::string& title, const std::string& path,
                                               const PageLimits& limits) {
  ViewModel model = collector_.take(report);
  PageData page = page_data(model, join::summary_json(report), title, limits);
  model = {};  // the page holds what it needs; give the samples back before writing
  if (auto ok = write_html_report(page, path); !ok) return std::unexpected(ok.error());
  std::error_code error;
  const uintmax_t bytes = std::filesystem::file_size(path, error);
  return ReportWritten{path, error ? 0 : static_cast<uint64_t>(bytes), page.spans_kept, page.cuts};
}

Result<ReportOutcome> report_capture_dir(const std::string& dir, join::JoinOptions options,
                                         std::string out_path) {
  auto capture = capture::open_capture(dir, options.perf_data_path.empty());
  if (!capture) return std::unexpected(capture.error());
  if (out_path.empty()) out_path = capture::path_in(dir, capture::kReport);
  ReportPass pass;
  auto joined = pass.join_capture(*capture, std::move(options));
  if (!joined) return std::unexpected(joined.error());
  auto written = pass.write_report(*joined, capture_title(*capture), out_path);
  if (!written) return std::unexpected(written.error());
  return ReportOutcome{std::move(*joined), std::move(*written)};
}

}  // namespace spanprof::view
