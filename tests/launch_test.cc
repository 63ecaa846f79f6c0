// Data-parallel training through the real binary on loopback: `sim2real launch --nproc 2 -- train ...`
// leaves one run folder that counts both ranks' steps, Ctrl+C on the launcher stops both ranks with rank 0's
// checkpoint, a rank killed mid-run makes the other exit within the timeout, and ranks started with
// different settings are refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_run.h"

namespace fs = std::filesystem;
using nlohmann::json;
using s2r::testing::RunCli;

namespace {

const std::string kTiny =
    "train --obs-mode state --ppo.num-envs 4 --ppo.num-steps 8 --ppo.num-minibatches 2 --ppo.update-epochs 1 "
    "--ppo.num-eval-envs 2 --ppo.num-eval-steps 4 --ppo.threads 1 --ppo.no-capture-video";

fs::path Fresh(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("s2r_launch_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `sim2real ARGS` in the background with extra environment variables, output to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
            const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    // One open file for both streams: two opens of the log would each write at their own offset, and the
    // later writes of one would overwrite the other's lines.
    if (!freopen(log.c_str(), "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv = {const_cast<char*>(S2R_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(S2R_BINARY, argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> Split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Waits up to `seconds` for the process; its exit status, or -1 if it is still running (then killed).
int WaitFor(pid_t pid, double seconds, double* took = nullptr) {
  const auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      if (took) *took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

bool WaitForFile(const fs::path& p, double seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(p)) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string Port(int offset) { return std::to_string(20000 + (getpid() * 7 + offset) % 20000); }

}  // namespace

TEST(LaunchTest, TwoRanksLeaveOneRunFolderThatCountsBothRanksSteps) {
  const fs::path runs = Fresh("two");
  const auto r = RunCli("launch --nproc 2 --master-port " + Port(0) + " -- " + kTiny +
                        " --ppo.total-timesteps 256 --json --runs-dir " + runs.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(runs)) folders.push_back(e.path());
  ASSERT_EQ(folders.size(), 1u) << r.out;
  const json config = json::parse(Read(folders[0] / "config.json"));
  EXPECT_EQ(config["dist"]["world_size"], 2);
  EXPECT_EQ(config["dist"]["global_batch_size"], 64);  // 2 ranks x 4 envs x 8 steps
  EXPECT_EQ(config["ppo"]["num_iterations"], 4);       // 256 steps in global batches of 64
  // Rank 0's JSON summary passes through unprefixed; both ranks' steps are counted.
  std::string last;
  for (std::istringstream in(r.out); std::getline(in, last);)
    if (!last.empty() && last[0] == '{') break;
  const json summary = json::parse(last);
  EXPECT_EQ(summary["global_step"], 256);
  EXPECT_TRUE(fs::exists(folders[0] / "final_ckpt.pt"));
  EXPECT_NE(Read(folders[0] / "metrics.csv").find("charts/SPS"), std::string::npos);
  EXPECT_NE(r.out.find("[rank 0] sim2real: training"), std::string::npos) << r.out;
  fs::remove_all(runs);
}

TEST(LaunchTest, CtrlCOnTheLauncherStopsEveryRankAndRankZeroCheckpoints) {
  const fs::path runs = Fresh("sigint");
  const pid_t launcher =
      Spawn(Split("launch --nproc 2 --master-port " + Port(1) + " -- " + kTiny +
                  " --ppo.total-timesteps 100000000 --ppo.exp-name r --runs-dir " + runs.string()),
            {}, runs / "launch.log");
  // ckpt_1.pt: the first evaluation, after every rank joined and took rank 0's weights.
  ASSERT_TRUE(WaitForFile(runs / "r" / "ckpt_1.pt", 90)) << Read(runs / "launch.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(launcher, SIGINT);
  const int code = WaitFor(launcher, 60);
  const std::string log = Read(runs / "launch.log");
  EXPECT_EQ(code, 130) << log;
  EXPECT_NE(log.find("[rank 0] sim2real: stopped at env step"), std::string::npos) << log;
  EXPECT_NE(log.find("[rank 1] sim2real: stopped at env step"), std::string::npos) << log;  // the same step
  EXPECT_NE(log.find("continue with: sim2real train --resume-training"), std::string::npos) << log;
  // Resumed over two ranks from that checkpoint: every rank takes rank 0's weights and Adam state, trains
  // to the new budget, and the final weights check (identical on every rank) passes.
  const size_t at = log.find("[rank 0] sim2real: stopped at env step ");
  ASSERT_NE(at, std::string::npos);
  const long long step =
      std::stoll(log.substr(at + std::string("[rank 0] sim2real: stopped at env step ").size()));
  const size_t ck = log.find("--checkpoint ", log.find("[rank 0] sim2real: stopped at env step"));
  ASSERT_NE(ck, std::string::npos);
  std::string checkpoint = log.substr(ck + 13);
  checkpoint = checkpoint.substr(0, checkpoint.find_first_of(" \n"));
  const pid_t resumed = Spawn(Split("launch --nproc 2 --master-port " + Port(3) +
                                    " -- train --resume-training --resume-allow-changes --checkpoint " +
                                    checkpoint + " --ppo.total-timesteps " + std::to_string(step + 2 * 64)),
                              {}, runs / "resume.log");
  EXPECT_EQ(WaitFor(resumed, 90), 0) << Read(runs / "resume.log");
  EXPECT_NE(Read(runs / "resume.log").find("[rank 0] sim2real: resuming"), std::string::npos)
      << Read(runs / "resume.log");
  fs::remove_all(runs);
}

TEST(LaunchTest, ARankKilledMidRunMakesTheOtherExitWithinTheTimeout) {
  const fs::path runs = Fresh("kill");
  const std::string port = Port(2);
  const auto args =
      Split(kTiny + " --ppo.total-timesteps 100000000 --ppo.exp-name r --dist.timeout 5 --runs-dir " +
            runs.string());
  auto env = [&](int rank) {
    return std::vector<std::pair<std::string, std::string>>{{"WORLD_SIZE", "2"},
                                                            {"RANK", std::to_string(rank)},
                                                            {"MASTER_ADDR", "127.0.0.1"},
                                                            {"MASTER_PORT", port}};
  };
  const pid_t r0 = Spawn(args, env(0), runs / "rank0.log");
  const pid_t r1 = Spawn(args, env(1), runs / "rank1.log");
  ASSERT_TRUE(WaitForFile(runs / "r" / "ckpt_1.pt", 90)) << Read(runs / "rank0.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(r1, SIGKILL);
  WaitFor(r1, 10);
  double took = 0;
  const int code = WaitFor(r0, 30, &took);
  const std::string log = Read(runs / "rank0.log");
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(code, -1) << "rank 0 still ran 30 s after its peer died:\n" << log;
  EXPECT_LT(took, 15.0) << log;  // the 5 s timeout, with room for a slow machine
  EXPECT_NE(log.find("rank 0 of 2"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(runs / "r" / "ckpt_1.pt")) << "the last good checkpoint stays";
  fs::remove_all(runs);
}

TEST(LaunchTest, RanksWithDifferentSettingsAreRefusedOnBoth) {
  const fs::path runs = Fresh("mismatch");
  const std::string port = Port(3);
  auto env = [&](int rank) {
    return std::vector<std::pair<std::string, std::string>>{{"WORLD_SIZE", "2"},
                                                            {"RANK", std::to_string(rank)},
                                                            {"MASTER_ADDR", "127.0.0.1"},
                                                            {"MASTER_PORT", port}};
  };
  const std::string common =
      " --ppo.total-timesteps 256 --ppo.exp-name r --dist.timeout 20 --runs-dir " + runs.string();
  const pid_t r0 = Spawn(Split(kTiny + common), env(0), runs / "rank0.log");
  const pid_t r1 = Spawn(Split(kTiny + common + " --ppo.gamma 0.9"), env(1), runs / "rank1.log");
  EXPECT_EQ(WaitFor(r0, 60), 2) << Read(runs / "rank0.log");
  EXPECT_EQ(WaitFor(r1, 60), 2) << Read(runs / "rank1.log");
  for (const char* f : {"rank0.log", "rank1.log"})
    EXPECT_NE(Read(runs / f).find("ranks disagree on the training config"), std::string::npos)
        << Read(runs / f);
  fs::remove_all(runs);
}

TEST(LaunchTest, BadUsageIsRefusedWithTheFlagNamed) {
  const auto none = RunCli("launch --nproc 2");
  EXPECT_EQ(none.exit_code, 2) << none.out;
  EXPECT_NE(none.out.find("after --"), std::string::npos) << none.out;
  const auto zero = RunCli("launch --nproc 0 -- " + kTiny);
  EXPECT_EQ(zero.exit_code, 2) << zero.out;
  EXPECT_NE(zero.out.find("--nproc"), std::string::npos) << zero.out;
  const auto name = RunCli(kTiny + " --dist.world-size 2 --dist.rank 1 --ppo.total-timesteps 64");
  EXPECT_EQ(name.exit_code, 2) << name.out;
  EXPECT_NE(name.out.find("--ppo.exp-name"), std::string::npos) << name.out;
}
