// ONNX export: the exported graph, run by a real ONNX runtime (OpenCV's dnn module), computes the same
// actions as the libtorch policy, for PPO and FPO, state and pixel observations; `eval` runs the .onnx file
// as it runs the checkpoint; bad files get errors that name them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "cli_run.h"
#include "core/error.h"
#include "core/protobuf_wire.h"
#include "deploy/onnx_policy.h"
#include "onnx/onnx_model.h"
#include "rl/agent.h"
#include "rl/checkpoint.h"
#include "rl/flow_agent.h"
#include "rl/onnx_export.h"

namespace fs = std::filesystem;
using namespace s2r;
using namespace s2r::rl;

namespace {

fs::path TestDir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("s2r_onnx_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

struct Case {
  std::string algo;
  bool rgb = false;
  std::string squash = "clip";
  bool include_state = true;
  bool norm_obs = false;
};

std::string Name(const Case& c) {
  return c.algo + (c.rgb ? "_rgb" : "_state") + (c.include_state ? "" : "_nostate") + "_" + c.squash +
         (c.norm_obs ? "_normobs" : "");
}

// Weights drawn with std 1/sqrt(fan_in) and biases with std 0.1, so every layer (the FPO velocity's near-zero
// last layer included) moves the action: a graph that dropped or misordered a layer would show.
void Randomize(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters()) {
    if (p.dim() >= 2)
      p.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(p.numel() / p.size(0))));
    else
      p.normal_(0.0, 0.1);
  }
}

// Observation statistics far from the identity (means up to +-1, standard deviations 0.05 to 2), so that
// a graph that skipped, inverted or misordered the normalization would show, and the +-10 clip is reached
// by some of the test's N(0, 1) observations (those of the 0.05-std dimensions).
void RandomizeNormalizer(torch::nn::Module& agent) {
  auto buffers = agent.named_buffers();
  if (!buffers.contains("obs_norm.mean")) return;
  torch::NoGradGuard no_grad;
  auto& mean = buffers["obs_norm.mean"];
  mean.uniform_(-1.0, 1.0);
  const auto std = torch::linspace(0.05, 2.0, mean.numel());
  buffers["obs_norm.var"].copy_(std * std);
  buffers["obs_norm.count"].fill_(1000.0);
}

CheckpointMeta MetaFor(const Case& c) {
  CheckpointMeta m;
  m.algo = c.algo, m.env_id = "SO100GraspCube-v1", m.obs_mode = c.rgb ? "rgb" : "state";
  m.obs_dim = c.rgb ? 17 : 31, m.action_dim = 6;
  m.image_height = c.rgb ? 40 : 0, m.image_width = c.rgb ? 44 : 0;  // not square: H and W kept apart
  m.include_state = c.include_state;
  m.norm_obs = c.norm_obs;
  m.fpo_num_steps = c.algo == "fpo" ? 5 : 0;
  m.fpo_action_squash = c.squash;
  m.iteration = 3, m.global_step = 1234, m.config_json = "{\"note\": \"onnx test\"}";
  return m;
}

std::string SaveRandomCheckpoint(const fs::path& dir, const Case& c, uint64_t seed) {
  torch::manual_seed(seed);
  const CheckpointMeta meta = MetaFor(c);
  const std::string path = (dir / (Name(c) + ".pt")).string();
  const AgentSpec spec = SpecFromMeta(meta);
  if (c.algo == "fpo") {
    FlowAgent agent(spec);
    Randomize(*agent);
    RandomizeNormalizer(*agent);
    torch::optim::Adam opt(agent->parameters(), 1e-3);
    SaveCheckpoint(path, meta, *agent, opt);
  } else {
    Agent agent(spec);
    Randomize(*agent);
    RandomizeNormalizer(*agent);
    {
      torch::NoGradGuard no_grad;
      agent->actor_logstd.copy_(torch::linspace(-1.5, 0.0, 6).reshape({1, 6}));
    }
    torch::optim::Adam opt(agent->parameters(), 1e-3);
    SaveCheckpoint(path, meta, *agent, opt);
  }
  return path;
}

// What libtorch computes for the exported graph: obs [n, D], image [n, H, W, 3] uint8, noise [n, A].
torch::Tensor TorchAction(const std::string& ckpt, const torch::Tensor& obs, const torch::Tensor& image,
                          const torch::Tensor& noise) {
  torch::NoGradGuard no_grad;
  const CheckpointMeta meta = ReadCheckpointMeta(ckpt);
  if (meta.algo == "fpo") {
    FlowAgent agent = LoadAgent<FlowAgent>(ckpt, meta);
    const auto raw = agent->Sample(agent->Features(obs, image), noise, meta.fpo_num_steps);
    return FlowAgentImpl::EnvAction(raw, meta.fpo_action_squash).clamp(-1.0, 1.0);
  }
  Agent agent = LoadAgent<Agent>(ckpt, meta);
  return (agent->ActionMean(obs, image) + agent->actor_logstd.exp() * noise).clamp(-1.0, 1.0);
}

cv::Mat View(const torch::Tensor& t, int type) {
  std::vector<int> shape(t.sizes().begin(), t.sizes().end());
  return cv::Mat(static_cast<int>(shape.size()), shape.data(), type, t.data_ptr());
}

// The exported model run by OpenCV's dnn module directly (not through sim2real's loader). An undefined
// noise: the model has no noise input (a --deterministic export); `a` actions are read back.
torch::Tensor DnnAction(const std::string& onnx_path, const torch::Tensor& obs, const torch::Tensor& image,
                        const torch::Tensor& noise, int64_t a = 6) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_path);
  if (!image.defined() || ReadCheckpointMeta(fs::path(onnx_path).replace_extension(".pt")).include_state)
    net.setInput(View(obs, CV_32F), "obs");
  if (image.defined()) net.setInput(View(image, CV_8U), "image");
  if (noise.defined()) net.setInput(View(noise, CV_32F), "noise");
  cv::Mat out = net.forward("action");
  const int64_t n = image.defined() ? image.size(0) : obs.size(0);
  EXPECT_EQ(out.total(), static_cast<size_t>(n * a));
  return torch::from_blob(out.ptr<float>(), {n, a}, torch::kFloat32).clone();
}

class OnnxParity : public ::testing::TestWithParam<Case> {};

TEST_P(OnnxParity, OpenCvDnnRunsTheExportedGraphAsLibtorchRunsTheCheckpoint) {
  const Case c = GetParam();
  const fs::path dir = TestDir(Name(c));
  const std::string ckpt = SaveRandomCheckpoint(dir, c, 11);
  const std::string onnx_path = fs::path(ckpt).replace_extension(".onnx").string();
  const OnnxExportInfo info = ExportPolicyOnnx(ckpt, onnx_path);
  EXPECT_EQ(info.algo, c.algo);
  std::vector<std::string> inputs = {"obs", "noise", "image"};
  if (!c.rgb) inputs = {"obs", "noise"};
  if (!c.include_state) inputs = {"noise", "image"};
  EXPECT_EQ(info.inputs, inputs);
  EXPECT_EQ(info.bytes, static_cast<int64_t>(fs::file_size(onnx_path)));
  // FPO: the Euler steps unrolled, each at least a Gemm, an Add and the MLP's layers.
  if (c.algo == "fpo") {
    EXPECT_GT(info.num_nodes, 5 * 4);
  }

  const int n = 5;
  torch::manual_seed(5);
  const CheckpointMeta meta = MetaFor(c);
  const auto obs = torch::randn({n, meta.obs_dim});
  const auto image =
      c.rgb ? torch::randint(0, 256, {n, meta.image_height, meta.image_width, 3}).to(torch::kUInt8)
            : torch::Tensor();
  for (const bool zero_noise : {true, false}) {
    const auto noise = zero_noise ? torch::zeros({n, 6}) : torch::randn({n, 6});
    const auto want = TorchAction(ckpt, obs, image, noise);
    const auto got = DnnAction(onnx_path, obs, image, noise);
    EXPECT_LT((want - got).abs().max().item<float>(), 2e-5) << "zero noise " << zero_noise << "\n"
                                                            << want << "\n"
                                                            << got;
    // Not a trivial graph: the actions vary across observations and are not all at the clip.
    EXPECT_GT((want - want[0]).abs().max().item<float>(), 0.05);
    EXPECT_LT(want.abs().lt(0.999).sum().item<int64_t>(), n * 6 + 1);
    EXPECT_GT(want.abs().lt(0.999).sum().item<int64_t>(), n);
  }

  // Through sim2real's own loaders, the deterministic action: the .onnx file and the checkpoint agree.
  auto torch_policy = LoadPolicy(ckpt);
  auto onnx_policy = deploy::LoadOnnxPolicy(onnx_path);
  const CheckpointMeta& m = onnx_policy->meta();
  EXPECT_EQ(m.algo, c.algo);
  EXPECT_EQ(m.obs_mode, meta.obs_mode);
  EXPECT_EQ(m.obs_dim, meta.obs_dim);
  EXPECT_EQ(m.image_height, meta.image_height);
  EXPECT_EQ(m.image_width, meta.image_width);
  EXPECT_EQ(m.include_state, meta.include_state);
  EXPECT_EQ(m.norm_obs, meta.norm_obs);
  EXPECT_EQ(m.fpo_num_steps, meta.fpo_num_steps);
  EXPECT_EQ(m.fpo_action_squash, meta.fpo_action_squash);
  EXPECT_EQ(m.global_step, 1234);
  EXPECT_EQ(m.config_json, meta.config_json);
  std::vector<float> a_torch(n * 6), a_onnx(n * 6), a_sampled(n * 6);
  const uint8_t* img = c.rgb ? image.data_ptr<uint8_t>() : nullptr;
  torch_policy->Act(obs.data_ptr<float>(), img, n, true, a_torch.data());
  onnx_policy->Act(obs.data_ptr<float>(), img, n, true, a_onnx.data());
  for (int i = 0; i < n * 6; ++i) EXPECT_NEAR(a_onnx[i], a_torch[i], 2e-5) << i;
  // Sampled actions start from noise: they differ from the deterministic ones, and stay in [-1, 1].
  onnx_policy->Act(obs.data_ptr<float>(), img, n, false, a_sampled.data());
  EXPECT_NE(a_sampled, a_onnx);
  for (float v : a_sampled) EXPECT_LE(std::abs(v), 1.0f);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Policies, OnnxParity,
                         ::testing::Values(Case{"ppo", false}, Case{"fpo", false}, Case{"fpo", false, "tanh"},
                                           Case{"ppo", true}, Case{"fpo", true},
                                           Case{"fpo", true, "tanh", false},
                                           Case{"ppo", false, "clip", true, true},
                                           Case{"fpo", true, "clip", true, true}),
                         [](const auto& info) { return Name(info.param); });

// export-onnx --deterministic: no noise input, and the graph computes what the full export computes with zero
// noise (PPO's mean; FPO's flow from zero, whose first Euler step is folded differently); its policy acts
// deterministically through sim2real's loader and refuses to sample.
TEST(OnnxDeterministicTest, NoNoiseInputAndTheZeroNoiseAction) {
  const fs::path dir = TestDir("deterministic");
  for (const Case& c : {Case{"ppo", false}, Case{"fpo", false}, Case{"fpo", true, "tanh", false},
                        Case{"ppo", true, "clip", true, true}}) {
    SCOPED_TRACE(Name(c));
    const std::string ckpt = SaveRandomCheckpoint(dir, c, 12);
    const std::string onnx_path = fs::path(ckpt).replace_extension(".onnx").string();
    const OnnxExportInfo info = ExportPolicyOnnx(ckpt, onnx_path, true);
    EXPECT_TRUE(info.deterministic);
    EXPECT_EQ(std::count(info.inputs.begin(), info.inputs.end(), "noise"), 0);
    EXPECT_EQ(info.inputs.size(), (c.rgb ? 1u : 0u) + (c.include_state ? 1u : 0u));
    const int n = 4;
    torch::manual_seed(6);
    const CheckpointMeta meta = MetaFor(c);
    const auto obs = torch::randn({n, meta.obs_dim});
    const auto image =
        c.rgb ? torch::randint(0, 256, {n, meta.image_height, meta.image_width, 3}).to(torch::kUInt8)
              : torch::Tensor();
    const auto want = TorchAction(ckpt, obs, image, torch::zeros({n, 6}));
    const auto got = DnnAction(onnx_path, obs, image, torch::Tensor());
    EXPECT_LT((want - got).abs().max().item<float>(), 2e-5) << want << "\n" << got;
    EXPECT_GT((want - want[0]).abs().max().item<float>(), 0.05);  // not a constant graph
    auto policy = deploy::LoadOnnxPolicy(onnx_path);
    EXPECT_TRUE(policy->meta().deterministic_only);
    std::vector<float> a(n * 6);
    const uint8_t* img = c.rgb ? image.data_ptr<uint8_t>() : nullptr;
    policy->Act(obs.data_ptr<float>(), img, n, true, a.data());
    for (int i = 0; i < n * 6; ++i) EXPECT_NEAR(a[i], want.view({-1})[i].item<float>(), 2e-5) << i;
    try {
      policy->Act(obs.data_ptr<float>(), img, n, false, a.data());
      ADD_FAILURE() << "a deterministic export sampled";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("--deterministic"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

// The ONNX project's own checker (python3-onnx), with full shape inference, accepts what sim2real writes, and
// infers the declared output shape: other runtimes (onnxruntime, TensorRT) start from this check.
TEST(OnnxModelTest, ExportedModelsPassTheOnnxCheckerWithShapeInference) {
  const fs::path dir = TestDir("checker");
  for (const Case& c :
       {Case{"ppo", false}, Case{"fpo", true, "tanh"}, Case{"ppo", false, "clip", true, true}}) {
    const std::string ckpt = SaveRandomCheckpoint(dir, c, 4);
    const std::string path = fs::path(ckpt).replace_extension(".onnx").string();
    ExportPolicyOnnx(ckpt, path);
    const std::string script =
        "import onnx, sys\n"
        "m = onnx.load(sys.argv[1])\n"
        "onnx.checker.check_model(m, full_check=True)\n"
        "g = onnx.shape_inference.infer_shapes(m, strict_mode=True).graph\n"
        "print('inputs', ' '.join(i.name for i in g.input))\n"
        "print('action', [d.dim_param or d.dim_value for d in g.output[0].type.tensor_type.shape.dim])\n";
    std::ofstream(dir / "check.py") << script;
    FILE* p = popen(("/usr/bin/python3 " + (dir / "check.py").string() + " " + path + " 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    ASSERT_EQ(pclose(p), 0) << "python3-onnx (scripts/install-deps.sh installs it) rejected " << path << ":\n"
                            << out;
    EXPECT_NE(out.find("action ['batch', 6]"), std::string::npos) << out;
    EXPECT_NE(out.find(c.rgb ? "inputs obs noise image" : "inputs obs noise"), std::string::npos) << out;
  }
  fs::remove_all(dir);
}

TEST(OnnxModelTest, MetadataReadsBackAndMalformedFilesAreNamed) {
  onnx::Graph g("tiny");
  g.AddInput("x", onnx::ElemType::kFloat, {onnx::Dim::Free("batch"), onnx::Dim::Fixed(2)});
  g.AddOutput("y", onnx::ElemType::kFloat, {onnx::Dim::Free("batch"), onnx::Dim::Fixed(2)});
  g.AddNode("Relu", {"x"}, "y");
  const std::string bytes = onnx::SerializeModel(g, 10, "test", {{"a", "1"}, {"b", "two"}});
  const auto md = onnx::ReadModelMetadata(bytes, "tiny");
  EXPECT_EQ(md, (std::map<std::string, std::string>{{"a", "1"}, {"b", "two"}}));
  // A real runtime loads it and computes Relu.
  cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  float x[] = {-1.0f, 2.0f, 3.0f, -4.0f};
  const int shape[] = {2, 2};
  net.setInput(cv::Mat(2, shape, CV_32F, x), "x");
  cv::Mat y = net.forward("y");
  ASSERT_EQ(y.total(), 4u);
  EXPECT_EQ(std::vector<float>(y.ptr<float>(), y.ptr<float>() + 4), (std::vector<float>{0, 2, 3, 0}));
  // Truncated: the error names the file.
  try {
    onnx::ReadModelMetadata(bytes.substr(0, bytes.size() - 3), "model 'cut.onnx'");
    FAIL() << "a truncated model read without error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("model 'cut.onnx': truncated"), std::string::npos) << e.what();
  }
  EXPECT_THROW(onnx::ReadModelMetadata("", "empty"), IoError);  // no graph: not a model

  // sim2real's loader: a model without sim2real metadata, text that is not a model, a missing file.
  const fs::path dir = TestDir("bad");
  std::ofstream((dir / "plain.onnx").string(), std::ios::binary) << bytes;
  std::ofstream((dir / "text.onnx").string()) << "not a model\n";
  for (const auto& [file, want] :
       std::vector<std::pair<std::string, std::string>>{{"plain.onnx", "no sim2real.algo metadata"},
                                                        {"text.onnx", "text.onnx'"},
                                                        {"missing.onnx", "cannot read ONNX model"}}) {
    const std::string path = (dir / file).string();
    try {
      deploy::LoadOnnxPolicy(path);
      ADD_FAILURE() << file << " loaded";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

TEST(OnnxCliTest, ExportThenEvalTheOnnxFileGivesTheCheckpointsEpisodes) {
  const fs::path dir = TestDir("cli");
  for (const std::string algo : {"ppo", "fpo"}) {
    const std::string ckpt = SaveRandomCheckpoint(dir, Case{algo, false}, 3);
    auto r = s2r::testing::RunCli("export-onnx --checkpoint " + ckpt + " --json", false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);
    const std::string onnx_path = fs::path(ckpt).replace_extension(".onnx").string();  // the default --out
    EXPECT_EQ(j["path"], onnx_path);
    EXPECT_EQ(j["algo"], algo);
    EXPECT_EQ(j["inputs"], nlohmann::json({"obs", "noise"}));
    EXPECT_EQ(j["bytes"].get<int64_t>(), static_cast<int64_t>(fs::file_size(onnx_path)));
    // The same episodes (same seed, deterministic actions) from the checkpoint and from its ONNX export.
    const std::string eval = " --num-episodes 4 --num-envs 4 --seed 9 --json";
    auto a = s2r::testing::RunCli("eval --checkpoint " + ckpt + eval, false);
    auto b = s2r::testing::RunCli("eval --checkpoint " + onnx_path + eval, false);
    ASSERT_EQ(a.exit_code, 0) << a.out;
    ASSERT_EQ(b.exit_code, 0) << b.out;
    const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out);
    EXPECT_EQ(jb["algo"], algo);
    EXPECT_EQ(ja["success_once"], jb["success_once"]);
    EXPECT_NEAR(ja["return"].get<double>(), jb["return"].get<double>(),
                1e-3 * std::max(1.0, std::abs(ja["return"].get<double>())))
        << a.out << "\n"
        << b.out;
    // The --deterministic export gives the same episodes, and refuses --stochastic before any episode.
    const std::string det_path = (dir / (algo + "_det.onnx")).string();
    r = s2r::testing::RunCli(
        "export-onnx --checkpoint " + ckpt + " --deterministic --out " + det_path + " --json", false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["inputs"], nlohmann::json({"obs"}));
    EXPECT_EQ(nlohmann::json::parse(r.out)["deterministic"], true);
    auto d = s2r::testing::RunCli("eval --checkpoint " + det_path + eval, false);
    ASSERT_EQ(d.exit_code, 0) << d.out;
    EXPECT_EQ(nlohmann::json::parse(d.out)["success_once"], ja["success_once"]);
    EXPECT_NEAR(nlohmann::json::parse(d.out)["return"].get<double>(), ja["return"].get<double>(),
                1e-3 * std::max(1.0, std::abs(ja["return"].get<double>())));
    auto s = s2r::testing::RunCli("eval --checkpoint " + det_path + " --stochastic" + eval);
    EXPECT_EQ(s.exit_code, 2) << s.out;
    EXPECT_NE(s.out.find("--stochastic"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("--deterministic"), std::string::npos) << s.out;
  }
  // `bench policy`: both runtimes timed on the same inputs, the ratio of the medians, the same actions.
  const std::string ckpt = (dir / "fpo_state_clip.pt").string();
  auto r = s2r::testing::RunCli("bench policy --checkpoint " + ckpt + " --calls 3 --rounds 2 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["algo"], "fpo");
  const double t = j["libtorch_ms_per_call"], o = j["onnx_ms_per_call"];
  EXPECT_GT(t, 0.0);
  EXPECT_GT(o, 0.0);
  EXPECT_NEAR(j["speedup_vs_libtorch"].get<double>(), t / o, 1e-9 * t / o);
  EXPECT_LT(j["max_abs_action_diff"].get<double>(), 2e-5);
  EXPECT_FALSE(
      fs::exists(fs::temp_directory_path() / ("s2r_bench_policy_" + std::to_string(getpid()) + ".onnx")));
  // Bad flags are named.
  auto bad = s2r::testing::RunCli("export-onnx --checkpoint " + (dir / "nope.pt").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--checkpoint"), std::string::npos) << bad.out;
  bad = s2r::testing::RunCli("export-onnx --checkpoint " + (dir / "ppo_state_clip.pt").string() + " --out " +
                             (dir / "policy.txt").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--out"), std::string::npos) << bad.out;
  fs::remove_all(dir);
}

}  // namespace
