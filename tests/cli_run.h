// Running the sim2real binary from a test: its exit code and output.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace s2r::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout, plus stderr where merged
};

// Runs `command` through the shell, at most 300 s, with stdin from /dev/null.
// merge_stderr: 2>&1; otherwise stderr is dropped so stdout stays machine-readable.
inline RunResult RunShell(const std::string& command, bool merge_stderr = true) {
  const std::string cmd =
      "timeout 300 " + command + (merge_stderr ? " 2>&1" : " 2>/dev/null") + " </dev/null";
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << cmd;
    return r;
  }
  std::array<char, 4096> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), got);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// `sim2real <args>` started in the background without a shell (posix_spawn), its stdout written to
// `out_file` and its stderr to `err_file` (empty: the test's own). Returns the pid (-1 if it could not
// start); the caller signals and reaps it.
inline pid_t SpawnCli(const std::vector<std::string>& args, const std::string& out_file,
                      const std::string& err_file = "") {
  std::vector<char*> argv = {const_cast<char*>(S2R_BINARY)};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!err_file.empty())
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, S2R_BINARY, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// `[prefix] sim2real <args>`: the binary under test (S2R_BINARY) through RunShell.
inline RunResult RunCli(const std::string& args, bool merge_stderr = true, const std::string& prefix = "") {
  return RunShell(prefix + " '" + std::string(S2R_BINARY) + "' " + args, merge_stderr);
}

}  // namespace s2r::testing
