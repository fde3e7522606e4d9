// Opening a capture directory for the commands that read it (join, push, and
// what comes after them), and creating one for `spanprof run`.
//
// open_capture() gives everything the join needs: perf.data, every span file
// (DIR/spans*, plus the file capture.json's spans.file names, wherever it is),
// the clock pair recorded at the start (for captures cut short), and the paths
// the join and push write.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_record.h"
#include "common/result.h"
#include "common/warning.h"

namespace spanprof::capture {

struct Capture {
  std::string dir;
  std::string perf_data;
  std::vector<std::string> span_files;  // DIR's span files sorted, then capture.json's if elsewhere
  std::vector<std::string> activation_files;        // DIR/activations-*.bin, sorted
  std::vector<std::string> activation_error_notes;  // DIR/activations-*.error, sorted
  std::string namespace_ids;  // DIR/namespace-ids.tsv (namespace_ids.h), "" when absent
  std::optional<CaptureRecord> record;  // capture.json, when DIR has one
  std::string profile;                  // DIR/profile.pb.gz
  std::string summary;                  // DIR/summary.json
  std::vector<Warning> warnings;        // kCapture: e.g. the spans file capture.json names is gone

  // capture.json's clocks.start, when it holds both readings.
  std::optional<ClockPair> start_clocks() const;
  // capture.json's command[0] without its directories, or "".
  std::string executable_name() const;
};

// Errors (all "unusable input"): DIR does not exist or is not a directory, has
// no perf.data (unless the caller brings its own: need_perf_data false), or its
// capture.json is damaged (not JSON, unknown schema, mistyped field): the
// message names the file and the way out.
Result<Capture> open_capture(const std::string& dir, bool need_perf_data = true);

// How `spanprof run` names the capture directory when -o is not given:
// "spanprof-YYYYmmdd-HHMMSS" in local time.
std::string default_capture_dir_name(std::time_t now);

struct CreatedDir {
  std::string path;                  // absolute
  std::vector<std::string> removed;  // an earlier capture's files removed by force
};

// Claims dir for a new capture: creates it (and its parents), or takes an
// existing empty one; a non-empty one only with force, which removes the
// earlier capture's files (capture.json, perf.data, span files, profile,
// summary, push.json, outbox/) and keeps everything else. The claim is
// DIR/capture.json created exclusively, so two runs never record into one
// directory. With default_name, dir is a base name and a taken one gets a
// suffix ("-2", "-3", ...) instead of an error.
Result<CreatedDir> create_capture_dir(const std::string& dir, bool force, bool default_name = false);

}  // namespace spanprof::capture
