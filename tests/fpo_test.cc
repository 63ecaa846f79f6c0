// FPO: the flow policy's CFM loss and Euler sampler against hand computations, the FPO ratio and its
// log-ratio clamp, checkpoints, flag parsing of the FPO guide's command, and a short end-to-end run.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/csv_log.h"
#include "rl/checkpoint.h"
#include "rl/flow_agent.h"
#include "rl/fpo_loss.h"
#include "rl/policy.h"
#include "train_cli.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace s2r::rl {
namespace {

using s2r::testing::ExpectRunArtefacts;
using s2r::testing::LastJsonLine;
using s2r::testing::Sim2real;

// A state-mode flow agent whose velocity field is the constant `c` (every weight 0, last bias c).
FlowAgent ConstantField(int obs_dim, int action_dim, const std::vector<float>& c) {
  FlowAgent agent(AgentSpec{obs_dim, action_dim, 0, 0, true});
  torch::NoGradGuard no_grad;
  for (auto& p : agent->named_parameters())
    if (p.key().rfind("velocity.", 0) == 0) p.value().zero_();
  auto bias = agent->named_parameters()["velocity.6.bias"];
  for (int j = 0; j < action_dim; ++j) bias[j] = c[static_cast<size_t>(j)];
  return agent;
}

TEST(FlowAgentTest, CfmLossOfAConstantFieldByHand) {
  // One observation, A = 2, S = 2 pairs. v = c = (0.5, -1).
  FlowAgent agent = ConstantField(3, 2, {0.5f, -1.0f});
  const auto f = torch::tensor({{0.1f, 0.2f, 0.3f}});
  const auto a = torch::tensor({{0.4f, -0.2f}});
  const auto eps = torch::tensor({{{1.0f, 0.0f}, {-0.5f, 2.0f}}});  // [1, 2, 2]
  const auto tau = torch::tensor({{{0.25f}, {0.75f}}});             // [1, 2, 1]
  // u = a - eps: pair 0 (-0.6, -0.2), pair 1 (0.9, -2.2). (v - u)^2 averaged over A:
  //   pair 0: ((0.5 + 0.6)^2 + (-1 + 0.2)^2) / 2 = (1.21 + 0.64) / 2 = 0.925
  //   pair 1: ((0.5 - 0.9)^2 + (-1 + 2.2)^2) / 2 = (0.16 + 1.44) / 2 = 0.8
  const auto lv = agent->CfmLoss(f, a, eps, tau, CfmTarget::kVelocity);
  ASSERT_EQ(lv.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_NEAR(lv[0][0].item<float>(), 0.925f, 1e-6);
  EXPECT_NEAR(lv[0][1].item<float>(), 0.8f, 1e-6);
  // eps-MSE = tau^2 (v - u)^2: 0.0625 * 0.925 and 0.5625 * 0.8.
  const auto ln = agent->CfmLoss(f, a, eps, tau, CfmTarget::kNoise);
  EXPECT_NEAR(ln[0][0].item<float>(), 0.0625f * 0.925f, 1e-6);
  EXPECT_NEAR(ln[0][1].item<float>(), 0.5625f * 0.8f, 1e-6);
}

// The velocity MLP written out in doubles from the module's own weights: input [f, x, emb(t)].
std::vector<double> ReferenceVelocity(FlowAgent& agent, const std::vector<double>& input) {
  auto params = agent->named_parameters();
  std::vector<double> h = input;
  for (int layer : {0, 2, 4, 6}) {
    const auto w = params["velocity." + std::to_string(layer) + ".weight"].to(torch::kFloat64);
    const auto b = params["velocity." + std::to_string(layer) + ".bias"].to(torch::kFloat64);
    std::vector<double> out(static_cast<size_t>(w.size(0)));
    for (int64_t i = 0; i < w.size(0); ++i) {
      double s = b[i].item<double>();
      for (int64_t j = 0; j < w.size(1); ++j) s += w[i][j].item<double>() * h[static_cast<size_t>(j)];
      out[static_cast<size_t>(i)] = layer == 6 ? s : std::tanh(s);
    }
    h = out;
  }
  return h;
}

TEST(FlowAgentTest, CfmLossMatchesAnIndependentForwardOfTheVelocityNet) {
  torch::manual_seed(5);
  FlowAgent agent(AgentSpec{2, 2, 0, 0, true});
  {  // a visible velocity: scale up the near-zero output layer
    torch::NoGradGuard no_grad;
    agent->named_parameters()["velocity.6.weight"].mul_(100.0);
  }
  const std::vector<double> f = {0.3, -0.7}, a = {0.2, 0.9}, eps = {-1.1, 0.4};
  const double t = 0.6;
  std::vector<double> x = {t * a[0] + (1 - t) * eps[0], t * a[1] + (1 - t) * eps[1]};
  std::vector<double> in = {f[0], f[1], x[0], x[1]};
  for (int j = 0; j < 4; ++j) in.push_back(std::cos(t * (1 << j))), in.push_back(std::sin(t * (1 << j)));
  const std::vector<double> v = ReferenceVelocity(agent, in);
  const double want = ((v[0] - (a[0] - eps[0])) * (v[0] - (a[0] - eps[0])) +
                       (v[1] - (a[1] - eps[1])) * (v[1] - (a[1] - eps[1]))) /
                      2;
  const auto got =
      agent->CfmLoss(torch::tensor({{0.3f, -0.7f}}), torch::tensor({{0.2f, 0.9f}}),
                     torch::tensor({{{-1.1f, 0.4f}}}), torch::tensor({{{0.6f}}}), CfmTarget::kVelocity);
  EXPECT_NEAR(got[0][0].item<double>(), want, 1e-5 * std::max(1.0, want));
  EXPECT_GT(want, 1e-3);  // the check is not trivially zero
}

TEST(FlowAgentTest, EulerSamplerFollowsTheClosedFormFlowOfAConstantField) {
  // dx/dt = c from x0 over t in [0, 1]: x(1) = x0 + c for any number of Euler steps.
  FlowAgent agent = ConstantField(4, 3, {0.3f, -0.6f, 1.2f});
  const auto f = torch::randn({5, 4});
  const auto x0 = torch::randn({5, 3});
  const auto c = torch::tensor({0.3f, -0.6f, 1.2f});
  for (int k : {1, 6, 10}) {
    torch::NoGradGuard no_grad;
    const auto x1 = agent->Sample(f, x0, k);
    EXPECT_TRUE(torch::allclose(x1, x0 + c, 1e-5, 1e-6)) << "K = " << k;
  }
  // Zero noise gives exactly c: the deterministic evaluation action.
  EXPECT_TRUE(torch::allclose(agent->Sample(f, torch::zeros({5, 3}), 6), c.expand({5, 3}), 1e-5, 1e-6));
}

// ------------------------------------------------------------------ the FPO ratio

TEST(FpoLossTest, EqualLossesGiveRatioOneAndTheSurrogateIsMinusTheMeanAdvantage) {
  const auto l = torch::rand({6, 4});
  const auto adv = torch::tensor({1.0f, -2.0f, 0.5f, 0.0f, 3.0f, -1.0f});
  const auto v = torch::zeros({6});
  for (bool per_sample : {false, true}) {
    FpoLossOptions o;
    o.per_sample_ratio = per_sample;
    const FpoLossTerms t = FpoLoss(l, l.clone(), adv, v, v, v, o);
    EXPECT_EQ(t.ratio_min.item<float>(), 1.0f);
    EXPECT_EQ(t.ratio_max.item<float>(), 1.0f);
    EXPECT_EQ(t.approx_kl.item<float>(), 0.0f);
    EXPECT_NEAR(t.policy_loss.item<float>(), -adv.mean().item<float>(), 1e-6);
  }
}

TEST(FpoLossTest, MeanAndPerSampleRatiosByHand) {
  // One action, two pairs: d = L_old - L_new = (0.2, -0.4); c = none.
  const auto l_old = torch::tensor({{1.0f, 1.0f}});
  const auto l_new = torch::tensor({{0.8f, 1.4f}});
  const auto adv = torch::tensor({2.0f});
  const auto v = torch::zeros({1});
  FpoLossOptions o;
  o.clip_coef = 0.5;
  o.logratio_clip = std::nullopt;
  // Mean ratio: r = exp(-0.1); inside the clip range: loss = -A r.
  FpoLossTerms t = FpoLoss(l_new, l_old, adv, v, v, v, o);
  EXPECT_NEAR(t.ratio_mean.item<double>(), std::exp(-0.1), 1e-6);
  EXPECT_NEAR(t.policy_loss.item<double>(), -2.0 * std::exp(-0.1), 1e-6);
  EXPECT_NEAR(t.approx_kl.item<double>(), (std::exp(-0.1) - 1) + 0.1, 1e-6);
  // Per-sample: r = (exp(0.2), exp(-0.4)); loss = mean(max(-A r, -A clip(r, 0.5, 1.5))) per pair.
  o.per_sample_ratio = true;
  t = FpoLoss(l_new, l_old, adv, v, v, v, o);
  EXPECT_NEAR(t.policy_loss.item<double>(), -(2.0 * std::exp(0.2) + 2.0 * std::exp(-0.4)) / 2, 1e-6);
}

TEST(FpoLossTest, CfmCoefAddsTheMeanNewCfmLossToTheLoss) {
  const auto l_old = torch::tensor({{1.0f, 2.0f}, {0.5f, 1.5f}});
  const auto l_new = torch::tensor({{1.2f, 1.8f}, {0.7f, 1.1f}});
  const auto adv = torch::tensor({1.0f, -1.0f});
  const auto v = torch::zeros({2});
  FpoLossOptions o;
  const FpoLossTerms base = FpoLoss(l_new, l_old, adv, v, v, v, o);
  o.cfm_coef = 0.25;
  const FpoLossTerms t = FpoLoss(l_new, l_old, adv, v, v, v, o);
  EXPECT_NEAR(t.loss.item<double>() - base.loss.item<double>(), 0.25 * (1.2 + 1.8 + 0.7 + 1.1) / 4, 1e-6);
  EXPECT_EQ(t.policy_loss.item<double>(), base.policy_loss.item<double>());
}

TEST(FpoLossTest, AspoPullsTheRatioOfNegativeAdvantagesBackWherePpoClipIsFlat) {
  // Two actions with A = (+1, -2); one pair each; r = exp(L_old - L_new) = (exp(0.3), exp(-0.3)), both
  // outside clip_coef 0.15, where PPO's clipped surrogate is flat.
  const auto l_old = torch::tensor({{1.0f}, {1.0f}});
  const auto adv = torch::tensor({1.0f, -2.0f});
  const auto v = torch::zeros({2});
  FpoLossOptions o;
  o.clip_coef = 0.15;
  o.logratio_clip = std::nullopt;
  auto grad_of = [&](bool aspo, double* loss) {
    auto l_new = torch::tensor({{0.7f}, {1.3f}}).requires_grad_(true);
    o.aspo = aspo;
    const FpoLossTerms t = FpoLoss(l_new, l_old, adv, v, v, v, o);
    *loss = t.policy_loss.item<double>();
    t.policy_loss.backward();
    return l_new.grad().clone();
  };
  double ppo = 0, aspo = 0;
  const auto g_ppo = grad_of(false, &ppo);
  const auto g_aspo = grad_of(true, &aspo);
  const double r1 = std::exp(-0.3);
  // PPO: -min(r A, clip(r) A) per action, both clipped: -(1.15 * 1) and -(0.85 * -2); no gradient.
  EXPECT_NEAR(ppo, (-1.15 + 1.7) / 2, 1e-6);
  EXPECT_EQ(g_ppo[0][0].item<float>(), 0.0f);
  EXPECT_EQ(g_ppo[1][0].item<float>(), 0.0f);
  // ASPO: the positive action is PPO's; the negative one -(r A - |A| / (2 eps) (r - 1)^2).
  const double spo = -(r1 * -2.0 - 2.0 / (2 * 0.15) * (r1 - 1) * (r1 - 1));
  EXPECT_NEAR(aspo, (-1.15 + spo) / 2, 1e-5);
  EXPECT_EQ(g_aspo[0][0].item<float>(), 0.0f);
  // d loss / d L_new = d loss / d r * (-r): SPO's term pushes r up towards 1, so L_new's gradient is positive
  // (a gradient step lowers L_new, raising r).
  const double dr = -(-2.0 - 2.0 / 0.15 * (r1 - 1));
  EXPECT_NEAR(g_aspo[1][0].item<double>(), dr * -r1 / 2, 1e-5);
  EXPECT_GT(g_aspo[1][0].item<double>(), 0.0);
}

TEST(FpoLossTest, LogratioClampZeroesTheGradientOfClampedPairs) {
  // Pairs 0 and 2 differ by more than c = 0.5; pairs 1 and 3 do not.
  const auto l_old = torch::tensor({{2.0f, 1.0f, 0.0f, 0.5f}});
  auto l_new = torch::tensor({{1.0f, 1.2f, 0.9f, 0.6f}}).requires_grad_(true);
  const auto adv = torch::tensor({1.0f});
  const auto v = torch::zeros({1});
  FpoLossOptions o;
  o.clip_coef = 10.0;  // keep the PPO clip out of the way
  o.logratio_clip = 0.5;
  const FpoLossTerms t = FpoLoss(l_new, l_old, adv, v, v, v, o);
  t.loss.backward();
  const auto g = l_new.grad();
  EXPECT_EQ(g[0][0].item<float>(), 0.0f);
  EXPECT_EQ(g[0][2].item<float>(), 0.0f);
  EXPECT_NE(g[0][1].item<float>(), 0.0f);
  EXPECT_NE(g[0][3].item<float>(), 0.0f);
  EXPECT_NEAR(t.logratio_clipfrac.item<float>(), 0.5f, 1e-6);
}

// ------------------------------------------------------------------ checkpoints

TEST(FpoCheckpointTest, LoadPolicyRecognisesFpoAndReproducesTheZeroNoiseFlow) {
  const fs::path dir = fs::temp_directory_path() / ("s2r_fpo_ckpt_" + std::to_string(getpid()));
  fs::create_directories(dir);
  torch::manual_seed(2);
  FlowAgent agent(AgentSpec{31, 6, 0, 0, true});
  {
    torch::NoGradGuard no_grad;
    agent->named_parameters()["velocity.6.weight"].mul_(50.0);
  }
  torch::optim::Adam opt(agent->parameters(), 1e-3);
  CheckpointMeta meta;
  meta.algo = "fpo", meta.env_id = "SO100GraspCube-v1", meta.obs_mode = "state";
  meta.obs_dim = 31, meta.action_dim = 6, meta.fpo_num_steps = 6;
  const std::string path = (dir / "ckpt.pt").string();
  SaveCheckpoint(path, meta, *agent, opt);
  auto policy = LoadPolicy(path);
  EXPECT_EQ(policy->meta().algo, "fpo");
  EXPECT_EQ(policy->meta().fpo_num_steps, 6);
  const auto obs = torch::randn({4, 31});
  std::vector<float> act(4 * 6), act2(4 * 6);
  policy->Act(obs.data_ptr<float>(), nullptr, 4, true, act.data());
  torch::NoGradGuard no_grad;
  const auto want = agent->Sample(obs, torch::zeros({4, 6}), 6).clamp(-1, 1);
  for (int i = 0; i < 24; ++i) EXPECT_FLOAT_EQ(act[static_cast<size_t>(i)], want.view({-1})[i].item<float>());
  // Sampled actions start from noise: they differ from the zero-noise flow.
  policy->Act(obs.data_ptr<float>(), nullptr, 4, false, act2.data());
  EXPECT_NE(act, act2);
  // Trained with --ppo.fpo-action-squash=tanh: the policy acts with tanh of the raw sample, not its clip.
  meta.fpo_action_squash = "tanh";
  const std::string tanh_path = (dir / "ckpt_tanh.pt").string();
  SaveCheckpoint(tanh_path, meta, *agent, opt);
  auto squashed = LoadPolicy(tanh_path);
  EXPECT_EQ(squashed->meta().fpo_action_squash, "tanh");
  // A sampled action (same noise: the generator reseeded) so that some raw values lie outside [-1, 1].
  torch::manual_seed(7);
  squashed->Act(obs.data_ptr<float>(), nullptr, 4, false, act2.data());
  torch::manual_seed(7);
  const auto x0 = torch::randn({4, 6});
  const auto raw = agent->Sample(obs, x0, 6).view({-1});
  ASSERT_GT(raw.abs().max().item<float>(), 1.2f);  // there tanh and clip differ
  for (int i = 0; i < 24; ++i)
    EXPECT_NEAR(act2[static_cast<size_t>(i)], std::tanh(raw[i].item<float>()), 1e-6);
  EXPECT_EQ(ReadCheckpointMeta(path).fpo_action_squash, "clip");
  fs::remove_all(dir);
}

// ------------------------------------------------------------------ the binary, end to end

TEST(FpoCliTest, GuideCommandParsesVerbatim) {
  const auto r = Sim2real(
      "train --algo fpo --env-id=\"SO100GraspCube-v1\" --env-kwargs-json-path=" +
      std::string(S2R_SOURCE_DIR) +
      "/env_config.json --ppo.seed=3 --ppo.num_envs=256 --ppo.num-steps=32 --ppo.update_epochs=2 "
      "--ppo.num_minibatches=8 --ppo.total_timesteps=50_000_000 --ppo.gamma=0.95 --ppo.gae-lambda=0.95 "
      "--ppo.learning-rate=1e-5 --ppo.reward-scale=1.0 --ppo.num_eval_envs=16 --ppo.num-eval-steps=64 "
      "--ppo.no-partial-reset --ppo.fpo-num-steps=6 --ppo.fpo-num-train-samples=8 "
      "--ppo.fpo-logratio-clip=0.5 "
      "--ppo.clip-coef=0.15 --ppo.max-grad-norm=2.0 --ppo.target-kl=0.005 --ppo.vf-coef=1.0 "
      "--ppo.ent-coef=0.00 "
      "--ppo.exp-name=\"fpo-SO100GraspCube-v1-3\" --ppo.track --ppo.wandb_project_name \"SO100-ManiSkill\" "
      "--dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json c = LastJsonLine(r.out);
  const json& p = c["ppo"];
  EXPECT_EQ(c["algo"], "fpo");
  EXPECT_EQ(p["seed"], 3);
  EXPECT_EQ(p["num_envs"], 256);
  EXPECT_EQ(p["num_steps"], 32);
  EXPECT_EQ(p["update_epochs"], 2);
  EXPECT_EQ(p["num_minibatches"], 8);
  EXPECT_EQ(p["total_timesteps"], 50000000);
  EXPECT_DOUBLE_EQ(p["gamma"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ(p["gae_lambda"].get<double>(), 0.95);
  EXPECT_DOUBLE_EQ(p["learning_rate"].get<double>(), 1e-5);
  EXPECT_DOUBLE_EQ(p["reward_scale"].get<double>(), 1.0);
  EXPECT_EQ(p["num_eval_envs"], 16);
  EXPECT_EQ(p["num_eval_steps"], 64);
  EXPECT_EQ(p["partial_reset"], false);
  EXPECT_EQ(p["fpo_num_steps"], 6);
  EXPECT_EQ(p["fpo_num_train_samples"], 8);
  EXPECT_DOUBLE_EQ(p["fpo_logratio_clip"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(p["clip_coef"].get<double>(), 0.15);
  EXPECT_DOUBLE_EQ(p["max_grad_norm"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(p["target_kl"].get<double>(), 0.005);
  EXPECT_DOUBLE_EQ(p["vf_coef"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(p["ent_coef"].get<double>(), 0.0);
  EXPECT_EQ(p["exp_name"], "fpo-SO100GraspCube-v1-3");
  EXPECT_EQ(p["wandb_project_name"], "SO100-ManiSkill");
  EXPECT_EQ(p["batch_size"], 8192);
  EXPECT_EQ(p["minibatch_size"], 1024);
  EXPECT_EQ(p["fpo_zero_noise_eval"], true);
  EXPECT_EQ(p["fpo_per_sample_ratio"], false);
  EXPECT_EQ(p["fpo_aspo"], false);
  EXPECT_EQ(p["fpo_store_clipped"], false);
  EXPECT_DOUBLE_EQ(p["fpo_cfm_coef"].get<double>(), 0.0);
  const auto stored =
      Sim2real("train --algo fpo --ppo.fpo-store-clipped --ppo.fpo-action-squash=tanh --dry-run");
  EXPECT_NE(stored.exit_code, 0);
  EXPECT_NE(stored.out.find("--ppo.fpo-store-clipped"), std::string::npos) << stored.out;
  EXPECT_EQ(p["fpo_action_squash"], "clip");  // the guide's env receives the raw sample clipped
  const auto squash = Sim2real("train --algo fpo --ppo.fpo-action-squash=sigmoid --dry-run");
  EXPECT_NE(squash.exit_code, 0);
  EXPECT_NE(squash.out.find("--ppo.fpo-action-squash"), std::string::npos) << squash.out;
  const auto bad = Sim2real("train --algo fpo --ppo.fpo-num-steps=0 --dry-run");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--ppo.fpo-num-steps"), std::string::npos) << bad.out;
  const auto none = Sim2real(
      "train --algo fpo --ppo.fpo-logratio-clip None --ppo.fpo-per-sample-ratio --ppo.fpo-aspo --dry-run");
  ASSERT_EQ(none.exit_code, 0) << none.out;
  EXPECT_TRUE(LastJsonLine(none.out)["ppo"]["fpo_logratio_clip"].is_null());
  EXPECT_EQ(LastJsonLine(none.out)["ppo"]["fpo_per_sample_ratio"], true);
  EXPECT_EQ(LastJsonLine(none.out)["ppo"]["fpo_aspo"], true);
  const auto clipped = Sim2real("train --algo fpo --ppo.fpo-store-clipped --ppo.fpo-cfm-coef 0.25 --dry-run");
  ASSERT_EQ(clipped.exit_code, 0) << clipped.out;
  EXPECT_EQ(LastJsonLine(clipped.out)["ppo"]["fpo_store_clipped"], true);
  EXPECT_DOUBLE_EQ(LastJsonLine(clipped.out)["ppo"]["fpo_cfm_coef"].get<double>(), 0.25);
  const auto algo = Sim2real("train --algo sac --dry-run");
  EXPECT_NE(algo.exit_code, 0);
  EXPECT_NE(algo.out.find("--algo"), std::string::npos) << algo.out;
}

TEST(FpoCliTest, ShortRunWritesEveryArtefactKeepsTheFirstRatioAtOneEvaluatesAndResumes) {
  const fs::path root = fs::temp_directory_path() / ("s2r_fpo_train_" + std::to_string(getpid()));
  fs::create_directories(root);
  const std::string common =
      " --algo fpo --obs-mode state --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2 "
      "--ppo.update-epochs 2 --ppo.num-eval-envs 2 --ppo.num-eval-steps 8 --ppo.eval-freq 2 --ppo.threads 2 "
      "--ppo.seed 3 --ppo.fpo-num-steps 4 --ppo.fpo-num-train-samples 3 --ppo.target-kl None --json "
      "--runs-dir " +
      root.string();
  const auto s = Sim2real("train --ppo.total-timesteps 640 --ppo.exp-name fpo" + common);
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(LastJsonLine(s.out)["global_step"], 640);
  ExpectRunArtefacts(
      root / "fpo", true, true,
      {"losses/fpo_cfm_loss", "losses/fpo_ratio_mean", "losses/fpo_ratio_min", "losses/fpo_ratio_max",
       "losses/fpo_logratio_clipfrac", "losses/fpo_first_ratio_deviation"});
  // The ratio is exactly 1 on the first minibatch of every update, and not on later ones (the update
  // moved the policy).
  int first = 0;
  double later_dev = 0;
  for (const auto& row : metrics::ReadCsvLog((root / "fpo/metrics.csv").string())) {
    if (row.tag == "losses/fpo_first_ratio_deviation") {
      EXPECT_EQ(row.value, 0.0) << "step " << row.step;
      ++first;
    }
    if (row.tag == "losses/fpo_ratio_max") later_dev = std::max(later_dev, std::abs(row.value - 1.0));
  }
  EXPECT_EQ(first, 10);
  EXPECT_GT(later_dev, 0.0);
  const CheckpointMeta m = ReadCheckpointMeta((root / "fpo/final_ckpt.pt").string());
  EXPECT_EQ(m.algo, "fpo");
  EXPECT_EQ(m.fpo_num_steps, 4);

  // `eval` recognises the FPO checkpoint by itself.
  const auto e =
      Sim2real("eval --env_id=SO100GraspCube-v1 --checkpoint=" + (root / "fpo/final_ckpt.pt").string() +
               " --num-episodes 2 --num-envs 2 --json");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_EQ(LastJsonLine(e.out)["algo"], "fpo");
  EXPECT_EQ(LastJsonLine(e.out)["episodes"], 2);

  // Resume continues the step counter; PPO refuses to resume an FPO checkpoint.
  // It resumes with the remedies' flags on (stored clipped actions, per-sample ratios, ASPO, self-fit;
  // changes of the run, so allowed explicitly): the first ratio of every update must still be exactly 1.
  const auto r = Sim2real(
      "train --resume-training --checkpoint " + (root / "fpo/final_ckpt.pt").string() +
      " --resume-allow-changes --ppo.total-timesteps 1280 --ppo.fpo-store-clipped --ppo.fpo-per-sample-ratio "
      "--ppo.fpo-aspo --ppo.fpo-cfm-coef 0.1" +
      common);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  int resumed_first = 0;
  for (const auto& row : metrics::ReadCsvLog((root / "fpo/metrics.csv").string()))
    if (row.tag == "losses/fpo_first_ratio_deviation") {
      EXPECT_EQ(row.value, 0.0) << "step " << row.step;
      ++resumed_first;
    }
  EXPECT_EQ(resumed_first, 20);
  EXPECT_EQ(LastJsonLine(r.out)["global_step"], 1280);
  EXPECT_EQ(ReadCheckpointMeta((root / "fpo/final_ckpt.pt").string()).global_step, 1280);
  const auto bad = Sim2real("train --algo ppo --obs-mode state --resume-training --checkpoint " +
                            (root / "fpo/final_ckpt.pt").string() + " --runs-dir " + root.string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("was trained with --algo fpo"), std::string::npos) << bad.out;
  // Resuming with another action squash would change what the policy's samples mean: refused, naming the
  // flag.
  const auto squash =
      Sim2real("train --resume-training --checkpoint " + (root / "fpo/final_ckpt.pt").string() +
               " --ppo.total-timesteps 1920 --ppo.fpo-action-squash=tanh" + common);
  EXPECT_NE(squash.exit_code, 0);
  EXPECT_NE(squash.out.find("--ppo.fpo-action-squash"), std::string::npos) << squash.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace s2r::rl
