// `sim2real launch --nproc N [--nnodes M --node-rank K --master-addr A --master-port P] -- train ...`: starts
// N local ranks of a data-parallel job as torchrun does: this binary with the arguments after `--`, and
// WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set. Each rank runs in a process group of its
// own, so a Ctrl+C reaches the launcher alone, which forwards it (and SIGTERM) once to every rank: they stop
// at the same iteration and rank 0 writes its checkpoint. Output: every rank's stderr line, and the stdout of
// ranks other than 0, prefixed "[rank k] "; rank 0's stdout passes through unchanged (a `--json` summary
// stays one parseable line). Exit status: 0 when every rank succeeded, else the first failure's (130 only
// if nothing worse happened).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/error.h"

namespace s2r::app {

namespace {

struct LaunchFlags {
  int nproc = 1;
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::vector<std::string> command;  // after `--`
};

volatile sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

struct Rank {
  int rank = 0;
  pid_t pid = -1;
  int out = -1, err = -1;        // read ends of its stdout and stderr
  std::string out_buf, err_buf;  // partial lines
  int status = -1;               // exit status once reaped
};

void WriteLines(std::string& buf, const std::string& prefix, FILE* to, bool flush_all) {
  size_t start = 0;
  for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
    std::fprintf(to, "%s%.*s\n", prefix.c_str(), static_cast<int>(nl - start), buf.data() + start);
  buf.erase(0, start);
  if (flush_all && !buf.empty()) {
    std::fprintf(to, "%s%s\n", prefix.c_str(), buf.c_str());
    buf.clear();
  }
  std::fflush(to);
}

// Reads what is there; false at end of file.
bool Drain(int fd, std::string& buf) {
  char chunk[4096];
  const ssize_t n = read(fd, chunk, sizeof(chunk));
  if (n > 0) buf.append(chunk, static_cast<size_t>(n));
  return n > 0 || (n < 0 && errno == EINTR);
}

int RunLaunch(const LaunchFlags& f) {
  if (f.command.empty())
    throw ConfigError(
        "launch: give the command after --, e.g. sim2real launch --nproc 2 -- train --obs-mode state");
  if (f.nproc < 1) throw ConfigError("--nproc: expected at least 1 process per machine");
  if (f.nnodes < 1) throw ConfigError("--nnodes: expected at least 1 machine");
  if (f.node_rank < 0 || f.node_rank >= f.nnodes)
    throw ConfigError("--node-rank " + std::to_string(f.node_rank) + ": expected a machine index in [0, " +
                      std::to_string(f.nnodes) + ")");
  if (f.master_port < 1 || f.master_port > 65535)
    throw ConfigError("--master-port: expected a port in [1, 65535]");
  const int world = f.nproc * f.nnodes;
  const std::string run_time = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0) throw IoError("launch: cannot find this program's path (/proc/self/exe)");
  self[len] = 0;

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<Rank> ranks(static_cast<size_t>(f.nproc));
  for (int local = 0; local < f.nproc; ++local) {
    Rank& r = ranks[static_cast<size_t>(local)];
    r.rank = f.node_rank * f.nproc + local;
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw IoError("launch: pipe: " + std::string(std::strerror(errno)));
    r.pid = fork();
    if (r.pid < 0) throw IoError("launch: fork: " + std::string(std::strerror(errno)));
    if (r.pid == 0) {
      setpgid(0, 0);  // the terminal's Ctrl+C goes to the launcher, which forwards it once
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      close(out[0]), close(out[1]), close(err[0]), close(err[1]);
      setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      setenv("RANK", std::to_string(r.rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(local).c_str(), 1);
      setenv("MASTER_ADDR", f.master_addr.c_str(), 1);
      setenv("MASTER_PORT", std::to_string(f.master_port).c_str(), 1);
      if (f.nnodes == 1) setenv("SIM2REAL_RUN_TIME", run_time.c_str(), 1);  // one run name for all ranks
      std::vector<char*> argv = {self};
      for (const auto& a : f.command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(self, argv.data());
      std::fprintf(stderr, "launch: cannot start %s: %s\n", self, std::strerror(errno));
      _exit(127);
    }
    close(out[1]), close(err[1]);
    r.out = out[0], r.err = err[0];
  }
  std::fprintf(stderr, "sim2real: launch: %d rank%s on this machine (world size %d, rendezvous %s:%d)\n",
               f.nproc, f.nproc == 1 ? "" : "s", world, f.master_addr.c_str(), f.master_port);

  int forwarded = 0;
  int running = f.nproc;
  while (running > 0) {
    if (g_signal != 0 && forwarded != g_signal) {
      forwarded = g_signal;
      for (const auto& r : ranks)
        if (r.status < 0) kill(r.pid, forwarded);
    }
    std::vector<pollfd> fds;
    std::vector<std::pair<Rank*, bool>> which;  // rank, is stderr
    for (auto& r : ranks) {
      if (r.out >= 0) fds.push_back({r.out, POLLIN, 0}), which.push_back({&r, false});
      if (r.err >= 0) fds.push_back({r.err, POLLIN, 0}), which.push_back({&r, true});
    }
    if (!fds.empty() && poll(fds.data(), fds.size(), 200) > 0) {
      for (size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        Rank& r = *which[i].first;
        const bool is_err = which[i].second;
        std::string& buf = is_err ? r.err_buf : r.out_buf;
        const bool open = Drain(fds[i].fd, buf);
        const std::string prefix = "[rank " + std::to_string(r.rank) + "] ";
        // Rank 0's stdout is the run's result: passed through as it is.
        WriteLines(buf, is_err || r.rank != 0 ? prefix : "", is_err ? stderr : stdout, !open);
        if (!open) {
          close(fds[i].fd);
          (is_err ? r.err : r.out) = -1;
        }
      }
    } else if (fds.empty()) {
      usleep(50000);
    }
    for (auto& r : ranks) {
      if (r.status >= 0 || r.out >= 0 || r.err >= 0) continue;  // reap once its output is read
      int st = 0;
      if (waitpid(r.pid, &st, 0) == r.pid) {
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        --running;
        if (r.status != 0)
          std::fprintf(stderr, "sim2real: launch: rank %d exited with status %d\n", r.rank, r.status);
      }
    }
  }
  int code = 0;
  for (const auto& r : ranks)
    if (r.status != 0 && (code == 0 || code == 130)) code = r.status;
  return code;
}

}  // namespace

void AddLaunchCommand(CLI::App& app) {
  static LaunchFlags f;
  auto* cmd = app.add_subcommand(
      "launch",
      "Start the ranks of a data-parallel job on this machine, as torchrun does: sim2real launch --nproc N "
      "[--nnodes M --node-rank K --master-addr A --master-port P] -- train ...");
  cmd->add_option("--nproc,--nproc-per-node", f.nproc, "ranks on this machine")->capture_default_str();
  cmd->add_option("--nnodes", f.nnodes, "machines in the job")->capture_default_str();
  cmd->add_option("--node-rank", f.node_rank, "this machine's index, 0 on the one that runs rank 0")
      ->capture_default_str();
  cmd->add_option("--master-addr", f.master_addr, "host of the machine with rank 0 (its rendezvous store)")
      ->capture_default_str();
  cmd->add_option("--master-port", f.master_port, "TCP port of the rendezvous store on that machine")
      ->capture_default_str();
  cmd->add_option("command", f.command, "the sim2real command every rank runs, after --")->expected(-1);
  cmd->callback([] {
    const int code = RunLaunch(f);
    std::fflush(stdout);
    if (code != 0) std::exit(code);
  });
}

}  // namespace s2r::app
