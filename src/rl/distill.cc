// DAgger distillation, top to bottom: load the teacher, build the student (the PPO rgb agent), then per
// iteration: evaluate the student alone (every eval_freq), collect num_steps x num_envs states driven by a
// beta-mix of teacher and student actions, each labelled with the teacher's clipped deterministic action,
// keep the last buffer_size batches, and regress the student's mean action on them for `epochs` passes.
// The run folder, logs, evaluations and checkpoints are TrainSession's (shared with PPO and FPO).
#include "rl/distill.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"
#include "rl/agent.h"
#include "rl/checkpoint.h"
#include "rl/train_session.h"

namespace s2r::rl {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// DrQ's random shift: pad by `pad` pixels (edge replicated) and crop back at a random offset per image.
// image [B, H, W, 3] uint8 -> [B, H, W, 3] uint8.
torch::Tensor RandomShift(const torch::Tensor& image, int pad) {
  namespace F = torch::nn::functional;
  const int64_t B = image.size(0), H = image.size(1), W = image.size(2);
  auto x = image.permute({0, 3, 1, 2}).to(torch::kFloat32);
  x = F::pad(x, F::PadFuncOptions({pad, pad, pad, pad}).mode(torch::kReplicate));
  const auto off = torch::randint(0, 2 * pad + 1, {B, 2}, torch::kLong).to(torch::kCPU);
  const int64_t* o = off.data_ptr<int64_t>();
  std::vector<torch::Tensor> crops;
  crops.reserve(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) crops.push_back(x[b].narrow(1, o[2 * b], H).narrow(2, o[2 * b + 1], W));
  return torch::stack(crops).permute({0, 2, 3, 1}).round().to(torch::kUInt8).contiguous();
}
}  // namespace

void DistillConfig::Validate() const {
  auto require = [](bool ok, const std::string& flag, const std::string& expected) {
    if (!ok) throw ConfigError("--distill." + flag + ": expected " + expected);
  };
  require(std::isfinite(beta_start) && beta_start >= 0 && beta_start <= 1, "beta-start",
          "a number in [0, 1]");
  require(std::isfinite(beta_decay) && beta_decay >= 0 && beta_decay <= 1, "beta-decay",
          "a number in [0, 1]");
  require(beta_decay_steps >= 0, "beta-decay-steps", "at least 0 (0: use --distill.beta-decay)");
  require(buffer_size >= 1, "buffer-size", "at least 1 batch");
  require(epochs >= 1, "epochs", "at least 1");
  require(std::isfinite(huber_delta) && huber_delta > 0, "huber-delta", "a positive number");
  require(augment_shift >= 0 && augment_shift <= 16, "augment-shift", "0 (off) to 16 pixels");
}

double DistillBeta(const DistillConfig& cfg, int64_t iteration, int64_t env_step) {
  if (cfg.beta_decay_steps > 0)
    return cfg.beta_start *
           std::max(0.0, 1.0 - static_cast<double>(env_step) / static_cast<double>(cfg.beta_decay_steps));
  return cfg.beta_start * std::pow(cfg.beta_decay, static_cast<double>(iteration - 1));
}

std::vector<uint8_t> TeacherActs(int n, double beta, std::mt19937_64& rng) {
  std::vector<uint8_t> out(static_cast<size_t>(n), 0);
  if (beta <= 0) return out;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (auto& v : out) v = (beta >= 1 || u(rng) < beta) ? 1 : 0;
  return out;
}

void TeacherLabels(Policy& teacher, const float* privileged, int n, float* labels) {
  teacher.Act(privileged, nullptr, n, /*deterministic=*/true, labels);  // clipped to [-1, 1] by Act
}

TrainOutcome TrainDistill(const PpoConfig& cfg, const DistillConfig& dcfg, const std::string& config_json,
                          const std::string& run_dir, EnvBatch& envs, EnvBatch& eval_envs) {
  // ---------------------------------------------------------------- setup
  dcfg.Validate();
  std::unique_ptr<Policy> teacher = LoadPolicy(dcfg.teacher);
  const int P = envs.privileged_obs_dim();
  if (P == 0 || envs.privileged_obs() == nullptr)
    throw ConfigError("--algo distill: the training envs carry no privileged observation for the teacher");
  if (teacher->meta().obs_dim != P || teacher->meta().action_dim != envs.action_dim())
    throw ConfigError("--teacher " + dcfg.teacher + ": observes " + std::to_string(teacher->meta().obs_dim) +
                      " values and acts on " + std::to_string(teacher->meta().action_dim) +
                      ", but the env's state observation has " + std::to_string(P) + " and its action " +
                      std::to_string(envs.action_dim()));
  TrainSession run(cfg, "ppo", config_json, run_dir, envs, eval_envs, "train distill", dcfg.teacher);
  const int N = run.N, T = run.T, D = run.D, A = run.A, H = run.H, W = run.W;
  if (!run.rgb) throw ConfigError("--algo distill: the student learns from pixels; use --obs-mode rgb");
  const torch::Device device = run.device;
  Agent student(AgentSpec{D, A, H, W, cfg.include_state, cfg.norm_obs});
  if (dcfg.copy_teacher_std && teacher->meta().algo == "ppo") {
    const Agent t = LoadAgent<Agent>(dcfg.teacher, teacher->meta());
    torch::NoGradGuard no_grad;
    student->actor_logstd.copy_(t->actor_logstd);
  }
  student->to(device);
  torch::optim::Adam optimizer(student->parameters(), torch::optim::AdamOptions(cfg.learning_rate).eps(1e-5));
  run.Attach(*student, optimizer);  // restores both when resuming

  // The replay of the last buffer_size labelled batches, on the training device.
  const int64_t B = static_cast<int64_t>(N) * T, K = dcfg.buffer_size;
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  auto buf_obs = torch::zeros({K * B, D}, f32);  // [K*B, D]
  auto buf_img = torch::zeros({K * B, H, W, 3}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  auto buf_label = torch::zeros({K * B, A}, f32);  // [K*B, A]
  int64_t filled = 0;                              // batches in the buffer

  std::mt19937_64 mix_rng(cfg.seed * 0x9E3779B97F4A7C15ull + 17);
  std::vector<float> labels(static_cast<size_t>(N) * A);
  envs.Reset();
  const TrainSession::EvalAct eval_act = [&](const torch::Tensor& o, const torch::Tensor& img) {
    return student->ActionMean(o, img);
  };

  for (int64_t iteration = run.start_iteration; iteration <= cfg.num_iterations; ++iteration) {
    // ------------------------------------------------------------ evaluate the student alone
    if (run.EvalDue(iteration)) run.Evaluate(iteration, true, eval_act);
    run.AnnealLearningRate(iteration);
    const double beta = DistillBeta(dcfg, iteration, run.global_step);

    // ------------------------------------------------------------ rollout: label every visited state
    const auto t_rollout = Clock::now();
    student->eval();
    const int64_t slot = (iteration - 1) % K;
    double action_error = 0, teacher_share = 0;
    const int64_t step_at_start = run.global_step;
    for (int t = 0; t < T; ++t) {
      if (run.StopRequestedMidRollout()) run.Stop(iteration - 1, step_at_start);  // abandons the rollout
      run.global_step += run.global_envs;
      const auto o = run.Obs(envs.obs());
      const auto img = run.Image(envs.image());
      TeacherLabels(*teacher, envs.privileged_obs(), N, labels.data());
      const auto label = torch::from_blob(labels.data(), {N, A}).to(device).clone();  // [N, A]
      const std::vector<uint8_t> mask = TeacherActs(N, beta, mix_rng);
      torch::Tensor executed;
      {
        torch::NoGradGuard no_grad;
        auto act = student->ActionMean(o, img);  // [N, A]
        action_error += (act.clamp(-1.0, 1.0) - label).abs().mean().item<double>() / T;
        if (dcfg.student_sample) act = act + student->actor_logstd.exp() * torch::randn_like(act);
        const auto m = torch::from_blob(const_cast<uint8_t*>(mask.data()), {N, 1}, torch::kUInt8)
                           .to(device)
                           .to(torch::kBool);
        executed = torch::where(m, label, act);
      }
      for (uint8_t v : mask) teacher_share += v / (static_cast<double>(N) * T);
      const int64_t row = slot * B + static_cast<int64_t>(t) * N;
      buf_obs.narrow(0, row, N).copy_(o);
      buf_img.narrow(0, row, N).copy_(img);
      buf_label.narrow(0, row, N).copy_(label);
      run.StepEnvs(executed);  // clipped to the env's box on the way
      run.LogEpisodes();
    }
    filled = std::min(K, filled + 1);
    const double rollout_time = Since(t_rollout);

    // ------------------------------------------------------------ update: regress the teacher's labels
    const auto t_update = Clock::now();
    student->train();
    const int64_t S = filled * B, M = cfg.minibatch_size;
    double loss_sum = 0;
    int minibatches = 0;
    for (int epoch = 0; epoch < dcfg.epochs; ++epoch) {
      const auto perm = torch::randperm(S, torch::TensorOptions().dtype(torch::kLong).device(device));
      for (int64_t start_i = 0; start_i + M <= S; start_i += M) {
        const auto mb = perm.slice(0, start_i, start_i + M);
        auto mb_img = buf_img.index_select(0, mb);
        if (dcfg.augment_shift > 0) mb_img = RandomShift(mb_img, dcfg.augment_shift);
        const auto pred = student->ActionMean(buf_obs.index_select(0, mb), mb_img);
        const auto target = buf_label.index_select(0, mb);
        const auto loss = dcfg.loss == DistillLoss::kHuber
                              ? torch::huber_loss(pred, target, at::Reduction::Mean, dcfg.huber_delta)
                              : torch::mse_loss(pred, target);
        optimizer.zero_grad();
        loss.backward();
        run.AverageGradients(student->parameters());
        const double grad_norm = torch::nn::utils::clip_grad_norm_(student->parameters(), cfg.max_grad_norm);
        const double l = loss.item<double>();
        run.RequireFinite(iteration, l, grad_norm, {{"distill_loss", l}});
        optimizer.step();
        loss_sum += l, ++minibatches;
      }
    }
    student->UpdateObsStats(buf_obs.narrow(0, slot * B, B));  // this rollout's observations
    const double update_time = Since(t_update);

    // ------------------------------------------------------------ log
    run.log.Scalar("charts/beta", beta, run.global_step);
    run.log.Scalar("charts/teacher_action_share", teacher_share, run.global_step);
    run.EndIteration(iteration, rollout_time, update_time,
                     {{"distill_loss", minibatches ? loss_sum / minibatches : 0.0},
                      {"rollout_action_error", action_error}},
                     torch::Tensor(), torch::Tensor());
    if (run.StopRequested()) run.Stop(iteration, run.global_step);  // after a finished update
  }

  // ---------------------------------------------------------------- final evaluation and checkpoint
  return run.Finish(eval_act);
}

}  // namespace s2r::rl
