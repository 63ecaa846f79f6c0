// A one-line terminal progress bar on stderr: done/total, rate, ETA and a free-form status.
// When stderr is not a terminal (a log file, nohup, a pipe) it writes a plain line instead, at most every
// `line_interval` (default 30 s), and one at the end if it wrote any: long jobs leave a trace in their logs,
// short ones stay quiet. stdout is never touched, so machine-readable output stays clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace s2r {

class ProgressBar {
 public:
  ProgressBar(int64_t total, std::string label, std::string unit = "it",
              std::chrono::steady_clock::duration line_interval = std::chrono::seconds(30));
  ~ProgressBar();
  // Redraws at most ~10 times a second.
  void Update(int64_t done, const std::string& status = "");
  // The job completed: the bar shows total.
  void Finish(const std::string& status = "");
  // The job ended early (stopped, failed): the bar shows the last `done` given to Update. The destructor
  // does this when neither was called.
  void Stop(const std::string& status = "");
  bool enabled() const { return enabled_; }  // a terminal bar

 private:
  void Draw(int64_t done, const std::string& status);
  void Line(int64_t done, const std::string& status);
  void End(int64_t done, const std::string& status);  // the last line, once
  int64_t total_;
  std::string label_, unit_;
  bool enabled_;
  bool finished_ = false;
  int64_t last_done_ = 0;
  bool lines_written_ = false;
  std::chrono::steady_clock::duration line_interval_;
  std::chrono::steady_clock::time_point start_, last_draw_, last_line_;
};

}  // namespace s2r
