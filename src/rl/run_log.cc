#include "rl/run_log.h"

#include <filesystem>
#include <map>
#include <vector>

#include "metrics/csv_log.h"
#include "metrics/plot.h"
#include "metrics/tb_writer.h"

namespace fs = std::filesystem;

namespace s2r::rl {

RunLog::RunLog(const std::string& run_dir, int64_t resume_step) : dir_(run_dir) {
  const std::string csv_path = (fs::path(run_dir) / "metrics.csv").string();
  if (resume_step >= 0 && fs::exists(csv_path)) metrics::TruncateCsvLog(csv_path, resume_step);
  // A resumed run plots its earlier evaluations too, and continues its running totals: read them once, here.
  if (fs::exists(csv_path))
    for (auto& row : metrics::ReadCsvLog(csv_path)) {
      if (row.tag.rfind("time/total_", 0) == 0) last_totals_[row.tag] = row.value;
      if (row.tag.rfind("eval/", 0) == 0) eval_rows_.push_back(std::move(row));
    }
  tb_ = std::make_unique<metrics::TbWriter>(run_dir);
  if (resume_step >= 0) tb_->AddSessionStart(resume_step + 1);
  csv_ = std::make_unique<metrics::CsvLog>(csv_path);
}

RunLog::RunLog() = default;
RunLog::RunLog(RunLog&&) = default;
RunLog::~RunLog() = default;

double RunLog::EarlierTotal(const std::string& tag) const {
  const auto it = last_totals_.find(tag);
  return it == last_totals_.end() ? 0.0 : it->second;
}

void RunLog::Scalar(const std::string& tag, double value, int64_t step) {
  if (!enabled()) return;
  tb_->AddScalar(tag, value, step);
  csv_->AddScalar(tag, value, step);
  if (tag.rfind("eval/", 0) == 0) eval_rows_.push_back({step, tag, value, metrics::UnixSeconds()});
}

void RunLog::Text(const std::string& tag, const std::string& markdown, int64_t step) {
  if (!enabled()) return;
  tb_->AddText(tag, markdown, step);
}

void RunLog::Flush() {
  if (enabled()) tb_->Flush();
}

void RunLog::PlotEvalCurves() {
  if (!enabled()) return;
  // Sorted by step, the last value of a step kept (a resumed run may log a step twice).
  std::map<std::string, metrics::Series> series;
  for (const char* tag : {"eval/success_once", "eval/success_at_end", "eval/return"})
    series[tag] = metrics::SeriesFromCsv(eval_rows_, tag);
  metrics::PlotSpec success{"eval success", "env steps", "fraction of episodes"};
  success.y_from_zero = true;
  metrics::PlotSpec ret{"eval return", "env steps", "return per episode"};
  std::vector<std::pair<metrics::PlotSpec, std::vector<metrics::Series>>> panels = {
      {success, {series["eval/success_once"], series["eval/success_at_end"]}},
      {ret, {series["eval/return"]}}};
  metrics::WritePlotGridPng((fs::path(dir_) / "eval_curves.png").string(), panels);
}

}  // namespace s2r::rl
