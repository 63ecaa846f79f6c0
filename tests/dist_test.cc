// Data-parallel building blocks on torch's c10d over loopback TCP: torchrun's environment, the rendezvous,
// broadcast, the averaged gradient against the single-process gradient of the concatenated batch, weights
// that stay bit-identical, a lost rank, and ranks that disagree. Each rank is this test binary started again
// (a real process, exec'd so no libtorch thread pool crosses a fork), told its part by S2R_DIST_CHILD.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "rl/dist_group.h"
#include "rl/distributed.h"

namespace {

using s2r::rl::DistConfig;
using s2r::rl::DistGroup;

// ------------------------------------------------------------------ the ranks (child processes)

// A tiny fixed network: the same weights on every rank that seeds 0.
torch::nn::Sequential TinyNet(int seed) {
  torch::manual_seed(seed);
  return torch::nn::Sequential(torch::nn::Linear(3, 5), torch::nn::Tanh(), torch::nn::Linear(5, 2));
}
// The batch, [8, 3] and [8, 2], the same everywhere; rank r of 2 takes rows 4r..4r+3.
std::pair<torch::Tensor, torch::Tensor> Batch() {
  auto x = torch::arange(24, torch::kFloat32).reshape({8, 3}).sin();
  auto y = torch::arange(16, torch::kFloat32).reshape({8, 2}).cos();
  return {x, y};
}
torch::Tensor Loss(torch::nn::Sequential& net, const torch::Tensor& x, const torch::Tensor& y) {
  return (net->forward(x) - y).pow(2).mean();
}

int Fail(const std::string& why) {
  std::fprintf(stderr, "FAIL: %s\n", why.c_str());
  return 1;
}

// Broadcast, averaged gradient == full-batch gradient, then three Adam steps: weights identical.
int GradientRank(DistGroup& g) {
  auto net = TinyNet(g.rank() == 0 ? 0 : 1);  // rank 1 starts from other weights
  std::vector<torch::Tensor> params = net->parameters();
  g.Broadcast(params);
  auto reference = TinyNet(0);  // rank 0's weights, built locally
  for (size_t i = 0; i < params.size(); ++i)
    if (!torch::equal(params[i], reference->parameters()[i])) return Fail("broadcast left other weights");

  const auto [x, y] = Batch();
  // The single-process gradient of the concatenated batch.
  Loss(reference, x, y).backward();
  // This rank's half, then the average over the ranks.
  const auto rows = torch::arange(4 * g.rank(), 4 * g.rank() + 4);
  Loss(net, x.index_select(0, rows), y.index_select(0, rows)).backward();
  const double own_diff = (params[0].grad() - reference->parameters()[0].grad()).abs().max().item<double>();
  g.AverageGradients(params);
  for (size_t i = 0; i < params.size(); ++i) {
    const double d = (params[i].grad() - reference->parameters()[i].grad()).abs().max().item<double>();
    if (d > 1e-6) return Fail("averaged gradient " + std::to_string(i) + " differs by " + std::to_string(d));
  }
  if (own_diff < 1e-4)
    return Fail("a half batch's own gradient already equals the full one: the test is void");

  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Loss(net, x.index_select(0, rows), y.index_select(0, rows)).backward();
    g.AverageGradients(params);
    opt.step();
  }
  // Rank 0's weights broadcast into copies: every rank's own must equal them bit for bit.
  std::vector<torch::Tensor> root;
  for (const auto& p : params) root.push_back(p.detach().clone());
  g.Broadcast(root);
  for (size_t i = 0; i < params.size(); ++i)
    if (!torch::equal(params[i], root[i])) return Fail("weights diverged after the updates");
  const std::vector<double> s = g.Sum({1.0, static_cast<double>(g.rank())});
  if (s[0] != 2.0 || s[1] != 1.0)
    return Fail("Sum gave " + std::to_string(s[0]) + ", " + std::to_string(s[1]));
  std::printf("rank %d: ok\n", g.rank());
  return 0;
}

// Rank 1 leaves at once; rank 0's next collective must fail, within the timeout, naming the operation.
int LostRank(DistGroup& g) {
  if (g.rank() == 1) std::_Exit(0);
  auto net = TinyNet(0);
  Loss(net, Batch().first, Batch().second).backward();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    std::vector<torch::Tensor> params = net->parameters();
    g.AverageGradients(params);
  } catch (const s2r::rl::LostRankError& e) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("lost after %.2f s: %s\n", s, e.what());
    return s < 12 ? 0 : Fail("took " + std::to_string(s) + " s");
  }
  return Fail("the allreduce with a dead rank returned");
}

// Ranks that run different configurations are refused on every rank.
int Mismatch(DistGroup& g) {
  try {
    g.RequireSame("obs mode", g.rank() == 0 ? "state" : "rgb");
  } catch (const s2r::ConfigError& e) {
    std::printf("refused: %s\n", e.what());
    return 0;
  }
  return Fail("a mismatch was accepted");
}

int RunChild(const std::string& part) {
  try {
    DistConfig c = s2r::rl::DistConfigFromEnvironment();
    c.timeout_s = 3;
    DistGroup g(c);
    if (part == "gradient") return GradientRank(g);
    if (part == "lost") return LostRank(g);
    if (part == "mismatch") return Mismatch(g);
    return Fail("unknown part " + part);
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}

// ------------------------------------------------------------------ the parent (gtest)

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct RankResult {
  int exit_code = -1;
  std::string out;
};

// Starts `world` ranks of this binary for `part` and waits for all (at most 60 s each).
std::vector<RankResult> RunRanks(const std::string& part, int world) {
  const std::string port = std::to_string(FreePort());
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  for (int r = 0; r < world; ++r) {
    logs.push_back(testing::TempDir() + "dist_" + part + "_" + std::to_string(r) + ".log");
    const pid_t pid = fork();
    if (pid == 0) {
      if (!freopen(logs.back().c_str(), "w", stdout) || dup2(fileno(stdout), STDERR_FILENO) < 0) _exit(126);
      setenv("S2R_DIST_CHILD", part.c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      execl("/proc/self/exe", "dist_test", static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::vector<RankResult> out(world);
  for (int r = 0; r < world; ++r) {
    int status = 0;
    for (int i = 0; i < 600 && waitpid(pids[r], &status, WNOHANG) == 0; ++i) usleep(100000);
    if (waitpid(pids[r], &status, WNOHANG) == 0) {
      kill(pids[r], SIGKILL);
      waitpid(pids[r], &status, 0);
    }
    out[r].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(logs[r]);
    std::stringstream ss;
    ss << in.rdbuf();
    out[r].out = ss.str();
  }
  return out;
}

}  // namespace

TEST(DistConfigTest, ReadsTorchrunsVariablesAndNamesABadOne) {
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "3", 1);
  setenv("LOCAL_RANK", "1", 1);
  setenv("MASTER_ADDR", "10.0.0.2", 1);
  setenv("MASTER_PORT", "29999", 1);
  const DistConfig c = s2r::rl::DistConfigFromEnvironment();
  EXPECT_EQ(c.world_size, 4);
  EXPECT_EQ(c.rank, 3);
  EXPECT_EQ(c.local_rank, 1);
  EXPECT_EQ(c.master_addr, "10.0.0.2");
  EXPECT_EQ(c.master_port, 29999);
  EXPECT_TRUE(c.enabled());
  setenv("RANK", "4", 1);
  try {
    s2r::rl::DistConfigFromEnvironment();
    ADD_FAILURE() << "RANK >= WORLD_SIZE accepted";
  } catch (const s2r::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("RANK=4"), std::string::npos) << e.what();
  }
  setenv("MASTER_PORT", "http", 1);
  setenv("RANK", "0", 1);
  EXPECT_THROW(s2r::rl::DistConfigFromEnvironment(), s2r::ConfigError);
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) unsetenv(v);
  EXPECT_FALSE(s2r::rl::DistConfigFromEnvironment().enabled());
}

TEST(DistGroupTest, AveragedGradientEqualsTheConcatenatedBatchsAndWeightsStayIdentical) {
  const auto r = RunRanks("gradient", 2);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(r[k].exit_code, 0) << "rank " << k << ":\n" << r[k].out;
    EXPECT_NE(r[k].out.find("rank " + std::to_string(k) + ": ok"), std::string::npos) << r[k].out;
  }
}

TEST(DistGroupTest, ALostRankFailsTheOthersCollectiveWithinTheTimeout) {
  const auto r = RunRanks("lost", 2);
  EXPECT_EQ(r[0].exit_code, 0) << r[0].out;
  EXPECT_NE(r[0].out.find("allreduce of the gradients failed"), std::string::npos) << r[0].out;
  EXPECT_NE(r[0].out.find("lost rank 1 "), std::string::npos) << r[0].out;
}

TEST(DistGroupTest, RanksThatDisagreeAreRefusedOnEveryRankNamingTheRank) {
  const auto r = RunRanks("mismatch", 2);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(r[k].exit_code, 0) << r[k].out;
    EXPECT_NE(r[k].out.find("rank 0 has 'state', rank 1 has 'rgb'"), std::string::npos) << r[k].out;
  }
}

TEST(DistGroupTest, AnUnreachableRendezvousNamesTheAddressAndPort) {
  DistConfig c;
  c.world_size = 2, c.rank = 1, c.master_port = FreePort(), c.timeout_s = 1.5;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    DistGroup g(c);
    ADD_FAILURE() << "joined a job without rank 0";
  } catch (const s2r::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(c.master_port)), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20.0);
}

int main(int argc, char** argv) {
  if (const char* part = std::getenv("S2R_DIST_CHILD"); part != nullptr) {
    torch::set_num_threads(1);
    return RunChild(part);
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
