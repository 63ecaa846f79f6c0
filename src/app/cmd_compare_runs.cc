// `sim2real compare-runs RUN... --out curves.png`: several training runs side by side (e.g. FPO vs PPO, or
// seeds): one PNG with their eval curves, and a table of the eval value at fixed env-step counts, the
// wall time per env step (rollout + update) with its ratio to the first run's, and the median rollout and
// update seconds per iteration, as text or --json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/error.h"
#include "core/stats.h"
#include "metrics/csv_log.h"
#include "metrics/plot.h"

namespace fs = std::filesystem;

namespace s2r::app {

namespace {

struct RunSummary {
  std::string name;
  metrics::Series curve;
  std::vector<double> at_steps;  // value of the last evaluation at or before each requested step (NaN: none)
  double best = NAN;
  int64_t last_step = 0;
  double seconds_per_step = NAN;  // (rollout + update time) / env steps
  double median_rollout_s = NAN;  // median of time/rollout_time over iterations, seconds
  double median_update_s = NAN;   // median of time/update_time over iterations, seconds
  double cost_vs_first = NAN;     // seconds_per_step / the first run's
};

RunSummary Summarize(const std::string& dir, const std::string& tag, const std::vector<int64_t>& steps) {
  const fs::path csv = fs::path(dir) / "metrics.csv";
  if (!fs::exists(csv)) throw ConfigError("compare-runs: " + dir + " has no metrics.csv (not a run folder)");
  const auto rows = metrics::ReadCsvLog(csv.string());
  RunSummary s;
  s.name = fs::path(dir).filename().string();
  if (s.name.empty()) s.name = fs::path(dir).parent_path().filename().string();
  s.curve = metrics::SeriesFromCsv(rows, tag, s.name);
  double busy = 0;
  std::vector<double> rollout, update;  // seconds per iteration
  for (const auto& r : rows) {
    s.last_step = std::max(s.last_step, r.step);
    if (r.tag == "time/total_rollout+update_time") busy = r.value;
    if (r.tag == "time/rollout_time") rollout.push_back(r.value);
    if (r.tag == "time/update_time") update.push_back(r.value);
  }
  s.median_rollout_s = Median(rollout);
  s.median_update_s = Median(update);
  for (int64_t want : steps) {  // NaN where the run has not got that far
    double v = NAN;
    for (size_t i = 0; i < s.curve.x.size() && s.curve.x[i] <= static_cast<double>(want); ++i)
      v = s.curve.y[i];
    s.at_steps.push_back(want <= s.last_step ? v : NAN);
  }
  for (double y : s.curve.y) s.best = std::isnan(s.best) ? y : std::max(s.best, y);
  if (s.last_step > 0 && busy > 0) s.seconds_per_step = busy / static_cast<double>(s.last_step);
  return s;
}

nlohmann::json Num(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

}  // namespace

void AddCompareRunsCommand(CLI::App& app) {
  static std::vector<std::string> runs;
  static std::string out, tag = "eval/success_once";
  static std::vector<int64_t> steps = {1'000'000, 2'000'000, 5'000'000, 10'000'000};
  static bool json = false;
  auto* cmd =
      app.add_subcommand("compare-runs", "Eval curves of several training runs in one PNG, plus a table");
  cmd->add_option("runs", runs, "run folders (runs/<exp-name>)")->required();
  cmd->add_option("--out", out, "PNG to write (default: none)");
  cmd->add_option("--tag", tag, "scalar to compare")->capture_default_str();
  cmd->add_option("--at-steps", steps, "env-step counts for the table")
      ->capture_default_str()
      ->delimiter(',');
  cmd->add_flag("--json", json,
                "print the table as JSON (per run: at_steps, best, last_step, seconds_per_env_step, "
                "cost_vs_first, median_rollout_s, median_update_s; null where unknown)");
  cmd->callback([] {
    std::vector<RunSummary> all;
    for (const auto& r : runs) all.push_back(Summarize(r, tag, steps));
    for (auto& s : all) s.cost_vs_first = s.seconds_per_step / all.front().seconds_per_step;
    if (!out.empty()) {
      std::vector<metrics::Series> series;
      for (const auto& s : all) series.push_back(s.curve);
      metrics::PlotSpec spec;
      spec.title = tag;
      spec.x_label = "env steps";
      spec.y_label = tag;
      spec.y_from_zero = true;
      metrics::WritePlotPng(out, series, spec);
    }
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& s : all) {
        nlohmann::json at = nlohmann::json::object();
        for (size_t i = 0; i < steps.size(); ++i) at[std::to_string(steps[i])] = Num(s.at_steps[i]);
        j.push_back({{"run", s.name},
                     {"tag", tag},
                     {"at_steps", at},
                     {"best", Num(s.best)},
                     {"last_step", s.last_step},
                     {"seconds_per_env_step", Num(s.seconds_per_step)},
                     {"cost_vs_first", Num(s.cost_vs_first)},
                     {"median_rollout_s", Num(s.median_rollout_s)},
                     {"median_update_s", Num(s.median_update_s)}});
      }
      std::cout << j.dump() << "\n";
      return;
    }
    int w = 3;  // name column: as wide as the longest run name
    for (const auto& s : all) w = std::max(w, static_cast<int>(s.name.size()));
    const auto cell = [](double v, int width, int prec) {
      std::isnan(v) ? std::printf(" %*s", width, "-") : std::printf(" %*.*f", width, prec, v);
    };
    std::printf("%-*s", w, "run");
    for (int64_t st : steps) std::printf(" %9.1fM", static_cast<double>(st) / 1e6);
    std::printf(" %8s %10s %9s %6s %9s %9s\n", "best", "steps", "us/step", "x 1st", "rollout s", "update s");
    for (const auto& s : all) {
      std::printf("%-*s", w, s.name.c_str());
      for (double v : s.at_steps) cell(v, 10, 3);
      cell(s.best, 8, 3);
      std::printf(" %10lld", static_cast<long long>(s.last_step));
      cell(s.seconds_per_step * 1e6, 9, 1);
      cell(s.cost_vs_first, 6, 2);
      cell(s.median_rollout_s, 9, 2);
      cell(s.median_update_s, 9, 2);
      std::printf("\n");
    }
    if (!out.empty()) std::printf("plot: %s\n", out.c_str());
  });
}

}  // namespace s2r::app
