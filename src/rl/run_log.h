// Where a run's scalars go: TensorBoard event files (train/*, eval/*, losses/*, charts/*, time/*),
// the same scalars in metrics.csv, and a PNG plot of the eval curves. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace s2r::metrics {
class TbWriter;
class CsvLog;
struct CsvRow;
}  // namespace s2r::metrics

namespace s2r::rl {

class RunLog {
 public:
  // Appends when the run folder already has metrics. resume_step >= 0 (a run resumed from a checkpoint
  // taken at that env step): rows of metrics.csv after that step are dropped first (atomically), and the
  // new TensorBoard event file starts with a session START at resume_step + 1, which makes TensorBoard
  // drop the old file's later steps: every step is shown once.
  explicit RunLog(const std::string& run_dir, int64_t resume_step = -1);
  // A log that writes nothing (the ranks of a data-parallel run other than rank 0).
  static RunLog Disabled() { return RunLog(); }
  RunLog(RunLog&&);
  ~RunLog();
  void Scalar(const std::string& tag, double value, int64_t step);
  void Text(const std::string& tag, const std::string& markdown, int64_t step);
  // Writes <run_dir>/eval_curves.png: eval/success_once, eval/success_at_end and eval/return vs env steps.
  void PlotEvalCurves();
  void Flush();
  bool enabled() const { return tb_ != nullptr; }
  // The last value of a time/total_* scalar already in metrics.csv when the log was opened (0 if none), so
  // a resumed run continues its totals.
  double EarlierTotal(const std::string& tag) const;

 private:
  RunLog();
  std::string dir_;
  std::unique_ptr<metrics::TbWriter> tb_;
  std::unique_ptr<metrics::CsvLog> csv_;
  std::map<std::string, double> last_totals_;  // time/total_* at open
  std::vector<metrics::CsvRow> eval_rows_;  // eval/* scalars of the run, kept for the plot (no CSV re-read)
};

}  // namespace s2r::rl
