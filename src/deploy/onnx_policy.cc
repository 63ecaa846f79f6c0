#include "deploy/onnx_policy.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "onnx/onnx_model.h"

namespace s2r::deploy {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read ONNX model '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class OnnxPolicy : public rl::Policy {
 public:
  OnnxPolicy(const std::string& path, uint64_t seed) : rng_(seed) {
    const std::string bytes = ReadFile(path);
    const auto md = onnx::ReadModelMetadata(bytes, "ONNX model '" + path + "'");
    const auto get = [&](const std::string& key) {
      const auto it = md.find("sim2real." + key);
      if (it == md.end())
        throw IoError("ONNX model '" + path + "': no sim2real." + key +
                      " metadata (export it with `sim2real export-onnx`)");
      return it->second;
    };
    const auto num = [&](const std::string& key) {
      try {
        return std::stoll(get(key));
      } catch (const std::logic_error&) {
        throw IoError("ONNX model '" + path + "': sim2real." + key + " is not a number");
      }
    };
    meta_.algo = get("algo");
    meta_.env_id = get("env_id");
    meta_.obs_mode = get("obs_mode");
    meta_.obs_dim = static_cast<int>(num("obs_dim"));
    meta_.action_dim = static_cast<int>(num("action_dim"));
    meta_.image_height = static_cast<int>(num("image_height"));
    meta_.image_width = static_cast<int>(num("image_width"));
    meta_.include_state = num("include_state") != 0;
    // Flags later exports added; an older export has none (false).
    const auto optional_flag = [&](const std::string& key) {
      return md.count("sim2real." + key) && num(key) != 0;
    };
    meta_.norm_obs = optional_flag("norm_obs");
    meta_.deterministic_only = optional_flag("deterministic");
    path_ = path;
    meta_.fpo_num_steps = static_cast<int>(num("fpo_num_steps"));
    meta_.fpo_action_squash = get("fpo_action_squash");
    meta_.global_step = num("global_step");
    meta_.iteration = num("iteration");
    meta_.config_json = get("config");
    try {
      net_ = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    } catch (const cv::Exception& e) {
      throw IoError("ONNX model '" + path + "': OpenCV's dnn cannot load it: " + e.what());
    }
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  const rl::CheckpointMeta& meta() const override { return meta_; }

  // obs [n, D] float32, image [n, H, W, 3] uint8 -> actions [n, A] in [-1, 1].
  void Act(const float* obs, const uint8_t* image, int n, bool deterministic, float* actions) override {
    const int a = meta_.action_dim;
    const int obs_shape[] = {n, meta_.obs_dim};
    if (meta_.image_height == 0 || meta_.include_state)
      net_.setInput(cv::Mat(2, obs_shape, CV_32F, const_cast<float*>(obs)), "obs");
    if (meta_.image_height > 0) {
      const int img_shape[] = {n, meta_.image_height, meta_.image_width, 3};
      net_.setInput(cv::Mat(4, img_shape, CV_8U, const_cast<uint8_t*>(image)), "image");
    }
    if (meta_.deterministic_only) {
      if (!deterministic)
        throw ConfigError("ONNX model '" + path_ +
                          "' was exported with --deterministic (no noise input): it cannot sample actions");
      return Forward(n, actions);
    }
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> noise;
    // PPO: the Gaussian's standard noise; FPO: the flow's start. Zeros give the deterministic action.
    noise.assign(static_cast<size_t>(n) * a, 0.0f);
    if (!deterministic)
      for (float& v : noise) v = normal(rng_);
    const int noise_shape[] = {n, a};
    net_.setInput(cv::Mat(2, noise_shape, CV_32F, noise.data()), "noise");
    Forward(n, actions);
  }

 private:
  // Runs the graph on the inputs set and copies the action [n, A] out.
  void Forward(int n, float* actions) {
    const int a = meta_.action_dim;
    const cv::Mat out = net_.forward("action");  // [n, A] float32
    if (out.total() != static_cast<size_t>(n) * a || out.type() != CV_32F)
      throw IoError("ONNX policy: the model returned " + std::to_string(out.total()) + " values, expected " +
                    std::to_string(n * a));
    std::copy(out.ptr<float>(), out.ptr<float>() + static_cast<size_t>(n) * a, actions);
  }

  rl::CheckpointMeta meta_;
  std::string path_;
  cv::dnn::Net net_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<rl::Policy> LoadOnnxPolicy(const std::string& path, uint64_t seed) {
  return std::make_unique<OnnxPolicy>(path, seed);
}

}  // namespace s2r::deploy
