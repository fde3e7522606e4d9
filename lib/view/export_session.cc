#include "view/view_session.h"

#include "capture/layout.h"

namespace spanprof::view {

std::string default_export_path(const std::string& dir, ExportFormat format) {
  switch (format) {
    case ExportFormat::kFirefox: return capture::path_in(dir, capture::kFirefoxExport);
    case ExportFormat::kChrome: return capture::path_in(dir, capture::kChromeExport);
    case ExportFormat::kFolded: return capture::path_in(dir, capture::kFoldedExport);
  }
  return capture::path_in(dir, capture::kFirefoxExport);
}

Result<ExportRun> export_capture_dir(const std::string& dir, join::JoinOptions options,
                                     ExportFormat format, std::string out) {
  auto capture = capture::open_capture(dir, options.perf_data_path.empty());
  if (!capture) return std::unexpected(capture.error());
  if (out.empty()) out = default_export_path(dir, format);
  ReportPass pass;
  auto joined = pass.join_capture(*capture, std::move(options));
  if (!joined) return std::unexpected(joined.error());
  ViewModel model = pass.take_model(*joined);
  auto exported = write_export(model, format, out, ExportContext{capture_title(*capture)});
  if (!exported) return std::unexpected(exported.error());
  return ExportRun{std::move(*joined), std::move(*exported)};
}

}  // namespace spanprof::view
