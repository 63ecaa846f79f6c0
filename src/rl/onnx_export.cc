#include "rl/onnx_export.h"

#include <torch/torch.h>

#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "onnx/onnx_model.h"
#include "rl/checkpoint.h"
#include "rl/flow_agent.h"

namespace s2r::rl {

namespace {

// Opset 10: every op used here has its current meaning there, and runtimes as old as OpenCV 4.6's dnn read
// it (OpenCV reads Clip only with min/max attributes, which opset 11 moved to inputs).
constexpr int kOpset = 10;

std::vector<float> Floats(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<int64_t> Dims(const torch::Tensor& t) { return t.sizes().vec(); }

// Torch modules -> ONNX nodes. Weights are named as in the checkpoint ("actor_mean.0.weight").
class GraphWriter {
 public:
  explicit GraphWriter(onnx::Graph* g) : g_(g) {}

  std::string Weight(const std::string& name, const torch::Tensor& t) {
    if (!added_.count(name)) {
      g_->AddFloats(name, Dims(t), Floats(t));
      added_.insert({name, true});
    }
    return name;
  }

  // y = x W^T + b, x [N, in] -> [N, out]. scale multiplies W and b (folds a constant factor in).
  std::string Linear(const std::string& x, torch::nn::LinearImpl& l, const std::string& name,
                     double scale = 1.0, const std::string& output = "") {
    const std::string suffix = scale == 1.0 ? "" : ".scaled";
    const auto w = Weight(name + ".weight" + suffix, l.weight * scale);
    const auto b = Weight(name + ".bias" + suffix, l.bias * scale);
    return g_->AddNode("Gemm", {x, w, b}, output, {onnx::Attr::Int("transB", 1)});
  }

  std::string Conv(const std::string& x, torch::nn::Conv2dImpl& c, const std::string& name) {
    const auto& o = c.options;
    if (o.groups() != 1 || (*o.dilation())[0] != 1 || (*o.dilation())[1] != 1 ||
        !c10::holds_alternative<torch::ExpandingArray<2>>(o.padding()))
      throw ConfigError("export-onnx: " + name + " is a convolution this exporter does not know");
    const auto pad = c10::get<torch::ExpandingArray<2>>(o.padding());
    const auto w = Weight(name + ".weight", c.weight);
    const auto b = Weight(name + ".bias", c.bias);
    return g_->AddNode("Conv", {x, w, b}, "",
                       {onnx::Attr::Ints("kernel_shape", {(*o.kernel_size())[0], (*o.kernel_size())[1]}),
                        onnx::Attr::Ints("strides", {(*o.stride())[0], (*o.stride())[1]}),
                        onnx::Attr::Ints("pads", {(*pad)[0], (*pad)[1], (*pad)[0], (*pad)[1]})});
  }

  // The layers of `seq` from index `from` on. The last Linear is scaled by last_scale.
  std::string Sequential(std::string x, torch::nn::SequentialImpl& seq, const std::string& name,
                         size_t from = 0, double last_scale = 1.0, const std::string& output = "") {
    const auto children = seq.children();
    size_t last_linear = children.size();
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i]->as<torch::nn::LinearImpl>()) last_linear = i;
    for (size_t i = from; i < children.size(); ++i) {
      const auto& m = children[i];
      const std::string n = name + "." + std::to_string(i);
      const std::string out = i + 1 == children.size() ? output : "";
      if (auto* l = m->as<torch::nn::LinearImpl>())
        x = Linear(x, *l, n, i == last_linear ? last_scale : 1.0, out);
      else if (auto* c = m->as<torch::nn::Conv2dImpl>())
        x = Conv(x, *c, n);
      else if (m->as<torch::nn::ReLUImpl>())
        x = g_->AddNode("Relu", {x}, out);
      else if (m->as<torch::nn::TanhImpl>())
        x = g_->AddNode("Tanh", {x}, out);
      else if (m->as<torch::nn::FlattenImpl>())
        x = g_->AddNode("Flatten", {x}, out, {onnx::Attr::Int("axis", 1)});
      else
        throw ConfigError("export-onnx: layer " + n + " (" + m->name() + ") has no ONNX translation here");
    }
    return x;
  }

  // rgb features: NatureCNN(image / 255) [N, 256], with state_fc(obs) [N, 256] concatenated.
  std::string ImageFeatures(torch::nn::Module& agent, const std::string& obs, const std::string& image) {
    auto f =
        g_->AddNode("Cast", {image}, "", {onnx::Attr::Int("to", static_cast<int>(onnx::ElemType::kFloat))});
    f = g_->AddNode("Transpose", {f}, "", {onnx::Attr::Ints("perm", {0, 3, 1, 2})});  // [N, 3, H, W]
    f = g_->AddNode("Div", {f, g_->AddFloats("pixel_scale", {}, {255.0f})});
    f = Sequential(f, *Child(agent, "cnn")->as<torch::nn::SequentialImpl>(), "cnn");
    if (const auto fc = FindChild(agent, "state_fc")) {
      const auto s = Linear(obs, *fc->as<torch::nn::LinearImpl>(), "state_fc");
      f = g_->AddNode("Concat", {f, s}, "", {onnx::Attr::Int("axis", 1)});
    }
    return f;
  }

  // The direct submodule `name` of `m`, or null.
  static std::shared_ptr<torch::nn::Module> FindChild(torch::nn::Module& m, const std::string& name) {
    auto named = m.named_children();
    auto* c = named.find(name);
    return c ? *c : nullptr;
  }
  // The same, required: IoError when the checkpoint's network lacks it.
  static std::shared_ptr<torch::nn::Module> Child(torch::nn::Module& m, const std::string& name) {
    if (auto c = FindChild(m, name)) return c;
    throw IoError("export-onnx: the checkpoint's network has no module " + name);
  }

  // The agent's ObsNormalizer ("obs_norm"), where it has one: obs [N, D] -> clip((obs - mean) * inv_std,
  // +-10), the affine part as one Gemm with diag(inv_std) (portable where a broadcast Sub/Mul is not).
  std::string NormalizedObs(torch::nn::Module& agent, const std::string& obs) {
    const auto child = FindChild(agent, "obs_norm");
    if (!child) return obs;
    auto& norm = *child->as<ObsNormalizerImpl>();
    const auto inv_std = torch::rsqrt(norm.var.detach() + ObsNormalizerImpl::kEpsilon);  // [D]
    const auto x = g_->AddNode("Gemm", {obs, Weight("obs_norm.inv_std_diag", torch::diag(inv_std)),
                                        Weight("obs_norm.shift", -norm.mean.detach() * inv_std)});
    const auto clip = static_cast<float>(ObsNormalizerImpl::kClip);
    return g_->AddNode("Clip", {x}, "obs_normalized",
                       {onnx::Attr::Float("min", -clip), onnx::Attr::Float("max", clip)});
  }

  // Clip-6's attribute form (opset 10): the form OpenCV's dnn importer reads.
  std::string ClipToUnit(const std::string& x, const std::string& output) {
    return g_->AddNode("Clip", {x}, output,
                       {onnx::Attr::Float("min", -1.0f), onnx::Attr::Float("max", 1.0f)});
  }

 private:
  onnx::Graph* g_;
  std::map<std::string, bool> added_;
};

// The FPO sampler: x <- x + (1/K) v(x, k/K, f), k = 0..K-1. The velocity MLP's first Linear on
// [f, x, emb(t)] is split: f W_f^T once; x W_x^T + (b + emb(k/K) W_e^T) per step, the embedding's term a
// constant bias. The last Linear is scaled by 1/K, so each step adds its output to x.
// An empty `noise` starts the flow from zero: the first step's x W_x^T vanishes, so its Gemm on f carries
// that step's bias and the step's output is x_1 itself.
std::string FlowSample(GraphWriter& w, onnx::Graph& g, FlowAgentImpl& agent, const std::string& f, int feat,
                       const std::string& noise, int steps) {
  auto& vel = *GraphWriter::Child(agent, "velocity")->as<torch::nn::SequentialImpl>();
  auto* first = vel.children().at(0)->as<torch::nn::LinearImpl>();
  const int a = agent.spec().action_dim;
  const auto W = first->weight.detach();  // [H, feat + a + 8]
  const auto Wf = W.narrow(1, 0, feat), Wx = W.narrow(1, feat, a);
  const auto We = W.narrow(1, feat + a, FlowAgentImpl::kTimeEmbedding);
  const auto hf = g.AddNode("Gemm",
                            {f, w.Weight("velocity.0.weight.features", Wf),
                             w.Weight("velocity.0.bias.zero", torch::zeros({W.size(0)}))},
                            "velocity_features", {onnx::Attr::Int("transB", 1)});
  const auto wx = w.Weight("velocity.0.weight.action", Wx);
  const double dt = 1.0 / steps;
  std::string x = noise;
  for (int k = 0; k < steps; ++k) {
    const auto t = torch::full({1, 1}, k * dt);
    const auto bias = first->bias.detach() + torch::matmul(FlowAgentImpl::EmbedTime(t), We.t()).squeeze(0);
    const auto bias_name = w.Weight("velocity.0.bias.step" + std::to_string(k), bias);
    const std::string next = "x_" + std::to_string(k + 1);
    if (x.empty()) {  // x = 0: h = f W_f^T + b_k, and x_1 = v dt
      const auto h = g.AddNode("Gemm", {f, w.Weight("velocity.0.weight.features", Wf), bias_name}, "",
                               {onnx::Attr::Int("transB", 1)});
      x = w.Sequential(h, vel, "velocity", 1, dt, next);
      continue;
    }
    const auto hx = g.AddNode("Gemm", {x, wx, bias_name}, "", {onnx::Attr::Int("transB", 1)});
    const auto h = g.AddNode("Add", {hf, hx});
    const auto v_dt = w.Sequential(h, vel, "velocity", 1, dt);
    x = g.AddNode("Add", {x, v_dt}, next);
  }
  return x;
}

}  // namespace

OnnxExportInfo ExportPolicyOnnx(const std::string& checkpoint, const std::string& out_path,
                                bool deterministic) {
  const CheckpointMeta meta = ReadCheckpointMeta(checkpoint);
  torch::NoGradGuard no_grad;
  onnx::Graph g("sim2real_" + meta.algo + "_policy");
  GraphWriter w(&g);
  OnnxExportInfo info;
  const auto batch = onnx::Dim::Free("batch");
  const bool rgb = meta.image_height > 0;
  const bool reads_obs = !rgb || meta.include_state;  // an rgb policy without the state never reads obs
  if (reads_obs) {                                    // no such input otherwise
    g.AddInput("obs", onnx::ElemType::kFloat, {batch, onnx::Dim::Fixed(meta.obs_dim)});
    info.inputs.push_back("obs");
  }
  if (!deterministic) {
    g.AddInput("noise", onnx::ElemType::kFloat, {batch, onnx::Dim::Fixed(meta.action_dim)});
    info.inputs.push_back("noise");
  }
  const std::string noise = deterministic ? "" : "noise";
  // The image last: OpenCV 4.6's dnn miscomputes a graph whose first input is the uint8 one.
  if (rgb) {
    g.AddInput("image", onnx::ElemType::kUint8,
               {batch, onnx::Dim::Fixed(meta.image_height), onnx::Dim::Fixed(meta.image_width),
                onnx::Dim::Fixed(3)});
    info.inputs.push_back("image");
  }
  if (meta.algo == "fpo") {
    FlowAgent agent = LoadAgent<FlowAgent>(checkpoint, meta);
    const std::string obs = reads_obs ? w.NormalizedObs(*agent, "obs") : "obs";
    const std::string f = rgb ? w.ImageFeatures(*agent, obs, "image") : obs;
    const int feat = rgb ? (meta.include_state ? 512 : 256) : meta.obs_dim;
    std::string x = FlowSample(w, g, *agent, f, feat, noise, meta.fpo_num_steps);
    if (meta.fpo_action_squash == "tanh") x = g.AddNode("Tanh", {x});
    w.ClipToUnit(x, "action");
  } else {
    Agent agent = LoadAgent<Agent>(checkpoint, meta);
    const std::string obs = reads_obs ? w.NormalizedObs(*agent, "obs") : "obs";
    const std::string f = rgb ? w.ImageFeatures(*agent, obs, "image") : obs;
    const auto mean = w.Sequential(
        f, *GraphWriter::Child(*agent, "actor_mean")->as<torch::nn::SequentialImpl>(), "actor_mean");
    if (deterministic) {
      w.ClipToUnit(mean, "action");
    } else {
      // noise * std as noise [N, A] x diag(std) [A, A] (a Gemm, where a broadcast Mul is less portable).
      const auto std_diag = torch::diag(agent->actor_logstd.detach().exp().reshape({-1}));
      const auto scaled = g.AddNode("Gemm", {"noise", w.Weight("actor_std_diag", std_diag),
                                             w.Weight("actor_noise_bias", torch::zeros({meta.action_dim}))});
      w.ClipToUnit(g.AddNode("Add", {mean, scaled}), "action");
    }
  }
  g.AddOutput("action", onnx::ElemType::kFloat, {batch, onnx::Dim::Fixed(meta.action_dim)});

  const std::map<std::string, std::string> metadata = {
      {"sim2real.algo", meta.algo},
      {"sim2real.env_id", meta.env_id},
      {"sim2real.obs_mode", meta.obs_mode},
      {"sim2real.obs_dim", std::to_string(meta.obs_dim)},
      {"sim2real.action_dim", std::to_string(meta.action_dim)},
      {"sim2real.image_height", std::to_string(meta.image_height)},
      {"sim2real.image_width", std::to_string(meta.image_width)},
      {"sim2real.include_state", meta.include_state ? "1" : "0"},
      {"sim2real.norm_obs", meta.norm_obs ? "1" : "0"},
      {"sim2real.deterministic", deterministic ? "1" : "0"},
      {"sim2real.fpo_num_steps", std::to_string(meta.fpo_num_steps)},
      {"sim2real.fpo_action_squash", meta.fpo_action_squash},
      {"sim2real.global_step", std::to_string(meta.global_step)},
      {"sim2real.iteration", std::to_string(meta.iteration)},
      {"sim2real.config", meta.config_json},
  };
  const std::string bytes = onnx::SerializeModel(g, kOpset, "sim2real", metadata);
  WriteFileAtomic(out_path, bytes, "export-onnx: cannot write --out '" + out_path + "'");
  info.path = out_path;
  info.algo = meta.algo;
  info.obs_mode = meta.obs_mode;
  info.opset = kOpset;
  info.num_nodes = static_cast<int64_t>(g.num_nodes());
  info.num_weights = static_cast<int64_t>(g.num_weights());
  info.bytes = static_cast<int64_t>(bytes.size());
  info.fpo_num_steps = meta.algo == "fpo" ? meta.fpo_num_steps : 0;
  info.deterministic = deterministic;
  return info;
}

}  // namespace s2r::rl
