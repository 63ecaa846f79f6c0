#include "deploy/real_eval.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/stop_signal.h"
#include "media/video_writer.h"

namespace fs = std::filesystem;

namespace s2r::deploy {

// A second Ctrl+C must not cut the return to rest short: it is a request like the first.
void InstallStopHandler() { InstallStopSignals(SecondSignal::kKeepWaiting); }
bool StopRequested() { return s2r::StopRequested(); }
void RequestStop() { s2r::RequestStop(); }
void ClearStop() { s2r::ClearStop(); }

ReturnToRestGuard::ReturnToRestGuard(RealGraspCubeEnv& env, hw::So100Follower& robot, double timeout_s,
                                     std::function<void(const std::string&)> warn)
    : env_(env), robot_(robot), timeout_s_(timeout_s), warn_(std::move(warn)) {}

ReturnToRestGuard::~ReturnToRestGuard() {
  try {
    if (!env_.MoveToRest(timeout_s_)) warn_("the arm did not reach rest in time; turning torque off there");
  } catch (const std::exception& e) {
    warn_(std::string("could not return to rest: ") + e.what());
  }
  try {
    robot_.TorqueOff();
  } catch (const std::exception& e) {
    warn_(std::string("torque off failed: ") + e.what() + " (the disconnect retries)");
  }
}

RealEvalResult RunRealEval(RealGraspCubeEnv& env, const RealActFn& act,
                           const std::function<void()>& on_episode_start, const RealEvalOptions& o,
                           const RealEvalIo& io) {
  RealEvalResult r;
  std::vector<float> action(so100::kNumJoints);
  for (int ep = 0; o.num_episodes <= 0 || ep < o.num_episodes; ++ep) {
    if (StopRequested()) break;
    env.Reset(io.reset_scene);
    if (on_episode_start) on_episode_start();
    std::unique_ptr<media::Mp4Writer> video;
    if (!o.record_dir.empty() && !env.raw_frame().empty()) {
      fs::create_directories(o.record_dir);
      const std::string path =
          (fs::path(o.record_dir) / ("real_eval_" + std::to_string(ep) + ".mp4")).string();
      video = std::make_unique<media::Mp4Writer>(path, env.raw_frame().width, env.raw_frame().height, 15.0);
      video->AddFrame(env.raw_frame());
      r.videos.push_back(path);
    }
    bool success_once = false, known = false;
    int t = 0;
    for (; t < o.max_episode_steps && !StopRequested(); ++t) {
      if (!o.continuous && !io.wait_enter("step " + std::to_string(t + 1) + "/" +
                                          std::to_string(o.max_episode_steps) + ": press Enter"))
        break;
      act(env.obs().data(), env.image().empty() ? nullptr : env.image().pixels.data(), action.data());
      env.Step(action.data());
      ++r.steps;
      if (video) video->AddFrame(env.raw_frame());
      if (io.success) {
        const std::optional<bool> s = io.success();
        if (s) known = true, success_once |= *s;
      }
    }
    if (video) video->Close();
    if (t < o.max_episode_steps) break;  // stopped mid-episode: not counted
    ++r.episodes;
    r.success_known = known;
    r.successes += success_once ? 1 : 0;
    if (io.info) {  // the progress line: a person may be resetting the scene between episodes
      char line[200];
      std::snprintf(line, sizeof(line), "episode %d/%d: %d steps%s", ep + 1, o.num_episodes, t,
                    known ? (success_once ? ", success" : ", no success") : "");
      std::string s = line;
      if (known) {
        std::snprintf(line, sizeof(line), " (%d/%d succeeded so far)", r.successes, r.episodes);
        s += line;
      }
      io.info(s);
    }
  }
  r.interrupted = StopRequested();
  r.overruns = env.overruns();
  return r;
}

}  // namespace s2r::deploy
