#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace s2r {

ProgressBar::ProgressBar(int64_t total, std::string label, std::string unit,
                         std::chrono::steady_clock::duration line_interval)
    : total_(std::max<int64_t>(1, total)),
      label_(std::move(label)),
      unit_(std::move(unit)),
      enabled_(isatty(STDERR_FILENO) != 0),
      line_interval_(line_interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)),
      last_line_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) Stop();
}

void ProgressBar::Update(int64_t done, const std::string& status) {
  last_done_ = done;
  const auto now = std::chrono::steady_clock::now();
  if (!enabled_) {
    if (now - last_line_ >= line_interval_) {
      last_line_ = now;
      Line(done, status);
    }
    return;
  }
  if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  Draw(done, status);
}

void ProgressBar::Finish(const std::string& status) { End(total_, status); }

void ProgressBar::Stop(const std::string& status) { End(last_done_, status); }

void ProgressBar::End(int64_t done, const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) {
    if (lines_written_) Line(done, status);
    return;
  }
  Draw(done, status);
  std::fputc('\n', stderr);
}

void ProgressBar::Line(int64_t done, const std::string& status) {
  lines_written_ = true;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::fprintf(stderr, "%s: %lld/%lld %s (%.0f%%), %.1f %s/s, %.0f s elapsed, ETA %.0f s%s%s\n",
               label_.c_str(), static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(),
               100.0 * static_cast<double>(done) / static_cast<double>(total_), rate, unit_.c_str(), secs,
               eta, status.empty() ? "" : "; ", status.c_str());
  std::fflush(stderr);
}

void ProgressBar::Draw(int64_t done, const std::string& status) {
  const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  constexpr int kWidth = 28;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f %s/s ETA %.0fs %s\033[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), rate, unit_.c_str(), eta,
               status.c_str());
  std::fflush(stderr);
}

}  // namespace s2r
