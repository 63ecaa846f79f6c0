#include "rl/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "rl/flow_agent.h"

namespace fs = std::filesystem;

namespace s2r::rl {

namespace {

constexpr int64_t kFormatVersion = 1;

void WriteMeta(torch::serialize::OutputArchive& a, const CheckpointMeta& m) {
  a.write("sim2real_checkpoint", c10::IValue(kFormatVersion));
  a.write("algo", c10::IValue(m.algo));
  a.write("env_id", c10::IValue(m.env_id));
  a.write("obs_mode", c10::IValue(m.obs_mode));
  a.write("config_json", c10::IValue(m.config_json));
  a.write("iteration", c10::IValue(m.iteration));
  a.write("global_step", c10::IValue(m.global_step));
  a.write("obs_dim", c10::IValue(static_cast<int64_t>(m.obs_dim)));
  a.write("action_dim", c10::IValue(static_cast<int64_t>(m.action_dim)));
  a.write("image_height", c10::IValue(static_cast<int64_t>(m.image_height)));
  a.write("image_width", c10::IValue(static_cast<int64_t>(m.image_width)));
  a.write("include_state", c10::IValue(m.include_state));
  a.write("fpo_num_steps", c10::IValue(static_cast<int64_t>(m.fpo_num_steps)));
  a.write("fpo_action_squash", c10::IValue(m.fpo_action_squash));
  a.write("distilled_from", c10::IValue(m.distilled_from));
  a.write("norm_obs", c10::IValue(m.norm_obs));
}

CheckpointMeta ReadMeta(torch::serialize::InputArchive& a, const std::string& path) {
  c10::IValue v;
  if (!a.try_read("sim2real_checkpoint", v))
    throw IoError("checkpoint '" + path + "' is not a sim2real checkpoint (no sim2real_checkpoint entry)");
  CheckpointMeta m;
  auto str = [&](const char* key) {
    a.read(key, v);
    return v.toStringRef();
  };
  auto num = [&](const char* key) {
    a.read(key, v);
    return v.toInt();
  };
  m.algo = str("algo");
  m.env_id = str("env_id");
  m.obs_mode = str("obs_mode");
  m.config_json = str("config_json");
  m.iteration = num("iteration");
  m.global_step = num("global_step");
  m.obs_dim = static_cast<int>(num("obs_dim"));
  m.action_dim = static_cast<int>(num("action_dim"));
  m.image_height = static_cast<int>(num("image_height"));
  m.image_width = static_cast<int>(num("image_width"));
  a.read("include_state", v);
  m.include_state = v.toBool();
  if (a.try_read("fpo_num_steps", v)) m.fpo_num_steps = static_cast<int>(v.toInt());
  if (a.try_read("fpo_action_squash", v)) m.fpo_action_squash = v.toStringRef();
  if (a.try_read("distilled_from", v)) m.distilled_from = v.toStringRef();
  if (a.try_read("norm_obs", v)) m.norm_obs = v.toBool();  // older checkpoints: none
  if (m.algo != "ppo" && m.algo != "fpo")
    throw IoError("checkpoint '" + path + "': unknown algorithm '" + m.algo + "' (expected ppo or fpo)");
  if (m.algo == "fpo" && m.fpo_num_steps < 1)
    throw IoError("checkpoint '" + path + "': an FPO checkpoint without fpo_num_steps");
  if (!FlowAgentImpl::KnownSquash(m.fpo_action_squash))
    throw IoError("checkpoint '" + path + "': unknown fpo_action_squash '" + m.fpo_action_squash +
                  "' (expected clip or tanh)");
  return m;
}

void LoadArchive(torch::serialize::InputArchive& a, const std::string& path) {
  if (!fs::is_regular_file(path)) throw IoError("checkpoint '" + path + "' does not exist");
  try {
    a.load_from(path);
  } catch (const c10::Error& e) {
    throw IoError("cannot read checkpoint '" + path + "': " + e.what_without_backtrace());
  }
}

}  // namespace

AgentSpec SpecFromMeta(const CheckpointMeta& m) {
  AgentSpec s;
  s.obs_dim = m.obs_dim;
  s.action_dim = m.action_dim;
  s.image_height = m.image_height;
  s.image_width = m.image_width;
  s.include_state = m.include_state;
  s.norm_obs = m.norm_obs;
  return s;
}

void SaveCheckpoint(const std::string& path, const CheckpointMeta& meta, torch::nn::Module& model_module,
                    torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive root, model, optim;
  WriteMeta(root, meta);
  model_module.save(model);
  optimizer.save(optim);
  root.write("model", model);
  root.write("optimizer", optim);
  // Atomic: a crash leaves either the old file or the new one, never half of one.
  std::ostringstream bytes;
  try {
    root.save_to(bytes);
  } catch (const std::exception& e) {
    throw IoError("cannot write checkpoint '" + path + "': " + e.what());
  }
  WriteFileAtomic(path, bytes.str(), "cannot write checkpoint '" + path + "'");
}

CheckpointMeta LoadCheckpoint(const std::string& path, torch::nn::Module& model_module,
                              torch::optim::Optimizer* optimizer) {
  torch::serialize::InputArchive root, model, optim;
  LoadArchive(root, path);
  const CheckpointMeta meta = ReadMeta(root, path);
  root.read("model", model);
  try {
    model_module.load(model);
  } catch (const c10::Error& e) {
    throw IoError("checkpoint '" + path + "' does not fit the " + meta.algo +
                  " network it describes: " + e.what_without_backtrace());
  }
  if (optimizer) {
    root.read("optimizer", optim);
    optimizer->load(optim);
  }
  return meta;
}

CheckpointMeta ReadCheckpointMeta(const std::string& path) {
  torch::serialize::InputArchive root;
  LoadArchive(root, path);
  return ReadMeta(root, path);
}

namespace {

// Shared by both policies: torch views of the caller's buffers and the copy-out of clipped actions.
class TorchPolicyBase : public Policy {
 public:
  const CheckpointMeta& meta() const override { return meta_; }

 protected:
  torch::Tensor ObsTensor(const float* obs, int n) const {
    return torch::from_blob(const_cast<float*>(obs), {n, meta_.obs_dim}, torch::kFloat32);
  }
  torch::Tensor ImageTensor(const uint8_t* image, int n) const {
    if (meta_.image_height <= 0) return {};
    return torch::from_blob(const_cast<uint8_t*>(image), {n, meta_.image_height, meta_.image_width, 3},
                            torch::kUInt8);
  }
  void CopyOut(torch::Tensor a, int n, float* actions) const {
    a = a.clamp(-1.0, 1.0).contiguous();
    std::memcpy(actions, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n) * meta_.action_dim);
  }
  CheckpointMeta meta_;
};

class PpoPolicy : public TorchPolicyBase {
 public:
  PpoPolicy(const std::string& path, const CheckpointMeta& meta) : agent_(LoadAgent<Agent>(path, meta)) {
    meta_ = meta;
  }
  void Act(const float* obs, const uint8_t* image, int n, bool deterministic, float* actions) override {
    torch::NoGradGuard no_grad;
    const auto o = ObsTensor(obs, n);
    const auto img = ImageTensor(image, n);
    CopyOut(deterministic ? agent_->ActionMean(o, img) : agent_->ActionAndValue(o, img).action, n, actions);
  }

 private:
  Agent agent_;
};

class FpoPolicy : public TorchPolicyBase {
 public:
  FpoPolicy(const std::string& path, const CheckpointMeta& meta) : agent_(LoadAgent<FlowAgent>(path, meta)) {
    meta_ = meta;
  }
  void Act(const float* obs, const uint8_t* image, int n, bool deterministic, float* actions) override {
    torch::NoGradGuard no_grad;
    const auto f = agent_->Features(ObsTensor(obs, n), ImageTensor(image, n));
    // Deterministic: the flow from zero noise (FPO++'s zero-sampling); else from Gaussian noise.
    const auto x0 = deterministic ? torch::zeros({n, meta_.action_dim}) : torch::randn({n, meta_.action_dim});
    CopyOut(FlowAgentImpl::EnvAction(agent_->Sample(f, x0, meta_.fpo_num_steps), meta_.fpo_action_squash), n,
            actions);
  }

 private:
  FlowAgent agent_;
};

}  // namespace

std::unique_ptr<Policy> LoadPolicy(const std::string& path) {
  const CheckpointMeta meta = ReadCheckpointMeta(path);
  if (meta.algo == "fpo") return std::make_unique<FpoPolicy>(path, meta);
  return std::make_unique<PpoPolicy>(path, meta);
}

}  // namespace s2r::rl
