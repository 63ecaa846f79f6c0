#include "rl/train_session.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/stop_signal.h"
#include "rl/checkpoint.h"
#include "rl/compute_threads.h"
#include "rl/device.h"
#include "rl/evaluate.h"
#include "rl/gae.h"

namespace fs = std::filesystem;

namespace s2r::rl {

namespace {
using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
constexpr double kEvalWaitS = 6 * 3600;  // how long the other ranks wait for rank 0's evaluation

torch::Device PickDevice(const PpoConfig& cfg) { return TrainsOnCuda(cfg.cuda) ? torch::kCUDA : torch::kCPU; }
}  // namespace

RolloutStorage::RolloutStorage(int T, int N, int D, int H, int W, torch::Device device) {
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  obs = torch::zeros({T, N, D}, f32);
  if (H > 0)
    images = torch::zeros({T, N, H, W, 3}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  rewards = torch::zeros({T, N}, f32);
  dones = torch::zeros({T, N}, f32);
  values = torch::zeros({T, N}, f32);
  final_values = torch::zeros({T, N}, f32);
}

TrainSession::TrainSession(const PpoConfig& c, const std::string& algo, const std::string& config_json,
                           const std::string& run_dir, EnvBatch& envs, EnvBatch& eval_envs,
                           const std::string& label, const std::string& distilled_from)
    : cfg(c),
      device(PickDevice(c)),
      N(envs.num_envs()),
      T(c.num_steps),
      D(envs.obs_dim()),
      A(envs.action_dim()),
      H(envs.image_height()),
      W(envs.image_width()),
      rgb(H > 0),
      world_size(c.dist.world_size),
      global_envs(static_cast<int64_t>(N) * c.dist.world_size),
      log(c.dist.rank == 0 ? RunLog((fs::create_directories(run_dir), run_dir),
                                    c.resume_training ? ReadCheckpointMeta(c.checkpoint).global_step : -1)
                           : RunLog::Disabled()),
      run_dir_(run_dir),
      envs_(envs),
      eval_envs_(eval_envs),
      ep_ret_(static_cast<size_t>(N), 0.0),
      ep_len_(static_cast<size_t>(N), 0),
      ep_once_(static_cast<size_t>(N), 0),
      action_buf_(static_cast<size_t>(N) * A) {
  if (cfg.dist.enabled()) {
    dist_ = std::make_unique<DistGroup>(cfg.dist);
    // Every rank must run the same command: one training config (it holds env, obs mode, network,
    // num_envs, num_steps, algo and every hyperparameter).
    dist_->RequireSame("training config (config.json)", config_json);
  }
  torch::manual_seed(cfg.seed);
  SetComputeThreads(cfg.threads);  // libtorch's threads; OpenBLAS's kept to one beneath them
  // The MLP agent computes on one thread for the whole run (rollout, evaluation, update); the CNN on all.
  // The MLP's batches are too small to share between libgomp's threads: its idle workers spin after every
  // parallel op, taking the cores from the env workers, and each op's barrier waits for a thread another
  // process may have preempted (a busy loop on one of two cores made a state update take 22 s on two
  // threads, 6.7 s on one; quiet: 6.5 s vs 6.7 s; bench/contention.sh).
  if (!rgb) SetComputeThreads(1);
  meta_.algo = algo;
  meta_.env_id = cfg.env_id;
  meta_.obs_mode = cfg.obs_mode;
  meta_.config_json = config_json;
  meta_.obs_dim = D, meta_.action_dim = A, meta_.image_height = H, meta_.image_width = W;
  meta_.include_state = cfg.include_state;
  meta_.norm_obs = cfg.norm_obs;
  meta_.distilled_from = distilled_from;
  label_ = label.empty() ? "train " + algo : label;
  if (algo == "fpo") meta_.fpo_num_steps = cfg.fpo_num_steps, meta_.fpo_action_squash = cfg.fpo_action_squash;
  if (!cfg.resume_training) log.Text("hyperparameters", "```\n" + config_json + "\n```", 0);
}

TrainSession::~TrainSession() = default;

// A resumed run's Adam state (step count and moments of every parameter) from rank 0 to every rank, so the
// ranks continue from rank 0's checkpoint even where another machine's copy of the file differs. Every rank
// loaded a checkpoint with state for every parameter (the resume reads its configuration from the file).
void TrainSession::BroadcastAdamState(torch::optim::Optimizer& optimizer) {
  std::vector<torch::optim::AdamParamState*> states;
  std::vector<torch::Tensor> tensors;
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) {
      auto it = optimizer.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (it == optimizer.state().end())
        throw ConfigError("--resume-training: the checkpoint '" + cfg.checkpoint +
                          "' holds no optimizer state for every parameter; a distributed run resumes only "
                          "from a checkpoint of sim2real train");
      auto& s = static_cast<torch::optim::AdamParamState&>(*it->second);
      states.push_back(&s);
      tensors.push_back(s.exp_avg());
      tensors.push_back(s.exp_avg_sq());
    }
  torch::Tensor steps = torch::empty({static_cast<int64_t>(states.size())}, torch::kFloat64);
  for (size_t i = 0; i < states.size(); ++i)
    steps[static_cast<int64_t>(i)] = static_cast<double>(states[i]->step());
  tensors.push_back(steps);
  dist_->Broadcast(tensors);
  for (size_t i = 0; i < states.size(); ++i)
    states[i]->step(static_cast<int64_t>(steps[static_cast<int64_t>(i)].item<double>()));
}

void TrainSession::Attach(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  model_ = &model;
  optimizer_ = &optimizer;
  if (cfg.resume_training) {
    const CheckpointMeta old =
        LoadCheckpoint(cfg.checkpoint, model, cfg.resume_weights_only ? nullptr : &optimizer);
    if (old.algo == "fpo" && old.fpo_action_squash != meta_.fpo_action_squash)
      throw ConfigError("--ppo.fpo-action-squash: the checkpoint '" + cfg.checkpoint + "' was trained with " +
                        old.fpo_action_squash + ", this run asks for " + meta_.fpo_action_squash +
                        " (resume with --ppo.fpo-action-squash=" + old.fpo_action_squash + ")");
    start_iteration = old.iteration + 1;
    last_checkpoint_ = cfg.checkpoint;
    global_step = old.global_step;
    total_rollout_ = log.EarlierTotal("time/total_rollout_time");
    total_update_ = log.EarlierTotal("time/total_update_time");
    total_eval_ = log.EarlierTotal("time/total_eval_time");
  }
  if (dist_) {  // rank 0's weights everywhere (a resumed run: every rank loaded the same checkpoint anyway)
    std::vector<torch::Tensor> state = model.parameters();
    for (const auto& b : model.buffers()) state.push_back(b);
    dist_->Broadcast(state);
    if (cfg.resume_training && !cfg.resume_weights_only) BroadcastAdamState(optimizer);
  }
  if (writes())
    bar_ = std::make_unique<ProgressBar>(
        (cfg.num_iterations - start_iteration + 1) * cfg.batch_size * world_size, label_, "steps");
  start_ = Clock::now();
}

torch::Tensor TrainSession::Obs(const float* p, int n) const {
  return torch::from_blob(const_cast<float*>(p), {n < 0 ? N : n, D}).to(device);
}

torch::Tensor TrainSession::Image(const uint8_t* p, int n) const {
  if (!rgb) return {};
  return torch::from_blob(const_cast<uint8_t*>(p), {n < 0 ? N : n, H, W, 3}, torch::kUInt8).to(device);
}

void TrainSession::StoreObs(RolloutStorage& st, int t, const torch::Tensor& obs, const torch::Tensor& image,
                            const torch::Tensor& next_done) {
  st.obs[t].copy_(obs);
  if (rgb) st.images[t].copy_(image);
  st.dones[t].copy_(next_done);
}

void TrainSession::StepEnvs(const torch::Tensor& raw_actions) {
  const auto sent = raw_actions.detach().clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
  std::memcpy(action_buf_.data(), sent.data_ptr<float>(), sizeof(float) * action_buf_.size());
  envs_.Step(action_buf_.data());
}

void TrainSession::StoreStepResult(RolloutStorage& st, int t, torch::Tensor& next_done,
                                   const ValueFn& value_of) {
  st.rewards[t].copy_(torch::from_blob(const_cast<float*>(envs_.reward()), {N}).to(device) *
                      cfg.reward_scale);
  const std::vector<int64_t> done_idx = RecordEpisodes(next_done);
  if (done_idx.empty()) return;
  // Bootstrap from the final observation of every episode that just ended.
  torch::NoGradGuard no_grad;
  const auto idx = torch::tensor(done_idx, torch::kLong).to(device);
  const auto fo = Obs(envs_.final_obs()).index_select(0, idx);
  const auto fi = rgb ? Image(envs_.final_image()).index_select(0, idx) : torch::Tensor();
  st.final_values[t].index_put_({idx}, value_of(fo, fi));
}

std::pair<torch::Tensor, torch::Tensor> TrainSession::Advantages(const RolloutStorage& st,
                                                                 const torch::Tensor& next_done,
                                                                 const ValueFn& value_of) {
  torch::NoGradGuard no_grad;
  const auto next_value = value_of(Obs(envs_.obs()), Image(envs_.image()));
  auto advantages = ComputeGae(st.rewards, st.values, st.dones, st.final_values, next_value,
                               next_done.to(device), cfg.gamma, cfg.gae_lambda, cfg.finite_horizon_gae);
  auto returns = advantages + st.values;
  return {advantages, returns};
}

void TrainSession::LogEpisodes() {
  auto scratch = torch::zeros({N}, torch::kFloat32);
  RecordEpisodes(scratch);
}

std::vector<int64_t> TrainSession::RecordEpisodes(torch::Tensor& next_done) {
  std::vector<int64_t> done_idx;
  float* next_done_p = next_done.data_ptr<float>();
  double sum_ret = 0, sum_len = 0, sum_rew = 0, sum_once = 0, sum_end = 0;
  for (int i = 0; i < N; ++i) {
    const size_t u = static_cast<size_t>(i);
    const bool done = envs_.terminated()[i] || envs_.truncated()[i];
    next_done_p[i] = done ? 1.0f : 0.0f;
    ep_ret_[u] += envs_.reward()[i];
    ++ep_len_[u];
    ep_once_[u] |= envs_.success()[i];
    if (!done) continue;
    done_idx.push_back(i);
    sum_ret += ep_ret_[u], sum_len += ep_len_[u], sum_rew += ep_ret_[u] / std::max(1, ep_len_[u]);
    sum_once += ep_once_[u], sum_end += envs_.success()[i];
    ep_ret_[u] = 0, ep_len_[u] = 0, ep_once_[u] = 0;
  }
  if (!done_idx.empty()) {  // the mean over the episodes that ended at this step, as the reference
    const double k = static_cast<double>(done_idx.size());
    log.Scalar("train/return", sum_ret / k, global_step);
    log.Scalar("train/episode_len", sum_len / k, global_step);
    log.Scalar("train/reward", sum_rew / k, global_step);
    log.Scalar("train/success_once", sum_once / k, global_step);
    log.Scalar("train/success_at_end", sum_end / k, global_step);
  }
  return done_idx;
}

void TrainSession::RequireFinite(int64_t iteration, double loss, double grad_norm,
                                 const LossScalars& terms) const {
  if (std::isfinite(loss) && std::isfinite(grad_norm)) return;
  std::ostringstream m;
  m << (std::isfinite(loss) ? "the gradient norm became " : "loss became ")
    << (std::isnan(std::isfinite(loss) ? grad_norm : loss) ? "NaN" : "infinite") << " at iteration "
    << iteration << " (env step " << global_step << ";";
  for (const auto& [name, v] : terms) m << " " << name << " " << v;
  m << " grad_norm " << grad_norm << "); the weights were not updated with it. "
    << (last_checkpoint_.empty() ? std::string("No checkpoint was written yet.")
                                 : "The last good checkpoint is " + last_checkpoint_ + ".")
    << " Try a lower --ppo.learning-rate or --ppo.max-grad-norm, or check --ppo.reward-scale.";
  throw TrainingDiverged(m.str());
}

bool TrainSession::StopRequestedMidRollout() const { return !dist_ && s2r::StopRequested(); }

bool TrainSession::StopRequested() {
  if (!dist_) return s2r::StopRequested();
  return dist_->Sum({s2r::StopRequested() ? 1.0 : 0.0})[0] > 0;
}

void TrainSession::AverageGradients(const std::vector<torch::Tensor>& params) {
  if (!dist_) return;
  const auto t0 = Clock::now();
  dist_->AverageGradients(params);
  allreduce_time_ += Since(t0);
}

torch::Tensor TrainSession::NormalizeAdvantages(const torch::Tensor& adv) {
  if (!dist_) return (adv - adv.mean()) / (adv.std() + 1e-8);
  // n, sum and sum of squares over every rank's minibatch; the unbiased std, as torch's std().
  const auto s = dist_->Sum(
      {static_cast<double>(adv.numel()), adv.sum().item<double>(), adv.pow(2).sum().item<double>()});
  const double mean = s[1] / s[0];
  const double var = std::max(0.0, (s[2] - s[0] * mean * mean) / (s[0] - 1));
  return (adv - mean) / (std::sqrt(var) + 1e-8);
}

double TrainSession::MeanOverRanks(double value) {
  return dist_ ? dist_->Sum({value})[0] / world_size : value;
}

void TrainSession::Stop(int64_t iterations_done, int64_t step) {
  global_step = step;
  std::string where = "no checkpoint was written (--ppo.no-save-model)";
  std::string resume;
  if (!writes()) {
    where = "rank 0 wrote the checkpoint";
  } else if (cfg.save_model) {
    SaveCheckpointAs("ckpt_" + std::to_string(iterations_done + 1) + ".pt", iterations_done);
    where = "checkpoint " + last_checkpoint_;
    resume = "; continue with: sim2real train --resume-training --checkpoint " + last_checkpoint_;
  }
  log.Flush();
  if (bar_) bar_->Stop("stopped");
  throw Interrupted("stopped at env step " + std::to_string(step) + " (" + std::to_string(iterations_done) +
                    " of " + std::to_string(cfg.num_iterations) + " iterations done); " + where + resume);
}

bool TrainSession::EvalDue(int64_t iteration) const {
  // (a resumed run already evaluated and saved at its first iteration before it stopped)
  const bool resumed_here = cfg.resume_training && iteration == start_iteration;
  return (iteration - 1) % cfg.eval_freq == 0 && !resumed_here;
}

void TrainSession::Evaluate(int64_t iteration, bool save_checkpoint, const EvalAct& act) {
  // Rank 0 evaluates (and checkpoints) while the others wait here, however long it takes.
  if (!writes()) return dist_->Barrier(kEvalWaitS);
  const auto t0 = Clock::now();
  model_->eval();
  EvalVideoOptions video;
  if (cfg.capture_video) {
    fs::create_directories(fs::path(run_dir_) / "videos");
    video.path = (fs::path(run_dir_) / "videos" / ("eval_" + std::to_string(global_step) + ".mp4")).string();
    video.policy_camera = cfg.render_mode == "all";
  }
  const int n = eval_envs_.num_envs();
  const EvalStats s = RunEvaluation(
      eval_envs_, cfg.num_eval_steps,
      [&](const float* o, const uint8_t* img, float* out) {
        torch::NoGradGuard no_grad;
        const auto a = act(Obs(o, n), Image(img, n)).clamp(-1.0, 1.0).to(torch::kCPU).contiguous();
        std::memcpy(out, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(n) * A);
      },
      video);
  model_->train();
  const double dt = Since(t0);
  total_eval_ += dt;
  log.Scalar("eval/success_once", s.success_once, global_step);
  log.Scalar("eval/success_at_end", s.success_at_end, global_step);
  log.Scalar("eval/return", s.return_mean, global_step);
  log.Scalar("eval/episode_len", s.episode_len, global_step);
  log.Scalar("eval/reward", s.reward, global_step);
  log.Scalar("time/eval_time", dt, global_step);
  log.Scalar("time/total_eval_time", total_eval_, global_step);
  log.PlotEvalCurves();
  out_.last_eval_success_once = s.success_once;
  out_.best_eval_success_once = std::max(out_.best_eval_success_once, s.success_once);
  std::ostringstream st;
  st.precision(2);
  st << "eval success " << s.success_once << " (it " << iteration << ")";
  status_ = st.str();
  // the iterations completed so far
  if (save_checkpoint) SaveCheckpointAs("ckpt_" + std::to_string(iteration) + ".pt", iteration - 1);
  if (dist_) dist_->Barrier(kEvalWaitS);
}

void TrainSession::SaveCheckpointAs(const std::string& name, int64_t iterations_done) {
  if (!cfg.save_model || !writes()) return;
  meta_.iteration = iterations_done;
  meta_.global_step = global_step;
  last_checkpoint_ = (fs::path(run_dir_) / name).string();
  SaveCheckpoint(last_checkpoint_, meta_, *model_, *optimizer_);
}

void TrainSession::AnnealLearningRate(int64_t iteration) {
  if (!cfg.anneal_lr) return;
  const double frac = 1.0 - (iteration - 1.0) / cfg.num_iterations;
  for (auto& g : optimizer_->param_groups())
    static_cast<torch::optim::AdamOptions&>(g.options()).lr(frac * cfg.learning_rate);
}

void TrainSession::EndIteration(int64_t iteration, double rollout_time, double update_time,
                                const LossScalars& losses, const torch::Tensor& returns,
                                const torch::Tensor& values) {
  const double lr = static_cast<torch::optim::AdamOptions&>(optimizer_->param_groups()[0].options()).lr();
  total_rollout_ += rollout_time;
  total_update_ += update_time;
  log.Scalar("charts/learning_rate", lr, global_step);
  for (const auto& [name, value] : losses) log.Scalar("losses/" + name, value, global_step);
  if (returns.defined()) {
    const double var_y = returns.var().item<double>();
    const double explained_var =
        var_y == 0 ? std::nan("") : 1.0 - (returns - values).var().item<double>() / var_y;
    log.Scalar("losses/explained_variance", explained_var, global_step);
  }
  const double B = static_cast<double>(global_envs) * T;  // all ranks' steps
  const double sps = B / (rollout_time + update_time);
  log.Scalar("charts/SPS", sps, global_step);
  log.Scalar("time/step", static_cast<double>(global_step), global_step);
  log.Scalar("time/update_time", update_time, global_step);
  if (dist_) {  // the gradients' allreduce, part of update_time: what communication costs
    log.Scalar("time/allreduce_time", allreduce_time_, global_step);
    allreduce_time_ = 0;
  }
  log.Scalar("time/rollout_time", rollout_time, global_step);
  log.Scalar("time/rollout_fps", B / rollout_time, global_step);
  log.Scalar("time/total_rollout_time", total_rollout_, global_step);
  log.Scalar("time/total_update_time", total_update_, global_step);
  log.Scalar("time/total_rollout+update_time", total_rollout_ + total_update_, global_step);
  std::ostringstream st;
  st << static_cast<int>(sps) << " SPS, " << status_;
  if (bar_) bar_->Update((iteration - start_iteration + 1) * cfg.batch_size * world_size, st.str());
  out_.iterations = iteration;
}

TrainOutcome TrainSession::Finish(const EvalAct& act) {
  Evaluate(cfg.num_iterations + 1, false, act);
  if (bar_) bar_->Finish(status_);
  if (dist_) {  // the ranks stepped the same optimizer on the same averaged gradients: the same weights
    std::vector<torch::Tensor> state = model_->parameters();
    dist_->RequireSame("weights after training", DistGroup::Fingerprint(state));
  }
  out_.final_checkpoint = (fs::path(run_dir_) / "final_ckpt.pt").string();
  SaveCheckpointAs("final_ckpt.pt", cfg.num_iterations);
  log.Flush();
  out_.global_step = global_step;
  out_.seconds = Since(start_);
  return out_;
}

}  // namespace s2r::rl
