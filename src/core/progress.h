// A one-line terminal progress bar on stderr: done/total, rate, ETA and a free-form status.
// Silent when stderr is not a terminal (CI logs, pipes) so machine-readable stdout stays clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace s2r {

class ProgressBar {
 public:
  ProgressBar(int64_t total, std::string label, std::string unit = "it");
  ~ProgressBar();
  // Redraws at most ~10 times a second.
  void Update(int64_t done, const std::string& status = "");
  void Finish(const std::string& status = "");
  bool enabled() const { return enabled_; }

 private:
  void Draw(int64_t done, const std::string& status);
  int64_t total_;
  std::string label_, unit_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace s2r
