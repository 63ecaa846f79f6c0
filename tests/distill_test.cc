// Distillation (DAgger): the label is the teacher's clipped deterministic action (a hand-set network),
// the beta schedule and mix, and a state teacher -> rgb student run through the binary that writes every
// artefact, evaluates, exports to ONNX, resumes and is fine-tuned by PPO; bad teachers are refused.
#include "rl/distill.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/error.h"
#include "rl/agent.h"
#include "rl/checkpoint.h"
#include "rl/policy.h"
#include "train_cli.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace s2r::rl {
namespace {

using s2r::testing::ExpectRunArtefacts;
using s2r::testing::LastJsonLine;
using s2r::testing::RunResult;
using s2r::testing::Sim2real;

// A state teacher whose every weight is zero except the actor head's bias: its mean action is that bias,
// whatever it observes, so the label is known by hand.
TEST(DistillTest, LabelIsTheTeachersMeanClippedToTheActionBox) {
  const fs::path dir = fs::temp_directory_path() / ("s2r_distill_label_" + std::to_string(getpid()));
  fs::create_directories(dir);
  Agent agent(AgentSpec{31, 6, 0, 0, true});
  const std::array<float, 6> bias = {2.0f, -3.0f, 0.5f, -0.25f, 1.5f, 0.0f};
  {
    torch::NoGradGuard no_grad;
    for (auto& p : agent->named_parameters()) p.value().zero_();
    int heads = 0;
    for (auto& p : agent->named_parameters()) {
      const std::string name = p.key();
      if (name.rfind("actor_mean.", 0) == 0 && name.size() > 5 && name.substr(name.size() - 4) == "bias" &&
          p.value().numel() == 6) {
        p.value().copy_(torch::tensor(std::vector<float>(bias.begin(), bias.end())));
        ++heads;
      }
    }
    ASSERT_EQ(heads, 1);
    agent->actor_logstd.fill_(0.0);  // std 1: a sampled action would differ from the mean
  }
  torch::optim::Adam opt(agent->parameters(), torch::optim::AdamOptions(1e-3));
  CheckpointMeta meta;
  meta.algo = "ppo", meta.env_id = "SO100GraspCube-v1", meta.obs_mode = "state", meta.config_json = "{}";
  meta.obs_dim = 31, meta.action_dim = 6;
  const std::string path = (dir / "teacher.pt").string();
  SaveCheckpoint(path, meta, *agent, opt);

  std::unique_ptr<Policy> teacher = LoadPolicy(path);
  std::vector<float> obs(3 * 31);
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.f, 3.f);
  for (float& v : obs) v = g(rng);
  std::vector<float> labels(3 * 6, 99.f);
  TeacherLabels(*teacher, obs.data(), 3, labels.data());
  const std::array<float, 6> want = {1.0f, -1.0f, 0.5f, -0.25f, 1.0f, 0.0f};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 6; ++j) EXPECT_FLOAT_EQ(labels[i * 6 + j], want[j]) << "env " << i << " action " << j;
  fs::remove_all(dir);
}

TEST(DistillTest, BetaScheduleAndMix) {
  DistillConfig c;  // defaults as brax's DAgger: the teacher acts in the first iteration only
  EXPECT_DOUBLE_EQ(DistillBeta(c, 1, 0), 1.0);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 2, 1000), 0.0);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 9, 8000), 0.0);
  c.beta_start = 0.8, c.beta_decay = 0.5;
  EXPECT_DOUBLE_EQ(DistillBeta(c, 1, 0), 0.8);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 2, 0), 0.4);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 4, 0), 0.1);
  c.beta_decay_steps = 1000;  // linear in env steps instead
  EXPECT_DOUBLE_EQ(DistillBeta(c, 7, 0), 0.8);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 7, 250), 0.6);
  EXPECT_DOUBLE_EQ(DistillBeta(c, 7, 5000), 0.0);

  std::mt19937_64 rng(1);
  for (uint8_t v : TeacherActs(64, 1.0, rng)) EXPECT_EQ(v, 1);
  for (uint8_t v : TeacherActs(64, 0.0, rng)) EXPECT_EQ(v, 0);
  const std::vector<uint8_t> m = TeacherActs(100000, 0.3, rng);
  double share = 0;
  for (uint8_t v : m) share += v / 100000.0;
  EXPECT_NEAR(share, 0.3, 0.01);

  DistillConfig bad;
  bad.beta_start = 1.5;
  EXPECT_THROW(bad.Validate(), ConfigError);
}

TEST(DistillCliTest, StateTeacherToRgbStudentEndToEnd) {
  const fs::path root = fs::temp_directory_path() / ("s2r_distill_cli_" + std::to_string(getpid()));
  fs::create_directories(root);
  const std::string dir = " --runs-dir " + root.string();
  // The teacher: a tiny state PPO run (what it learned does not matter here).
  const RunResult t = Sim2real(
      "train --obs-mode state --ppo.num-envs 8 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs "
      "1 "
      "--ppo.num-eval-envs 2 --ppo.num-eval-steps 8 --ppo.total-timesteps 128 --ppo.threads 2 "
      "--ppo.no-capture-video --ppo.exp-name teacher --json" +
      dir);
  ASSERT_EQ(t.exit_code, 0) << t.out;
  const std::string teacher = (root / "teacher/final_ckpt.pt").string();

  // The student at 40x40 pixels, with an evaluation video.
  const fs::path env_json = root / "small_camera.json";
  std::ofstream(env_json) << R"({"sensor_configs": {"width": 40, "height": 40}})";
  const std::string student_flags =
      " --env-kwargs-json-path " + env_json.string() +
      " --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.num-eval-envs 2 "
      "--ppo.num-eval-steps 8 "
      "--ppo.eval-freq 2 --ppo.threads 2 --distill.buffer-size 2 --distill.augment-shift 2";
  const RunResult s = Sim2real("train --algo distill --teacher " + teacher + student_flags +
                               " --ppo.total-timesteps 96 --ppo.exp-name student --json" + dir);
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_EQ(LastJsonLine(s.out)["global_step"], 96);
  ExpectRunArtefacts(root / "student", true, false,
                     {"losses/distill_loss", "losses/rollout_action_error", "charts/beta"}, false);
  const std::string student = (root / "student/final_ckpt.pt").string();
  const CheckpointMeta m = ReadCheckpointMeta(student);
  EXPECT_EQ(m.algo, "ppo");  // an ordinary rgb PPO checkpoint
  EXPECT_EQ(m.obs_mode, "rgb");
  EXPECT_EQ(m.obs_dim, 17);
  EXPECT_EQ(m.image_height, 40);
  EXPECT_EQ(m.distilled_from, teacher);
  const json cfg = json::parse(std::ifstream(root / "student/config.json"));
  EXPECT_EQ(cfg["algo"], "distill");
  EXPECT_EQ(cfg["teacher"], teacher);
  EXPECT_EQ(cfg["distill"]["augment_shift"], 2);
  // beta: 1 in the first iteration (the teacher drives), then 0.
  std::map<int64_t, double> beta;
  for (const auto& row : metrics::ReadCsvLog((root / "student/metrics.csv").string()))
    if (row.tag == "charts/beta") beta[row.step] = row.value;
  ASSERT_EQ(beta.size(), 3u);
  EXPECT_EQ(beta[32], 1.0);
  EXPECT_EQ(beta[64], 0.0);

  // eval says it was distilled, and from which teacher.
  const RunResult e = Sim2real("eval --checkpoint " + student + " --num-episodes 2 --num-envs 2 --json");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  EXPECT_EQ(LastJsonLine(e.out)["distilled"], true);
  EXPECT_EQ(LastJsonLine(e.out)["teacher"], teacher);
  EXPECT_EQ(LastJsonLine(e.out)["obs_mode"], "rgb");

  // It exports to ONNX like any rgb policy.
  const RunResult x =
      Sim2real("export-onnx --checkpoint " + student + " --out " + (root / "s.onnx").string() + " --json");
  ASSERT_EQ(x.exit_code, 0) << x.out;
  EXPECT_TRUE(fs::exists(root / "s.onnx"));

  // Resume continues the distillation with the run's settings (teacher included).
  const RunResult r =
      Sim2real("train --resume-training --checkpoint " + student + " --ppo.total-timesteps 160 --json" + dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(LastJsonLine(r.out)["global_step"], 160);
  EXPECT_EQ(ReadCheckpointMeta(student).distilled_from, teacher);

  // PPO fine-tunes the student from its weights.
  const RunResult ft = Sim2real("train --algo ppo --resume-training --checkpoint " + student +
                                " --ppo.total-timesteps 224 --json" + dir);
  ASSERT_EQ(ft.exit_code, 0) << ft.out;
  EXPECT_NE(ft.out.find("algo distill -> ppo"), std::string::npos) << ft.out;
  EXPECT_EQ(LastJsonLine(ft.out)["global_step"], 224);

  // Refusals, each naming --teacher (exit 2).
  const std::string base = "train --algo distill" + student_flags + " --ppo.total-timesteps 32" + dir;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "--teacher: --algo distill needs a state-observation checkpoint"},
      {" --teacher " + (root / "missing.pt").string(), "no such file"},
      {" --teacher " + (root / "teacher").string(), "is a folder"},
      {" --teacher " + student, "the teacher must be a state-observation one"},
      {" --teacher " + env_json.string(), "--teacher"},
  };
  for (const auto& [flag, msg] : bad) {
    const RunResult b = Sim2real(base + flag + " --ppo.exp-name refused");
    EXPECT_EQ(b.exit_code, 2) << flag << "\n" << b.out;
    EXPECT_NE(b.out.find(msg), std::string::npos) << flag << "\n" << b.out;
    EXPECT_NE(b.out.find("--teacher"), std::string::npos) << b.out;
  }
  const RunResult st = Sim2real("train --algo distill --obs-mode state --teacher " + teacher + dir);
  EXPECT_EQ(st.exit_code, 2) << st.out;
  EXPECT_NE(st.out.find("rgb student"), std::string::npos) << st.out;
  EXPECT_FALSE(fs::exists(root / "refused"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace s2r::rl
