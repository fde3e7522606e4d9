// `spanprof report` and `spanprof export` as library calls (issue #14), and
// the report `join` and `run` write in the same pass as their profiles.
//
// Takes: a capture directory and the join's options. Gives: DIR/report.html
// (or -o FILE), or an export, from one join of DIR that writes no profile and
// no summary: the page and the files come from the same join, symbolized once.
#pragma once

#include <string>
#include <vector>

#include "capture/capture_dir.h"
#include "common/result.h"
#include "join/join.h"
#include "view/exports.h"
#include "view/page_data.h"
#include "view/view_model.h"

namespace spanprof::view {

struct ReportWritten {
  std::string path;
  uint64_t bytes = 0;
  size_t spans_listed = 0;
  std::vector<std::string> cuts;  // what the page left out, one line each
};

// The recorded command of a capture ("" when capture.json has none).
std::string capture_title(const capture::Capture& capture);

// Gathers a join's view: attach() before run_join, then write_report() after.
class ReportPass {
 public:
  // Hooks the collector into options (which must have no sample or off-CPU sink of its own).
  void attach(join::JoinOptions& options);
  // DIR joined for a view only: capture.json's span options unless options
  // gives some; no profile, no summary, nothing recorded in DIR.
  Result<join::JoinReport> join_capture(const capture::Capture& capture, join::JoinOptions options);
  Result<ReportWritten> write_report(const join::JoinReport& report, const std::string& title,
                                     const std::string& path, const PageLimits& limits = {});
  ViewModel take_model(const join::JoinReport& report) { return collector_.take(report); }

 private:
  ViewCollector collector_;
};

struct ReportOutcome {
  join::JoinReport join;
  ReportWritten report;
};

// `spanprof report DIR [-o FILE]`: joins DIR as `spanprof join DIR` would
// (capture.json's span options unless options.matching gives some), writes
// the page to out_path (default DIR/report.html).
Result<ReportOutcome> report_capture_dir(const std::string& dir, join::JoinOptions options,
                                         std::string out_path);

struct ExportRun {
  join::JoinReport join;
  ExportOutcome exported;
};

// `spanprof export DIR --format F [-o OUT]`: the same join, then the export.
// Default out: DIR/profile.firefox.json, DIR/trace.chrome.json, DIR/folded/.
Result<ExportRun> export_capture_dir(const std::string& dir, join::JoinOptions options,
                                     ExportFormat format, std::string out);

// The default path of an export of DIR.
std::string default_export_path(const std::string& dir, ExportFormat format);

}  // namespace spanprof::view
