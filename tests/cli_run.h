// Running the sim2real binary from a test: its exit code and output.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

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

// `[prefix] sim2real <args>`: the binary under test (S2R_BINARY) through RunShell.
inline RunResult RunCli(const std::string& args, bool merge_stderr = true, const std::string& prefix = "") {
  return RunShell(prefix + " '" + std::string(S2R_BINARY) + "' " + args, merge_stderr);
}

}  // namespace s2r::testing
