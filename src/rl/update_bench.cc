#include "rl/update_bench.h"

#include <torch/torch.h>

#include <chrono>

#include "rl/agent.h"
#include "rl/ppo_loss.h"

namespace s2r::rl {

double BenchPpoUpdate(const UpdateBenchSpec& spec) {
  torch::manual_seed(spec.seed);
  const int B = spec.minibatch, S = spec.image_size;
  Agent agent(AgentSpec{spec.obs_dim, spec.action_dim, S, S, true});
  agent->train();
  torch::optim::Adam optimizer(agent->parameters(), torch::optim::AdamOptions(3e-4).eps(1e-5));
  const auto obs = torch::randn({B, spec.obs_dim});  // [B, D]
  const auto image = S > 0 ? torch::randint(0, 256, {B, S, S, 3}, torch::kUInt8) : torch::Tensor();
  const auto actions = torch::randn({B, spec.action_dim});  // [B, A]
  const auto old_logprob = torch::randn({B}), adv = torch::randn({B}), old_value = torch::randn({B});
  const auto returns = torch::randn({B});
  auto step = [&] {
    const ActionSample s = agent->ActionAndValue(obs, image, actions);
    const auto a = (adv - adv.mean()) / (adv.std() + 1e-8);
    const PpoLossTerms l =
        PpoLoss(s.log_prob, old_logprob, a, s.value, old_value, returns, s.entropy, 0.2, false, 0.0, 0.5);
    optimizer.zero_grad();
    l.loss.backward();
    torch::nn::utils::clip_grad_norm_(agent->parameters(), 0.5);
    optimizer.step();
  };
  step();  // warm-up: allocations and thread pools
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < spec.minibatches; ++i) step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / spec.minibatches;
}

}  // namespace s2r::rl
