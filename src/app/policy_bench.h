// Measurements behind `sim2real bench policy`: one policy step (a batch of observations -> actions) through
// libtorch (the .pt checkpoint) beside OpenCV's dnn (the same policy exported to .onnx).
#pragma once

#include <string>
#include <vector>

namespace s2r::app {

struct PolicyBenchResult {
  std::string algo, obs_mode;
  std::vector<double> torch_s, onnx_s;  // seconds per call, one value per round
  double max_abs_diff = 0;              // deterministic actions of the two, on the bench's inputs
};

// Exports `checkpoint` to `onnx_path` when that is empty (a temporary file), then alternates rounds of
// `calls` deterministic Act calls on `batch` random observations (and images) through each runtime.
PolicyBenchResult BenchPolicy(const std::string& checkpoint, std::string onnx_path, int batch, int calls,
                              int rounds);

}  // namespace s2r::app
