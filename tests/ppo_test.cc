// PPO: GAE and the clipped objective against hand computations, checkpoints, resume, flag parsing of
// the guide's command, and short end-to-end runs in both observation modes.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "core/error.h"
#include "metrics/csv_log.h"
#include "rl/agent.h"
#include "rl/checkpoint.h"
#include "rl/compute_threads.h"
#include "rl/device.h"
#include "rl/gae.h"
#include "rl/policy.h"
#include "rl/ppo_loss.h"
#include "train_cli.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace s2r::rl {
namespace {

using s2r::testing::ExpectRunArtefacts;
using s2r::testing::LastJsonLine;
using s2r::testing::RunResult;
using s2r::testing::Sim2real;

// ------------------------------------------------------------------ GAE

// The same recursion written out on doubles for one env, as a check of the tensor code.
std::vector<double> ReferenceGae(const std::vector<double>& r, const std::vector<double>& v,
                                 const std::vector<double>& done, const std::vector<double>& fv,
                                 double next_v, double next_done, double gamma, double lam) {
  const size_t T = r.size();
  std::vector<double> adv(T);
  double last = 0;
  for (size_t t = T; t-- > 0;) {
    const double nnd = t == T - 1 ? 1 - next_done : 1 - done[t + 1];
    const double nv = t == T - 1 ? next_v : v[t + 1];
    const double delta = r[t] + gamma * (nnd * nv + fv[t]) - v[t];
    last = delta + gamma * lam * nnd * last;
    adv[t] = last;
  }
  return adv;
}

TEST(GaeTest, HandComputedWithTerminationTruncationAndFinalObservation) {
  // Env 0: runs through. Env 1: its episode ends at step 1 (final observation value 2.0) and a new one
  // starts at step 2; after the rollout it is done again (truncated at step 3).
  const double g = 0.9, l = 0.8;
  auto t2 = [](std::vector<std::array<float, 2>> rows) {
    auto out = torch::zeros({static_cast<long>(rows.size()), 2});
    for (size_t t = 0; t < rows.size(); ++t)
      for (int n = 0; n < 2; ++n) out[static_cast<long>(t)][n] = rows[t][static_cast<size_t>(n)];
    return out;
  };
  const auto rewards = t2({{1, 0.5f}, {0, 1}, {1, 0}, {0.5f, 0.25f}});
  const auto values = t2({{0.3f, 0.2f}, {0.1f, 0.4f}, {0.6f, 0.1f}, {0.2f, 0.3f}});
  const auto dones = t2({{0, 0}, {0, 0}, {0, 1}, {0, 0}});
  const auto final_values = t2({{0, 0}, {0, 2}, {0, 0}, {0, 1.5f}});
  const auto next_value = torch::tensor({0.7f, 0.9f});
  const auto next_done = torch::tensor({0.f, 1.f});
  const auto adv = ComputeGae(rewards, values, dones, final_values, next_value, next_done, g, l, false);
  const auto a0 =
      ReferenceGae({1, 0, 1, 0.5}, {0.3, 0.1, 0.6, 0.2}, {0, 0, 0, 0}, {0, 0, 0, 0}, 0.7, 0, g, l);
  const auto a1 =
      ReferenceGae({0.5, 1, 0, 0.25}, {0.2, 0.4, 0.1, 0.3}, {0, 0, 1, 0}, {0, 2, 0, 1.5}, 0.9, 1, g, l);
  for (int t = 0; t < 4; ++t) {
    EXPECT_NEAR(adv[t][0].item<double>(), a0[static_cast<size_t>(t)], 1e-5) << "t " << t;
    EXPECT_NEAR(adv[t][1].item<double>(), a1[static_cast<size_t>(t)], 1e-5) << "t " << t;
  }
  // Spot values by hand: env 1, step 3 (done after it, final value 1.5): 0.25 + 0.9 * 1.5 - 0.3 = 1.3.
  EXPECT_NEAR(adv[3][1].item<double>(), 1.3, 1e-5);
  // Env 1, step 1 (episode ends, final value 2): delta = 1 + 0.9 * 2 - 0.4 = 2.4, no carry from step 2.
  EXPECT_NEAR(adv[1][1].item<double>(), 2.4, 1e-5);
  // Env 0, step 3: 0.5 + 0.9 * 0.7 - 0.2 = 0.93.
  EXPECT_NEAR(adv[3][0].item<double>(), 0.93, 1e-5);
}

TEST(GaeTest, FiniteHorizonVariantByHand) {
  // Two steps, no done: the last step is the TD error; the first averages the 1- and 2-step returns
  // with weights 1 and lambda: (lambda g r1 + (1 + lambda) r0 + lambda g^2 V' + g v1) / (1 + lambda) - v0.
  const auto r = torch::tensor({1.f, 0.5f}).view({2, 1}), v = torch::tensor({0.2f, 0.4f}).view({2, 1});
  const auto z = torch::zeros({2, 1});
  const auto adv = ComputeGae(r, v, z, z, torch::tensor({0.6f}), torch::zeros({1}), 0.9, 0.8, true);
  EXPECT_NEAR(adv[1][0].item<double>(), 0.5 + 0.9 * 0.6 - 0.4, 1e-5);
  EXPECT_NEAR(adv[0][0].item<double>(), (0.72 * 0.5 + 1.8 * 1.0 + 0.8 * 0.81 * 0.6 + 0.9 * 0.4) / 1.8 - 0.2,
              1e-5);
}

// ------------------------------------------------------------------ the clipped objective

TEST(PpoLossTest, ClippedSurrogateOnConstructedRatios) {
  // Ratios 1.5 and 0.5 with advantages +1 and -1, and an unclipped 1.1 with +2.
  const auto old_lp = torch::zeros({3});
  const auto new_lp = torch::log(torch::tensor({1.5f, 0.5f, 1.1f}));
  const auto adv = torch::tensor({1.f, -1.f, 2.f});
  const auto v = torch::tensor({0.f, 0.f, 0.f}), ret = torch::tensor({1.f, 2.f, 3.f});
  const auto ent = torch::tensor({0.5f, 0.5f, 0.5f});
  const auto t = PpoLoss(new_lp, old_lp, adv, v, v, ret, ent, 0.2, false, 0.01, 0.5);
  // max(-A r, -A clip(r)): -1.2 (clipped), max(0.5, 0.8) = 0.8 (clipped), -2.2 (inside the range).
  EXPECT_NEAR(t.policy_loss.item<double>(), (-1.2 + 0.8 - 2.2) / 3, 1e-6);
  EXPECT_NEAR(t.value_loss.item<double>(), 0.5 * (1 + 4 + 9) / 3.0, 1e-6);
  EXPECT_NEAR(t.clipfrac.item<double>(), 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(t.loss.item<double>(),
              t.policy_loss.item<double>() - 0.01 * 0.5 + 0.5 * t.value_loss.item<double>(), 1e-6);
  // approx_kl = mean((r - 1) - log r) >= 0.
  const double k = ((0.5 - std::log(1.5)) + (-0.5 - std::log(0.5)) + (0.1 - std::log(1.1))) / 3;
  EXPECT_NEAR(t.approx_kl.item<double>(), k, 1e-6);
  // Clipped value loss: new value 2 vs old 0 and return 1: max((2-1)^2, (0.2-1)^2) = 1.
  const auto tv = PpoLoss(old_lp, old_lp, adv, torch::tensor({2.f, 0.f, 0.f}), torch::zeros({3}),
                          torch::tensor({1.f, 0.f, 0.f}), ent, 0.2, true, 0, 1);
  EXPECT_NEAR(tv.value_loss.item<double>(), 0.5 * 1.0 / 3.0, 1e-6);
}

// ------------------------------------------------------------------ checkpoints

// Training runs libtorch at the core count with OpenBLAS beneath it at one thread: both pools at the core
// count fight (a state-PPO update 3x slower on 2 cores; `sim2real bench update`).
TEST(ComputeThreadsTest, OpenBlasKeptToOneThreadUnderMultiThreadedTorch) {
  using GetFn = int (*)();
  const auto blas_threads = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  ASSERT_NE(blas_threads, nullptr) << "libtorch here is expected to run on OpenBLAS (install-deps)";
  s2r::rl::SetBlasThreads(2);
  ASSERT_EQ(blas_threads(), 2);
  ASSERT_TRUE(s2r::rl::SetComputeThreads(2));
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_EQ(blas_threads(), 1);
  // Single-threaded libtorch leaves OpenBLAS its own count (its threads are then the only ones).
  s2r::rl::SetBlasThreads(2);
  ASSERT_TRUE(s2r::rl::SetComputeThreads(1));
  EXPECT_EQ(torch::get_num_threads(), 1);
  EXPECT_EQ(blas_threads(), 2);
}

// ------------------------------------------------------------------ observation normalization

// Two batches folded in one after the other give the moments of their concatenation (population variance);
// the forward pass standardizes with them and clips at +-10; a fresh normalizer is the identity.
TEST(ObsNormalizerTest, TwoBatchesGiveTheConcatenationsMomentsAndTheClip) {
  torch::manual_seed(4);
  ObsNormalizer norm(3);
  const auto x = torch::randn({5, 3});
  EXPECT_TRUE(torch::equal(norm->forward(x), x.clamp(-10, 10)));  // mean 0, var 1 (up to 1e-8)
  const auto a = torch::randn({40, 3}) * torch::tensor({1.0, 0.01, 3.0}) + torch::tensor({0.5, -2.0, 7.0});
  const auto b = torch::randn({24, 3}) * 2.0 + 1.0;
  norm->Update(a);
  norm->Update(b);
  const auto all = torch::cat({a, b}).to(torch::kFloat64);
  EXPECT_DOUBLE_EQ(norm->count.item<double>(), 64.0);
  EXPECT_LT((norm->mean.to(torch::kFloat64) - all.mean(0)).abs().max().item<double>(), 1e-5);
  EXPECT_LT((norm->var.to(torch::kFloat64) - all.var(0, false)).abs().max().item<double>(), 1e-5);
  const auto obs = torch::tensor({{0.5f, 100.0f, 7.0f}});
  const auto want = ((obs - norm->mean) / torch::sqrt(norm->var + 1e-8)).clamp(-10, 10);
  const auto got = norm->forward(obs);
  EXPECT_TRUE(torch::allclose(got, want));
  EXPECT_FLOAT_EQ(got[0][1].item<float>(), 10.0f);  // far outside: clipped
}

TEST(CheckpointTest, SaveLoadGivesIdenticalActionsAndMeta) {
  const fs::path dir = fs::temp_directory_path() / ("s2r_ckpt_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  torch::manual_seed(3);
  AgentSpec spec{17, 6, 48, 40, true};
  Agent agent(spec);
  torch::optim::Adam opt(agent->parameters(), 1e-3);
  CheckpointMeta meta;
  meta.algo = "ppo", meta.env_id = "SO100GraspCube-v1", meta.obs_mode = "rgb",
  meta.config_json = "{\"x\": 1}";
  meta.iteration = 7, meta.global_step = 12345;
  meta.obs_dim = 17, meta.action_dim = 6, meta.image_height = 48, meta.image_width = 40;
  const std::string path = (dir / "ckpt.pt").string();
  SaveCheckpoint(path, meta, *agent, opt);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temp file left
  auto policy = LoadPolicy(path);
  EXPECT_EQ(policy->meta().global_step, 12345);
  EXPECT_EQ(policy->meta().iteration, 7);
  EXPECT_EQ(policy->meta().config_json, "{\"x\": 1}");
  torch::manual_seed(9);
  const auto obs = torch::randn({5, 17});
  const auto img = torch::randint(0, 255, {5, 48, 40, 3}, torch::kUInt8);
  std::vector<float> actions(5 * 6);
  policy->Act(obs.data_ptr<float>(), img.data_ptr<uint8_t>(), 5, true, actions.data());
  torch::NoGradGuard no_grad;
  const auto want = agent->ActionMean(obs, img).clamp(-1, 1);
  for (int i = 0; i < 30; ++i)
    EXPECT_FLOAT_EQ(actions[static_cast<size_t>(i)], want.view({-1})[i].item<float>());
  EXPECT_THROW(ReadCheckpointMeta((dir / "missing.pt").string()), IoError);
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ the binary, end to end

// --ppo.norm-obs: the checkpoint records it, its normalizer holds the statistics of every training
// observation (count = steps trained, resume continues them), and eval and export-onnx take it.
TEST(TrainCliTest, NormObsRunKeepsItsObservationStatisticsInTheCheckpoint) {
  const fs::path root = fs::temp_directory_path() / ("s2r_normobs_test_" + std::to_string(getpid()));
  fs::create_directories(root);
  const std::string common =
      " --obs-mode state --ppo.norm-obs --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2"
      " --ppo.update-epochs 1 --ppo.num-eval-envs 2 --ppo.num-eval-steps 8 --ppo.eval-freq 4 --ppo.threads 2"
      " --ppo.seed 3 --ppo.no-capture-video --json --runs-dir " +
      root.string();
  const RunResult s = Sim2real("train --ppo.total-timesteps 320 --ppo.exp-name n" + common);
  ASSERT_EQ(s.exit_code, 0) << s.out;
  const std::string ckpt = (root / "n/final_ckpt.pt").string();
  auto stats = [&] {
    const CheckpointMeta meta = ReadCheckpointMeta(ckpt);
    EXPECT_TRUE(meta.norm_obs);
    Agent agent = LoadAgent<Agent>(ckpt, meta);
    return agent->named_buffers();
  };
  auto b = stats();
  EXPECT_DOUBLE_EQ(b["obs_norm.count"].item<double>(), 320.0);
  // The SO-100's joints rest away from zero and move little in 40 steps: the statistics are the env's, not
  // the identity the normalizer starts from.
  EXPECT_GT(b["obs_norm.mean"].abs().max().item<float>(), 0.1f);
  EXPECT_LT(b["obs_norm.var"].min().item<float>(), 0.5f);
  const RunResult r =
      Sim2real("train --resume-training --checkpoint " + ckpt + " --ppo.total-timesteps 640" + common);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_DOUBLE_EQ(stats()["obs_norm.count"].item<double>(), 640.0);
  const RunResult e = Sim2real("eval --env_id=SO100GraspCube-v1 --checkpoint=" + ckpt +
                               " --num-episodes 2 --num-envs 2 --json");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_EQ(LastJsonLine(e.out)["episodes"], 2);
  const RunResult x = Sim2real("export-onnx --checkpoint " + ckpt + " --json");
  ASSERT_EQ(x.exit_code, 0) << x.out;
  EXPECT_TRUE(fs::exists(root / "n/final_ckpt.onnx")) << x.out;
  fs::remove_all(root);
}

TEST(TrainCliTest, GuideCommandParsesVerbatim) {
  const RunResult r = Sim2real(
      "train --algo ppo --env-id=\"SO100GraspCube-v1\" --env-kwargs-json-path=" +
      std::string(S2R_SOURCE_DIR) +
      "/env_config.json --ppo.seed=42 --ppo.num_envs=1024 --ppo.num-steps=16 --ppo.update_epochs=8 "
      "--ppo.num_minibatches=32 --ppo.total_timesteps=100_000_000 --ppo.gamma=0.9 --ppo.num_eval_envs=16 "
      "--ppo.num-eval-steps=64 --ppo.no-partial-reset --ppo.exp-name=\"ppo-SO100GraspCube-v1-rgb-42\" "
      "--ppo.track --ppo.wandb_project_name \"SO100-ManiSkill\" --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json c = LastJsonLine(r.out);
  const json& p = c["ppo"];
  EXPECT_EQ(c["obs_mode"], "rgb");  // the guide trains from pixels
  EXPECT_EQ(p["seed"], 42);
  EXPECT_EQ(p["num_envs"], 1024);
  EXPECT_EQ(p["num_steps"], 16);
  EXPECT_EQ(p["update_epochs"], 8);
  EXPECT_EQ(p["num_minibatches"], 32);
  EXPECT_EQ(p["total_timesteps"], 100000000);
  EXPECT_DOUBLE_EQ(p["gamma"].get<double>(), 0.9);
  EXPECT_EQ(p["num_eval_envs"], 16);
  EXPECT_EQ(p["num_eval_steps"], 64);
  EXPECT_EQ(p["partial_reset"], false);
  EXPECT_EQ(p["exp_name"], "ppo-SO100GraspCube-v1-rgb-42");
  EXPECT_EQ(p["track"], true);
  EXPECT_EQ(p["wandb_project_name"], "SO100-ManiSkill");
  EXPECT_EQ(p["batch_size"], 16384);
  EXPECT_EQ(p["minibatch_size"], 512);
  EXPECT_EQ(p["num_iterations"], 6103);
  // Defaults untouched by the command keep the reference's values.
  EXPECT_DOUBLE_EQ(p["gae_lambda"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(p["learning_rate"].get<double>(), 3e-4);
  EXPECT_DOUBLE_EQ(p["target_kl"].get<double>(), 0.2);
  EXPECT_TRUE(p["reconfiguration_freq"].is_null());
  const RunResult bad = Sim2real("train --ppo.num-envs=zero --dry-run");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--ppo.num-envs"), std::string::npos) << bad.out;
  const RunResult none = Sim2real("train --ppo.target-kl None --ppo.reconfiguration_freq=1 --dry-run");
  ASSERT_EQ(none.exit_code, 0) << none.out;
  EXPECT_TRUE(LastJsonLine(none.out)["ppo"]["target_kl"].is_null());
  EXPECT_EQ(LastJsonLine(none.out)["ppo"]["reconfiguration_freq"], 1);
}

// --ppo.cuda is on by default as in the reference: CUDA where libtorch has it, else the CPU; a user who
// asks for it on a CPU-only libtorch is told; --ppo.no-cuda keeps a GPU machine on the CPU.
TEST(TrainCliTest, CudaFlagSaysWhereItTrains) {
  const char* where = rl::CudaAvailable() ? "cuda" : "cpu";
  const RunResult def = Sim2real("train --obs-mode state --dry-run");
  ASSERT_EQ(def.exit_code, 0) << def.out;
  EXPECT_EQ(LastJsonLine(def.out)["ppo"]["cuda"], true);
  EXPECT_EQ(LastJsonLine(def.out)["device"], where);
  EXPECT_EQ(def.out.find("--ppo.cuda"), std::string::npos) << def.out;  // the default alone says nothing
  const RunResult off = Sim2real("train --obs-mode state --ppo.no-cuda --dry-run");
  ASSERT_EQ(off.exit_code, 0) << off.out;
  EXPECT_EQ(LastJsonLine(off.out)["ppo"]["cuda"], false);
  EXPECT_EQ(LastJsonLine(off.out)["device"], "cpu");
  const RunResult asked = Sim2real("train --obs-mode state --ppo.cuda --dry-run");
  ASSERT_EQ(asked.exit_code, 0) << asked.out;
  const json c = LastJsonLine(asked.out);
  EXPECT_EQ(c["ppo"]["cuda"], true);
  if (rl::CudaAvailable()) {
    EXPECT_EQ(c["device"], "cuda");
  } else {  // Debian's libtorch: the run goes on on the CPU, and the user is told why
    EXPECT_EQ(c["device"], "cpu");
    EXPECT_NE(asked.out.find("--ppo.cuda: this libtorch has no CUDA or sees no GPU; training on the CPU"),
              std::string::npos)
        << asked.out;
  }
}

// `eval --trace-csv`: a row per env and step with the named observation and action, and rewards that add up
// to the return the evaluation reported.
void ExpectTraceMatchesEval(const fs::path& path, int envs, int steps, double mean_return) {
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  for (size_t p = 0, q; p <= line.size(); p = q + 1) {
    q = line.find(',', p);
    if (q == std::string::npos) q = line.size();
    cols.push_back(line.substr(p, q - p));
  }
  ASSERT_EQ(cols.size(), 3u + 31u + 6u + 2u) << line;
  EXPECT_EQ(cols[0], "round");
  EXPECT_EQ(cols[3], "obs/qpos/shoulder_pan");
  EXPECT_EQ(cols[3 + 17], "obs/is_grasped");
  EXPECT_EQ(cols[3 + 31], "action/0");
  EXPECT_EQ(cols[cols.size() - 2], "reward");
  std::vector<double> ret(static_cast<size_t>(envs), 0.0);
  int rows = 0;
  while (std::getline(in, line)) {
    std::vector<double> v;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) v.push_back(std::stod(cell));
    ASSERT_EQ(v.size(), cols.size()) << line;
    EXPECT_EQ(v[1], rows / envs) << "step";
    EXPECT_EQ(v[2], rows % envs) << "env";
    for (size_t j = 3 + 31; j < 3 + 31 + 6; ++j) EXPECT_LE(std::abs(v[j]), 1.0) << "action in [-1, 1]";
    ret[static_cast<size_t>(v[2])] += v[v.size() - 2];
    ++rows;
  }
  EXPECT_EQ(rows, envs * steps);
  double mean = 0;
  for (double r : ret) mean += r / envs;
  EXPECT_NEAR(mean, mean_return, 1e-5 * steps);
}

// Hyperparameters that cannot train are refused before anything starts, naming the flag (exit 2).
TEST(TrainCliTest, BadHyperparametersAreRefusedNamingTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--ppo.learning-rate nan", "--ppo.learning-rate"},
      {"--ppo.learning-rate 0", "--ppo.learning-rate"},
      {"--ppo.gamma 1.5", "--ppo.gamma"},
      {"--ppo.gae-lambda -0.1", "--ppo.gae-lambda"},
      {"--ppo.clip-coef 0", "--ppo.clip-coef"},
      {"--ppo.ent-coef nan", "--ppo.ent-coef"},
      {"--ppo.vf-coef -1", "--ppo.vf-coef"},
      {"--ppo.max-grad-norm inf", "--ppo.max-grad-norm"},
      {"--ppo.target-kl inf", "--ppo.target-kl"},
      {"--ppo.target-kl x", "--ppo.target-kl"},
      {"--ppo.reward-scale 0", "--ppo.reward-scale"},
      {"--ppo.reconfiguration-freq 1.5", "--ppo.reconfiguration-freq"},
      {"--ppo.seed -1", "--ppo.seed"},
      {"--ppo.num-envs 4 --ppo.num-steps 10 --ppo.num-minibatches 32", "--ppo.num-minibatches"},
  };
  for (const auto& [flags, named] : cases) {
    const RunResult r = Sim2real("train --obs-mode state --dry-run " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags << "\n" << r.out;
    EXPECT_NE(r.out.find(named), std::string::npos) << flags << "\n" << r.out;
  }
  const RunResult mb = Sim2real(
      "train --obs-mode state --dry-run --ppo.num-envs 4 --ppo.num-steps 10 "
      "--ppo.num-minibatches 32");
  EXPECT_NE(mb.out.find("num_envs 4 x num_steps 10 = 40 steps in 32 minibatches leaves 1"), std::string::npos)
      << mb.out;
}

// A loss that becomes NaN stops the run with the iteration named, before the weights take it (exit 1), and
// the checkpoint written before it stays loadable. A reward scale of 1e38 overflows the float returns.
// A run whose envs and rollout storage cannot fit in this machine's memory is refused with the arithmetic
// before its folder is made (here: 200,000 rgb envs x 1,000 steps of 128x128 images, about 9 TiB).
TEST(TrainCliTest, RunThatCannotFitInMemoryIsRefusedBeforeAnythingIsWritten) {
  const fs::path root = fs::temp_directory_path() / ("s2r_memory_test_" + std::to_string(getpid()));
  const RunResult r = Sim2real(
      "train --obs-mode rgb --ppo.num-envs 200000 --ppo.num-steps 1000 "
      "--ppo.exp-name big --runs-dir " +
      root.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--ppo.num-envs 200000 x --ppo.num-steps 1000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MemAvailable"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root / "big"));
  fs::remove_all(root);
}

TEST(TrainCliTest, NonFiniteLossStopsTheRunAndKeepsTheLastCheckpoint) {
  const fs::path root = fs::temp_directory_path() / ("s2r_nan_test_" + std::to_string(getpid()));
  const RunResult r = Sim2real(
      "train --obs-mode state --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs "
      "1 "
      "--ppo.num-eval-envs 2 --ppo.num-eval-steps 8 --ppo.total-timesteps 640 --ppo.threads 2 "
      "--ppo.no-capture-video --ppo.reward-scale 1e38 --ppo.exp-name nan --runs-dir " +
      root.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("became NaN at iteration 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("value_loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ckpt_1.pt"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root / "nan/final_ckpt.pt"));
  EXPECT_EQ(ReadCheckpointMeta((root / "nan/ckpt_1.pt").string()).global_step, 0);
  fs::remove_all(root);
}

// The scalars TensorBoard shows for a run folder (tests/tools/read_tfevents.py applies its purge rule).
std::vector<json> TensorBoardView(const fs::path& run) {
  const std::string cmd = "python3 '" + std::string(S2R_SOURCE_DIR) +
                          "/tests/tools/read_tfevents.py' --run '" + run.string() + "'";
  std::vector<json> out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << text;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// Resume continues the run as it was: its settings come from the checkpoint, only safe ones may change
// (others need --resume-allow-changes), an older checkpoint's later logs are dropped so every step is logged
// once (metrics.csv and TensorBoard), and a resume with nothing left to train says so.
TEST(TrainCliTest, ResumeKeepsTheRunsSettingsAndLogsEachStepOnce) {
  const fs::path root = fs::temp_directory_path() / ("s2r_resume_test_" + std::to_string(getpid()));
  const std::string dir = " --runs-dir " + root.string();
  const RunResult first = Sim2real(
      "train --obs-mode state --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs "
      "1 "
      "--ppo.num-eval-envs 2 --ppo.num-eval-steps 8 --ppo.eval-freq 2 --ppo.threads 2 --ppo.seed 3 "
      "--ppo.total-timesteps 640 --ppo.no-capture-video --ppo.exp-name rs --json" +
      dir);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const std::string ckpt = (root / "rs/final_ckpt.pt").string();

  // Only the length given: the run's 8 envs, its folder and name stay (the default would be 512 envs).
  const RunResult more =
      Sim2real("train --resume-training --checkpoint " + ckpt + " --ppo.total-timesteps 1280 --json" + dir);
  ASSERT_EQ(more.exit_code, 0) << more.out;
  EXPECT_NE(more.out.find("changed: total_timesteps 640 -> 1280"), std::string::npos) << more.out;
  const json mj = LastJsonLine(more.out);
  EXPECT_EQ(mj["global_step"], 1280);
  EXPECT_EQ(mj["resumed_from"]["global_step"], 640);
  const json cfg = json::parse(std::ifstream(root / "rs/config.json"));
  EXPECT_EQ(cfg["ppo"]["num_envs"], 8);
  EXPECT_EQ(cfg["ppo"]["num_steps"], 8);
  EXPECT_EQ(cfg["ppo"]["exp_name"], "rs");
  EXPECT_EQ(cfg["obs_mode"], "state");

  // A change of meaning is refused unless allowed, naming the flag and both values.
  const RunResult refused = Sim2real("train --resume-training --checkpoint " + ckpt +
                                     " --ppo.total-timesteps 2000 --ppo.num-envs 16" + dir);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("--ppo.num-envs (8 -> 16)"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("--resume-allow-changes"), std::string::npos) << refused.out;

  // Nothing left to train.
  const RunResult done = Sim2real("train --resume-training --checkpoint " + ckpt + dir);
  EXPECT_EQ(done.exit_code, 2) << done.out;
  EXPECT_NE(done.out.find("nothing left to train"), std::string::npos) << done.out;

  // From an older checkpoint (ckpt_5: 4 iterations, step 256), with an allowed change: later rows are
  // dropped, the run goes on from 256 and each (step, tag) is logged once, in the CSV and in TensorBoard.
  const RunResult older =
      Sim2real("train --resume-training --checkpoint " + (root / "rs/ckpt_5.pt").string() +
               " --resume-allow-changes --ppo.learning-rate 1e-4 --ppo.total-timesteps 1280 --json" + dir);
  ASSERT_EQ(older.exit_code, 0) << older.out;
  EXPECT_NE(older.out.find("learning_rate 0.0003 -> 0.0001"), std::string::npos) << older.out;
  EXPECT_DOUBLE_EQ(json::parse(std::ifstream(root / "rs/config.json"))["ppo"]["learning_rate"].get<double>(),
                   1e-4);
  std::map<std::pair<int64_t, std::string>, int> seen;
  int64_t max_step = 0;
  for (const auto& row : metrics::ReadCsvLog((root / "rs/metrics.csv").string())) {
    if (row.tag.rfind("train/", 0) != 0) ++seen[{row.step, row.tag}];  // train/*: once per step with ends
    max_step = std::max(max_step, row.step);
  }
  EXPECT_EQ(max_step, 1280);
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key.second << " at step " << key.first;
  EXPECT_EQ(seen.count({256, "eval/success_once"}), 1u);
  EXPECT_EQ(seen.count({320, "charts/SPS"}), 1u);
  std::map<std::pair<int64_t, std::string>, int> tb;
  for (const json& e : TensorBoardView(root / "rs"))
    ++tb[{e["step"].get<int64_t>(), e["tag"].get<std::string>()}];
  EXPECT_EQ(tb[std::make_pair(int64_t{320}, std::string("charts/SPS"))], 1);
  EXPECT_EQ(tb[std::make_pair(int64_t{1280}, std::string("eval/success_once"))], 1);
  for (const auto& [key, count] : tb) {
    if (key.second.rfind("train/", 0) != 0) {
      EXPECT_EQ(count, 1) << key.second << " at step " << key.first;
    }
  }
  fs::remove_all(root);
}

// Ctrl+C during training: the run stops within seconds with exit 130, leaves the checkpoint of the step it
// reached (no temporary files) and says how to resume; the resume continues from that step.
TEST(TrainCliTest, SigintStopsWithACheckpointAtTheStepReachedAndResumes) {
  const fs::path root = fs::temp_directory_path() / ("s2r_sigint_test_" + std::to_string(getpid()));
  fs::create_directories(root);
  const fs::path log = root / "train.log";
  const std::vector<std::string> args = {"train",
                                         "--obs-mode",
                                         "state",
                                         "--ppo.num-envs",
                                         "8",
                                         "--ppo.num-steps",
                                         "8",
                                         "--ppo.num-minibatches",
                                         "2",
                                         "--ppo.num-eval-envs",
                                         "2",
                                         "--ppo.num-eval-steps",
                                         "8",
                                         "--ppo.eval-freq",
                                         "1000",
                                         "--ppo.threads",
                                         "2",
                                         "--ppo.total-timesteps",
                                         "100000000",
                                         "--ppo.no-capture-video",
                                         "--ppo.exp-name",
                                         "int",
                                         "--runs-dir",
                                         root.string()};
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(S2R_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(S2R_BINARY, argv.data());
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  // Wait for a few finished iterations (charts/SPS rows), then Ctrl+C.
  const fs::path csv = root / "int/metrics.csv";
  auto iterations_logged = [&] {
    int n = 0;
    if (!fs::exists(csv)) return 0;
    for (const auto& row : metrics::ReadCsvLog(csv.string())) n += row.tag == "charts/SPS";
    return n;
  };
  for (int i = 0; i < 600 && iterations_logged() < 3; ++i) usleep(50'000);
  ASSERT_GE(iterations_logged(), 3);
  kill(pid, SIGINT);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 300 && !exited; ++i) {  // within 15 s
    exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) usleep(50'000);
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "no exit within 15 s of SIGINT";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream in(log);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(out.find("stopped at env step"), std::string::npos) << out;
  EXPECT_NE(out.find("--resume-training --checkpoint"), std::string::npos) << out;
  // The checkpoint it names holds the steps of the iterations it finished; nothing half-written is left.
  std::string ckpt;
  int64_t newest = -1;
  for (const auto& e : fs::directory_iterator(root / "int")) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    EXPECT_NE(name[0], '.') << "temporary file left: " << name;
    if (e.path().extension() == ".pt") {
      const CheckpointMeta m = ReadCheckpointMeta(e.path().string());
      if (m.global_step > newest) newest = m.global_step, ckpt = e.path().string();
    }
  }
  ASSERT_FALSE(ckpt.empty());
  EXPECT_NE(out.find(ckpt), std::string::npos) << out;
  EXPECT_GE(newest, 3 * 64);
  EXPECT_EQ(newest % 64, 0);
  const RunResult r = Sim2real("train --resume-training --checkpoint " + ckpt + " --ppo.total-timesteps " +
                               std::to_string(newest + 128) + " --json --runs-dir " + root.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(LastJsonLine(r.out)["global_step"], newest + 128);
  fs::remove_all(root);
}

TEST(TrainCliTest, ShortRunsInBothObsModesWriteEveryArtefactEvaluateAndResume) {
  const fs::path root = fs::temp_directory_path() / ("s2r_train_test_" + std::to_string(getpid()));
  fs::create_directories(root);
  const std::string common =
      " --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 --ppo.num-eval-envs "
      "2"
      " --ppo.num-eval-steps 8 --ppo.eval-freq 2 --ppo.threads 2 --ppo.seed 3 --json --runs-dir " +
      root.string();
  // State observations: 10 iterations of 64 steps (every env finishes its first 64-step episode).
  const RunResult s = Sim2real(
      "train --obs-mode state --ppo.total-timesteps 640 --ppo.no-capture-video --ppo.exp-name st" + common);
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(LastJsonLine(s.out)["global_step"], 640);
  ExpectRunArtefacts(root / "st", false, true);
  EXPECT_EQ(ReadCheckpointMeta((root / "st/final_ckpt.pt").string()).global_step, 640);

  // The checkpoint evaluates in simulation.
  const RunResult e =
      Sim2real("eval --env_id=SO100GraspCube-v1 --checkpoint=" + (root / "st/final_ckpt.pt").string() +
               " --num-episodes 2 --num-envs 2 --json --trace-csv " + (root / "traces/trace.csv").string());
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const json ej = LastJsonLine(e.out);
  EXPECT_EQ(ej["episodes"], 2);
  EXPECT_EQ(ej["obs_mode"], "state");
  EXPECT_GE(ej["success_once"].get<double>(), 0.0);
  EXPECT_LE(ej["success_once"].get<double>(), 1.0);
  EXPECT_EQ(ej["episode_len"], 64);
  ExpectTraceMatchesEval(root / "traces/trace.csv", 2, 64, ej["return"].get<double>());

  // Resume continues the step counter, the same logs and the running time totals.
  auto total_at = [&](int64_t step) {
    double v = -1;
    for (const auto& row : metrics::ReadCsvLog((root / "st/metrics.csv").string()))
      if (row.tag == "time/total_rollout+update_time" && row.step == step) v = row.value;
    return v;
  };
  const double first_total = total_at(640);
  ASSERT_GT(first_total, 0);
  const RunResult r = Sim2real("train --obs-mode state --resume-training --checkpoint " +
                               (root / "st/final_ckpt.pt").string() +
                               " --ppo.total-timesteps 1280 --ppo.no-capture-video" + common);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(LastJsonLine(r.out)["global_step"], 1280);
  EXPECT_EQ(ReadCheckpointMeta((root / "st/final_ckpt.pt").string()).global_step, 1280);
  int64_t max_step = 0;
  for (const auto& row : metrics::ReadCsvLog((root / "st/metrics.csv").string()))
    max_step = std::max(max_step, row.step);
  EXPECT_EQ(max_step, 1280);
  // Its first iteration (step 704) already carries the first run's 10 iterations of time.
  EXPECT_GT(total_at(704), first_total) << "the resumed run adds to the first run's time totals";

  // A new run does not write into an existing run's folder.
  const RunResult again =
      Sim2real("train --obs-mode state --ppo.total-timesteps 640 --ppo.exp-name st" + common);
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("already holds a run"), std::string::npos) << again.out;
  EXPECT_EQ(ReadCheckpointMeta((root / "st/final_ckpt.pt").string()).global_step, 1280);

  // A checkpoint from another obs mode is refused with a message.
  const RunResult bad = Sim2real("train --obs-mode rgb --resume-training --checkpoint " +
                                 (root / "st/final_ckpt.pt").string() + common);
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("obs mode state"), std::string::npos) << bad.out;

  // Pixels at 40x40 (NatureCNN needs at least 36), with an evaluation video.
  const fs::path env_json = root / "small_camera.json";
  std::ofstream(env_json) << R"({"sensor_configs": {"width": 40, "height": 40}})";
  const RunResult p = Sim2real("train --obs-mode rgb --env-kwargs-json-path " + env_json.string() +
                               " --ppo.total-timesteps 128 --ppo.exp-name rgb" + common);
  ASSERT_EQ(p.exit_code, 0) << p.out;
  ExpectRunArtefacts(root / "rgb", true, false);
  const CheckpointMeta m = ReadCheckpointMeta((root / "rgb/final_ckpt.pt").string());
  EXPECT_EQ(m.obs_mode, "rgb");
  EXPECT_EQ(m.image_height, 40);
  EXPECT_EQ(m.obs_dim, 17);
  fs::remove_all(root);
}

}  // namespace
}  // namespace s2r::rl
