// Command-line helpers shared by every subcommand.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "sim/grasp_cube_config.h"

namespace s2r::app {

// Normalizes flag spellings so the Python tools' commands run verbatim: in "--some_flag=value" the
// name's underscores become dashes (values are left alone).
std::vector<std::string> NormalizeArgs(int argc, char** argv);

// The flags that pick and configure an environment, shared by every command that builds one.
struct EnvFlags {
  std::string env_id = "SO100GraspCube-v1";
  std::string env_kwargs_json_path;  // empty: built-in defaults
  std::string robot_mjcf;            // overrides robot_mjcf_path
  std::string control_mode;          // overrides control_mode
  std::string obs_mode = "state";
};
void AddEnvFlags(CLI::App* cmd, EnvFlags* flags, bool with_obs_mode);
// The env config of flags.env_id: its JSON (if any) over the task's defaults, then the flag overrides.
std::unique_ptr<sim::EnvConfig> BuildEnvConfig(const EnvFlags& flags);
// The same for the SO-100 tools (`command`: align-camera, eval --real, ...), which need SO100GraspCube-v1:
// another --env-id is refused naming the command.
sim::GraspCubeConfig BuildGraspCubeConfig(const EnvFlags& flags, const std::string& command);

// One line for a command-line error, naming the command and the flag; an unknown flag gets the closest
// known one ("did you mean --ppo.num-envs?").
std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& e);
// Refuses, naming the flag, any of `options` given on the command line: "<flag>: <why>" (flags that belong
// to another mode of the command are refused, not ignored).
void RefuseGiven(const std::vector<CLI::Option*>& options, const std::string& why);

// The known flag closest to `flag` among `cmd`'s (edit distance at most a third of its length), or "".
std::string ClosestFlag(const CLI::App& cmd, const std::string& flag);

// The image writers write PNG: a path named otherwise (.jpg, none) is refused naming `flag`, instead of a
// PNG under a name that says another format.
void RequirePngPath(const std::string& path, const std::string& flag);

// The paths matching any of the glob patterns, sorted, without duplicates.
std::vector<std::string> GlobPaths(const std::vector<std::string>& patterns);

// Creates the folder `path` if needed and checks that files can be made in it; ConfigError naming `flag`.
void RequireWritableFolder(const std::string& path, const std::string& flag);

// Default worker threads: the machine's cores.
int DefaultThreads();

}  // namespace s2r::app
