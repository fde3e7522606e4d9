// The progress bar of long joins (issue #14): on a terminal only, once the
// join has taken a second since its first update, redrawn at most 10 times a second on stderr, and
// erased when the join ends, so logs and pipes never see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace spanprof::cli {

class ProgressBar {
 public:
  // label: what is running ("joining"). Draws nothing unless stderr is a terminal.
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // erases the bar
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // done of total bytes (total 0: unknown, shows the bytes only).
  void update(uint64_t done, uint64_t total);
  // For JoinOptions::progress.
  auto callback() {
    return [this](uint64_t done, uint64_t total) { update(done, total); };
  }
  void clear();

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  bool started_ = false;  // the first update starts the clock
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace spanprof::cli
