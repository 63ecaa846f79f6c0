// sim2real: one binary, one subcommand per job (`sim2real --help` lists them).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <stdexcept>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/error.h"
#include "hw/device_error.h"
#ifndef S2R_DEPLOY_ONLY
#include "rl/compute_threads.h"
#endif

int main(int argc, char** argv) {
#ifdef S2R_DEPLOY_ONLY
  CLI::App app{
      "sim2real (deploy-only build: no MuJoCo, no libtorch): run exported (.onnx) policies on real "
      "SO-100/SO-101 arms; set up motors, calibration and cameras"};
#else
  CLI::App app{
      "sim2real: train vision-based robot policies in a parallel MuJoCo twin and run them on real "
      "SO-100/SO-101 arms"};
#endif
  app.require_subcommand(1);
  app.set_version_flag("--version", "sim2real 0.1.0");
  // The robot-side verbs are in every build; the others need MuJoCo and libtorch (not in the deploy-only
  // build, cmake -DSIM2REAL_DEPLOY_ONLY=ON).
#ifndef S2R_DEPLOY_ONLY
  s2r::app::AddEnvsCommand(app);
  s2r::app::AddScriptedCommand(app);
  s2r::app::AddTrainCommand(app);
  s2r::app::AddLaunchCommand(app);
#endif
  s2r::app::AddEvalCommand(app);
#ifndef S2R_DEPLOY_ONLY
  s2r::app::AddRenderCommand(app);
  s2r::app::AddRecordResetsCommand(app);
#endif
  s2r::app::AddMotorsCommand(app);
#ifndef S2R_DEPLOY_ONLY
  s2r::app::AddVirtualRobotCommand(app);
#endif
  s2r::app::AddCalibrateCommand(app);
#ifndef S2R_DEPLOY_ONLY
  s2r::app::AddCompareRunsCommand(app);
  s2r::app::AddExportOnnxCommand(app);
  s2r::app::AddAlignCameraCommand(app);
#endif
  s2r::app::AddCaptureBackgroundCommand(app);
  s2r::app::AddFindPortCommand(app);
  s2r::app::AddFindCamerasCommand(app);
#ifndef S2R_DEPLOY_ONLY
  s2r::app::AddBenchCommand(app);

  // Every command that runs a policy computes on all cores, with OpenBLAS kept to one thread beneath
  // libtorch (rl/compute_threads.h); `train --ppo.threads` sets its own count.
  s2r::rl::SetComputeThreads(s2r::app::DefaultThreads());
#endif

  std::vector<std::string> args = s2r::app::NormalizeArgs(argc, argv);
  if (args.size() > 1 && !args[1].empty() && args[1][0] != '-') {  // an unknown command, named
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known |= sub->get_name() == args[1];
    if (!known) {
#ifdef S2R_DEPLOY_ONLY
      for (const char* full : {"envs", "scripted", "train", "launch", "render", "record-resets",
                               "virtual-robot", "compare-runs", "export-onnx", "align-camera", "bench"}) {
        if (args[1] == full) {
          std::fprintf(stderr,
                       "sim2real: error: '%s' is not in this deploy-only build (the robot-side commands "
                       "only; 'sim2real --help' lists them): run it with the full build\n",
                       full);
          return 2;
        }
      }
#endif
      std::fprintf(stderr, "sim2real: error: unknown command '%s'; 'sim2real --help' lists the commands\n",
                   args[1].c_str());
      return 2;
    }
  }
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every parse error is bad input: one line naming the flag, exit 2.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "%s\n", s2r::app::ParseErrorLine(app, e).c_str());
    return 2;
  } catch (const s2r::Interrupted& e) {
    std::fprintf(stderr, "sim2real: %s\n", e.what());
    return 130;
  } catch (const s2r::ConfigError& e) {
    std::fprintf(stderr, "sim2real: error: %s\n", e.what());
    return 2;
  } catch (const s2r::hw::DeviceError& e) {
    // A serial port or i2c device that is not there is bad input (its message says where to look).
    std::fprintf(stderr, "sim2real: error: %s\n", e.what());
    return e.missing() ? 2 : 1;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "sim2real: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sim2real: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
