#include "app/policy_bench.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>

#include "app/policy_loader.h"
#include "core/progress.h"
#include "rl/onnx_export.h"

namespace s2r::app {

namespace {

double SecondsPerCall(rl::Policy& p, const float* obs, const uint8_t* image, int n, int calls, float* out) {
  p.Act(obs, image, n, true, out);  // warm-up: first-call allocations and lazy initialisation
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) p.Act(obs, image, n, true, out);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / calls;
}

}  // namespace

PolicyBenchResult BenchPolicy(const std::string& checkpoint, std::string onnx_path, int batch, int calls,
                              int rounds) {
  namespace fs = std::filesystem;
  std::string temp;
  if (onnx_path.empty()) {
    temp = (fs::temp_directory_path() / ("s2r_bench_policy_" + std::to_string(getpid()) + ".onnx")).string();
    rl::ExportPolicyOnnx(checkpoint, temp);
    onnx_path = temp;
  }
  struct RemoveTemp {
    std::string path;
    ~RemoveTemp() {
      if (!path.empty()) fs::remove(path);
    }
  } cleanup{temp};
  auto torch_policy = LoadAnyPolicy(checkpoint, 1);
  auto onnx_policy = LoadAnyPolicy(onnx_path, 1, "--onnx");
  const auto& m = torch_policy->meta();
  PolicyBenchResult r;
  r.algo = m.algo;
  r.obs_mode = m.obs_mode;
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<float> obs(static_cast<size_t>(batch) * m.obs_dim);  // [batch, D]
  for (float& v : obs) v = normal(rng);
  std::vector<uint8_t> image(static_cast<size_t>(batch) * m.image_height * m.image_width *
                             3);  // [batch,H,W,3]
  for (uint8_t& v : image) v = static_cast<uint8_t>(rng() & 0xFF);
  const uint8_t* img = m.image_height > 0 ? image.data() : nullptr;
  std::vector<float> a(static_cast<size_t>(batch) * m.action_dim), b(a.size());
  ProgressBar bar(2 * rounds, "bench policy", "runs");
  for (int i = 0; i < rounds; ++i) {
    r.torch_s.push_back(SecondsPerCall(*torch_policy, obs.data(), img, batch, calls, a.data()));
    bar.Update(2 * i + 1);
    r.onnx_s.push_back(SecondsPerCall(*onnx_policy, obs.data(), img, batch, calls, b.data()));
    bar.Update(2 * i + 2);
  }
  bar.Finish();
  for (size_t i = 0; i < a.size(); ++i)
    r.max_abs_diff = std::max(r.max_abs_diff, double(std::abs(a[i] - b[i])));
  return r;
}

}  // namespace s2r::app
