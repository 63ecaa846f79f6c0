// End-to-end tests of the built `sim2real` binary: help, `envs`, `scripted`, `bench env` and the
// error messages users see. Each test runs the real binary and checks its output.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "cli_run.h"
#include "media/image.h"
#include "media/video_writer.h"
#include "virtual_robot_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

using s2r::testing::RunCli;
using s2r::testing::RunResult;

// Parses a command's stdout as one JSON value; reports the output on failure.
json ParseJsonLine(const std::string& out) {
  try {
    return json::parse(out);
  } catch (const json::parse_error& e) {
    ADD_FAILURE() << "not JSON (" << e.what() << "):\n" << out;
    return json::object();
  }
}

// A temporary file removed on scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = (fs::temp_directory_path() /
             ("s2r_cli_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".json"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CliTest, HelpListsSubcommands) {
  const RunResult r = RunCli("--help", true);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("envs"));
  EXPECT_THAT(r.out, HasSubstr("scripted"));
  EXPECT_THAT(r.out, HasSubstr("bench"));
  EXPECT_THAT(r.out, HasSubstr("Subcommands"));
}

TEST(CliTest, NoSubcommandIsAnError) {
  const RunResult r = RunCli("", true);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("subcommand"));
}

// Every parse error exits 2 with one line that names the command and the flag; an unknown flag gets the
// closest known one.
TEST(CliTest, BadCommandLinesExitTwoNamingTheFlag) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"train --ppo.num-envz 3", "unknown flag --ppo.num-envz (did you mean --ppo.num-envs?)"},
      {"train --ppo.num_envz=3", "did you mean --ppo.num-envs?"},
      {"eval --checkpiont x.pt", "did you mean --checkpoint?"},
      {"scripted --num-episode 2", "did you mean --num-episodes?"},
      {"train --ppo.num-envs zero", "--ppo.num-envs"},
      {"train --ppo.seed -1", "--ppo.seed"},
      {"train --ppo.total-timesteps", "--ppo.total-timesteps"},
      {"scripted --num-episodes 2 --num-episodes 3", "--num-episodes"},
      {"frobnicate", "frobnicate"},
      {"train --algo sac --dry-run", "--algo"},
      {"motors scan", "--port"},
      {"render --out frame.jpg", "--out frame.jpg: images are written as PNG"},
  };
  for (const auto& [args, named] : cases) {
    const RunResult r = RunCli(args, true);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(named), std::string::npos) << args << "\n" << r.out;
    std::string text = r.out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    EXPECT_EQ(text.find('\n'), std::string::npos) << "one line: " << args << "\n" << r.out;
  }
}

// A checkpoint that is missing, a folder, not a checkpoint, or a .pt renamed .onnx: exit 2 naming it.
TEST(CliTest, BadCheckpointPathsExitTwoSayingWhatIsWrong) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("s2r_ckpt_paths_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "run");
  std::ofstream(dir / "run/final_ckpt.pt") << "not really";
  std::ofstream(dir / "run/ckpt_1.pt") << "not really";
  std::ofstream(dir / "renamed.onnx") << std::string("PK\x03\x04rest of a zip", 20);
  std::ofstream(dir / "text.pt") << "hello";
  const std::string d = dir.string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"eval --checkpoint " + d + "/missing.pt", "no such file"},
      {"eval --checkpoint " + d + "/run",
       "is a folder; pass a checkpoint file in it (ckpt_1.pt, final_ckpt.pt)"},
      {"eval --checkpoint " + d + "/renamed.onnx", "renamed .onnx, not an ONNX model"},
      {"eval --checkpoint " + d + "/text.pt", "--checkpoint"},
      {"export-onnx --checkpoint " + d + "/run", "is a folder"},
      {"export-onnx --checkpoint " + d + "/text.pt", "--checkpoint"},
      {"train --resume-training --checkpoint " + d + "/missing.pt", "no such file"},
      {"train --resume-training --checkpoint " + d + "/text.pt", "--checkpoint"},
  };
  for (const auto& [args, msg] : cases) {
    const RunResult r = RunCli(args, true);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(msg), std::string::npos) << args << "\n" << r.out;
  }
  std::filesystem::remove_all(dir);
}

// A virtual robot never takes over a link a live one serves, and never replaces a different calibration
// file unless told to (then it keeps a .bak).
TEST(CliTest, VirtualRobotKeepsOthersLinksAndCalibrations) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("s2r_vr_guard_" + std::to_string(::getpid()));
  s2r::testing::VirtualArm arm(dir / "live");
  ASSERT_TRUE(arm.ready());
  const RunResult second = RunCli("virtual-robot --port-link " + arm.port() + " --duration 1", true);
  EXPECT_EQ(second.exit_code, 2) << second.out;
  EXPECT_NE(second.out.find("already links to /dev/pts/"), std::string::npos) << second.out;
  EXPECT_TRUE(std::filesystem::is_symlink(arm.port())) << "the live robot's link was removed";

  // Another calibration under the same id: refused, the file untouched.
  const std::filesystem::path cal = dir / "cal";
  std::filesystem::create_directories(cal);
  std::string text;
  {
    std::ifstream in(arm.cal_dir() + "/vr.json");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const size_t at = text.find("\"homing_offset\": ");
  ASSERT_NE(at, std::string::npos) << text;
  std::string other = text;  // another homing offset for the first joint
  other.replace(at + 17, text.find_first_of(",\n}", at + 17) - (at + 17), "1234");
  std::ofstream(cal / "vr.json") << other;
  const std::string write = "virtual-robot --port-link " + (dir / "port2").string() +
                            " --write-calibration vr --calibration-dir " + cal.string() + " --duration 0.2";
  const RunResult refused = RunCli(write, true);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("already holds another calibration; pass --overwrite"), std::string::npos)
      << refused.out;
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(cal / "vr.json"), other);
  const RunResult replaced = RunCli(write + " --overwrite", true);
  EXPECT_EQ(replaced.exit_code, 0) << replaced.out;
  EXPECT_EQ(read(cal / "vr.json.bak"), other);
  EXPECT_EQ(read(cal / "vr.json"), text);
  // The same calibration again: nothing to refuse, nothing rewritten.
  const RunResult same = RunCli(write, true);
  EXPECT_EQ(same.exit_code, 0) << same.out;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, EnvsJsonDescribesGraspCube) {
  const RunResult r = RunCli("envs --json", false);
  ASSERT_EQ(r.exit_code, 0);
  const json envs = ParseJsonLine(r.out);
  ASSERT_TRUE(envs.is_array());
  const json* grasp = nullptr;
  for (const auto& e : envs)
    if (e.value("id", "") == "SO100GraspCube-v1") grasp = &e;
  ASSERT_NE(grasp, nullptr) << r.out;
  const json& e = *grasp;
  EXPECT_EQ(e["obs_modes"]["state"]["obs_shape"], json::array({31}));
  EXPECT_EQ(e["obs_modes"]["rgb"]["obs_shape"], json::array({17}));
  EXPECT_EQ(e["obs_modes"]["state"]["obs_names"].size(), 31u);
  EXPECT_EQ(e["obs_modes"]["state"]["obs_names"][0], "qpos/shoulder_pan");
  EXPECT_EQ(e["action_shape"], json::array({6}));
  EXPECT_EQ(e["action_low"], json::array({-1.0, -1.0, -1.0, -1.0, -1.0, -1.0}));
  EXPECT_EQ(e["action_high"], json::array({1.0, 1.0, 1.0, 1.0, 1.0, 1.0}));
  EXPECT_EQ(e["max_episode_steps"], 64);
  EXPECT_EQ(e["control_freq_hz"], 20.0);
  EXPECT_EQ(e["control_modes"],
            json::array({"pd_joint_target_delta_pos", "pd_joint_delta_pos", "pd_joint_pos"}));
}

TEST(CliTest, EnvsJsonDescribesTheJetbotTasks) {
  const RunResult r = RunCli("envs --json", false);
  ASSERT_EQ(r.exit_code, 0);
  int found = 0;
  for (const auto& e : ParseJsonLine(r.out)) {
    const std::string id = e.value("id", "");
    if (id != "Isaac-Jetbot-Direct-v0" && id != "JetbotGoal-v0") continue;
    ++found;
    EXPECT_EQ(e["action_shape"], json::array({2})) << id;
    EXPECT_EQ(e["control_modes"], json::array({"motor_duty"})) << id;
    EXPECT_EQ(e["max_episode_steps"], 150) << id;
    EXPECT_EQ(e["control_freq_hz"], 30.0) << id;
    EXPECT_EQ(e["obs_modes"]["state"]["obs_shape"], json::array({11})) << id;
    EXPECT_EQ(e["obs_modes"]["rgb"]["obs_shape"], json::array({2})) << id;  // the last action
    EXPECT_EQ(e["obs_modes"]["rgb"]["image_shape"], json::array({224, 224, 3})) << id;
  }
  EXPECT_EQ(found, 2) << r.out;
}

// The Jetbot's scripted driver through the command (the issue's measure: >= 0.9 over 200 episodes).
TEST(CliTest, ScriptedDriverReachesTheBlockOnJetbotGoal) {
  const RunResult r =
      RunCli("scripted --env-id JetbotGoal-v0 --num-episodes 200 --num-envs 16 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json out = ParseJsonLine(r.out);
  EXPECT_EQ(out["episodes"], 200);
  EXPECT_EQ(out["control_mode"], "motor_duty");
  EXPECT_GE(out["success_rate"].get<double>(), 0.9);
  EXPECT_FALSE(out.contains("grasp_rate"));
  EXPECT_EQ(out["diverged"], 0);
}

TEST(CliTest, EnvsTextMentionsShapes) {
  const RunResult r = RunCli("envs", false);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("SO100GraspCube-v1"));
  EXPECT_THAT(r.out, HasSubstr("obs mode state: [31]"));
  EXPECT_THAT(r.out, HasSubstr("obs mode rgb: [17]"));
}

// Both flag spellings (the Python tools' underscores and CLI11's dashes, '=' or a space) work.
TEST(CliTest, ScriptedAcceptsBothFlagSpellings) {
  for (const std::string env_flag : {"--env_id=SO100GraspCube-v1", "--env-id SO100GraspCube-v1",
                                     "--env_id SO100GraspCube-v1", "--env-id=SO100GraspCube-v1"}) {
    const RunResult r =
        RunCli("scripted " + env_flag + " --num-episodes 2 --num_envs 2 --threads 1 --json", false);
    ASSERT_EQ(r.exit_code, 0) << env_flag;
    const json out = ParseJsonLine(r.out);
    EXPECT_EQ(out["env_id"], "SO100GraspCube-v1") << env_flag;
    EXPECT_EQ(out["episodes"], 2) << env_flag;
    EXPECT_EQ(out["control_mode"], "pd_joint_target_delta_pos");
    const double rate = out["success_rate"].get<double>();
    EXPECT_GE(rate, 0.0) << env_flag;
    EXPECT_LE(rate, 1.0) << env_flag;
    const double grasp = out["grasp_rate"].get<double>();
    EXPECT_GE(grasp, 0.0);
    EXPECT_LE(grasp, 1.0);
    EXPECT_EQ(out["diverged"], 0);
  }
}

TEST(CliTest, ScriptedIsReproducibleAndHonoursEnvConfig) {
  const std::string args = " --num-episodes 4 --num-envs 2 --threads 2 --seed 3 --json";
  const RunResult a = RunCli("scripted" + args, false);
  const RunResult b = RunCli("scripted" + args + " --env-kwargs-json-path '" + S2R_SOURCE_DIR +
                                 "/env_config.json'"
                                 " --control-mode pd_joint_target_delta_pos",
                             false);
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  const json ja = ParseJsonLine(a.out), jb = ParseJsonLine(b.out);
  EXPECT_EQ(ja["episodes"], 4);
  EXPECT_EQ(jb["episodes"], 4);
  EXPECT_EQ(ja["seed"], 3);
  const RunResult again = RunCli("scripted" + args, false);
  EXPECT_EQ(ParseJsonLine(again.out), ja);  // same seed, same numbers
}

TEST(CliTest, UnknownEnvIdNamesFlagAndId) {
  for (const std::string flag : {"--env-id", "--env_id"}) {
    const RunResult r = RunCli("scripted " + flag + "=SO100NoSuchTask-v9 --num-episodes 1", true);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.out, HasSubstr("--env-id"));
    EXPECT_THAT(r.out, HasSubstr("SO100NoSuchTask-v9"));
    EXPECT_THAT(r.out, HasSubstr("SO100GraspCube-v1"));  // lists what is registered
  }
  const RunResult bench = RunCli("bench env --env-id Nope-v0 --num-envs 1 --seconds 0.01 --rounds 1", true);
  EXPECT_NE(bench.exit_code, 0);
  EXPECT_THAT(bench.out, HasSubstr("Nope-v0"));
}

TEST(CliTest, MissingEnvConfigFileNamesPath) {
  const std::string missing = (fs::temp_directory_path() / "s2r_cli_no_such_config_2718.json").string();
  const RunResult r = RunCli("scripted --num-episodes 1 --env-kwargs-json-path '" + missing + "'", true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--env-kwargs-json-path"));
  EXPECT_THAT(r.out, HasSubstr(missing));
}

TEST(CliTest, EnvConfigWithUnknownKeyNamesKey) {
  TempFile file(R"({"spawn_box_pos": [0.3, 0.05], "spawn_box_size": 0.1})");
  const RunResult r = RunCli("scripted --num-episodes 1 --env_kwargs_json_path=" + file.path(), true);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("spawn_box_size"));
  EXPECT_THAT(r.out, HasSubstr(file.path()));
}

TEST(CliTest, BadFlagValuesAreReported) {
  const RunResult mode = RunCli("scripted --num-episodes 1 --control-mode pd_ee_pose", true);
  EXPECT_EQ(mode.exit_code, 2) << mode.out;
  EXPECT_THAT(mode.out, HasSubstr("--control-mode"));
  EXPECT_THAT(mode.out, HasSubstr("pd_ee_pose"));
  const RunResult zero = RunCli("scripted --num-episodes 0", true);
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_THAT(zero.out, HasSubstr("--num-episodes"));
  const RunResult unknown = RunCli("envs --no-such-flag", true);
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.out, HasSubstr("--no-such-flag"));
}

TEST(CliTest, BenchEnvReportsPositiveRates) {
  const RunResult r = RunCli("bench env --num-envs 8 --threads 2 --seconds 0.2 --rounds 1 --json", false);
  ASSERT_EQ(r.exit_code, 0);
  const json out = ParseJsonLine(r.out);
  EXPECT_EQ(out["num_envs"], 8);
  EXPECT_EQ(out["threads"], 2);
  EXPECT_GT(out["raw_mujoco_steps_per_sec"].get<double>(), 0.0);
  EXPECT_GT(out["engine_1_thread_steps_per_sec"].get<double>(), 0.0);
  EXPECT_GT(out["engine_steps_per_sec"].get<double>(), 0.0);
  EXPECT_GT(out["ratio_vs_raw_mujoco"].get<double>(), 0.0);
  EXPECT_GT(out["thread_scaling"].get<double>(), 0.0);
  EXPECT_GT(out["memory_per_env_bytes"].get<double>(), 0.0);
  // The ratio is what it says it is.
  EXPECT_NEAR(
      out["ratio_vs_raw_mujoco"].get<double>(),
      out["engine_1_thread_steps_per_sec"].get<double>() / out["raw_mujoco_steps_per_sec"].get<double>(),
      1e-9);
}

// A fresh temporary folder removed on scope exit.
class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("s2r_cli_dir_" + std::to_string(getpid()) + "_" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline std::atomic<int> counter_{0};
  fs::path path_;
};

// Writes a run folder holding only metrics.csv (the long format the trainer writes).
void WriteRun(const std::string& dir, const std::string& rows) {
  fs::create_directories(dir);
  std::ofstream(dir + "/metrics.csv") << "step,tag,value,wall_time\n" << rows;
}

TEST(CliTest, CompareRunsTablesEvalValuesCostAndMedians) {
  const TempDir dir;
  // Run a: evals 0 / 0.5 / 1 at steps 0 / 100 / 200; 300 steps in 30 s of rollout + update; iterations'
  // rollout 1, 3, 2 s (median 2) and update 4, 4, 10 s (median 4).
  WriteRun(dir / "a",
           "0,eval/success_once,0,1\n100,eval/success_once,0.5,2\n200,eval/success_once,1,3\n"
           "100,time/rollout_time,1,2\n200,time/rollout_time,3,3\n300,time/rollout_time,2,4\n"
           "100,time/update_time,4,2\n200,time/update_time,4,3\n300,time/update_time,10,4\n"
           "300,time/total_rollout+update_time,30,4\n");
  // Run b: stops at 150 steps after 30 s (twice a's cost per step); rollout 1, 2 s (median 1.5).
  WriteRun(dir / "b",
           "0,eval/success_once,0,1\n150,eval/success_once,0.25,2\n"
           "75,time/rollout_time,1,1\n150,time/rollout_time,2,2\n75,time/update_time,2,1\n"
           "150,time/update_time,6,2\n150,time/total_rollout+update_time,30,2\n");
  const std::string png = dir / "curves.png";
  const RunResult r = RunCli("compare-runs '" + (dir / "a") + "' '" + (dir / "b") +
                                 "' --at-steps 100,200 --out '" + png + "' --json",
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json runs = ParseJsonLine(r.out);
  ASSERT_TRUE(runs.is_array());
  ASSERT_EQ(runs.size(), 2u);
  const json& a = runs[0];
  const json& b = runs[1];
  EXPECT_EQ(a["run"], "a");
  EXPECT_DOUBLE_EQ(a["at_steps"]["100"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(a["at_steps"]["200"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a["best"].get<double>(), 1.0);
  EXPECT_EQ(a["last_step"], 300);
  EXPECT_DOUBLE_EQ(a["seconds_per_env_step"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(a["cost_vs_first"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(a["median_rollout_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(a["median_update_s"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(b["at_steps"]["100"].get<double>(), 0.0);  // the last eval at or before 100
  EXPECT_TRUE(b["at_steps"]["200"].is_null());                // b never got there
  EXPECT_DOUBLE_EQ(b["best"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(b["cost_vs_first"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(b["median_rollout_s"].get<double>(), 1.5);  // even count: mean of the middle two
  EXPECT_DOUBLE_EQ(b["median_update_s"].get<double>(), 4.0);
  const auto plot = s2r::media::ReadImage(png, "compare-runs plot");
  EXPECT_GT(plot.width, 100);
  EXPECT_GT(plot.height, 100);

  // The text table carries the same figures, a "-" where a run has not reached a step.
  const RunResult text =
      RunCli("compare-runs '" + (dir / "a") + "' '" + (dir / "b") + "' --at-steps 100,200", false);
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out,
              ::testing::ContainsRegex("b +0\\.000 +- +0\\.250 +150 +200000\\.0 +2\\.00 +1\\.50 +4\\.00"));

  // A folder without metrics.csv is named.
  const RunResult bad = RunCli("compare-runs '" + (dir / "a") + "' '" + (dir / "nope") + "'", true);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.out, HasSubstr(dir / "nope"));
  EXPECT_THAT(bad.out, HasSubstr("metrics.csv"));
}

TEST(CliTest, RenderWritesThePolicyViewWithAndWithoutGreenscreen) {
  TempDir dir;
  // A flat green photo as the background.
  std::vector<uint8_t> photo(40 * 30 * 3);
  for (size_t i = 0; i < photo.size(); i += 3) photo[i + 1] = 255;
  s2r::media::WritePng(dir / "bg.png", photo.data(), 40, 30, 3);
  TempFile cfg(R"({"greenscreen_overlay_path": ")" + dir / "bg.png" + R"("})");
  const RunResult r = RunCli("render --env_id=SO100GraspCube-v1 --env-kwargs-json-path " + cfg.path() +
                                 " --out " + dir / "frame.png" + " --size 96 --seed 4 --json",
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json out = ParseJsonLine(r.out);
  EXPECT_EQ(out["greenscreen"], "background");
  const auto with = s2r::media::ReadImage(dir / "frame.png", "test");
  const auto without = s2r::media::ReadImage(dir / "frame_no_greenscreen.png", "test");
  ASSERT_EQ(with.width, 96);
  ASSERT_EQ(with.height, 96);
  ASSERT_EQ(without.width, 96);
  // The background became the green photo; the robot and cube stayed.
  int green = 0, same = 0;
  for (int i = 0; i < 96 * 96; ++i) {
    const uint8_t* a = &with.pixels[3 * i];
    const uint8_t* b = &without.pixels[3 * i];
    if (a[0] == 0 && a[1] == 255 && a[2] == 0) ++green;
    if (a[0] == b[0] && a[1] == b[1] && a[2] == b[2]) ++same;
  }
  EXPECT_GT(green, 96 * 96 / 2);
  EXPECT_GT(same, 100);
}

TEST(CliTest, RecordResetsWritesOneFramePerReset) {
  TempDir dir;
  const RunResult r = RunCli("record-resets --env-id=\"SO100GraspCube-v1\" --num-resets 6 --record_dir " +
                                 dir / "videos" + " --size 64 --json",
                             false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string path = dir / "videos/SO100GraspCube-v1_reset_distribution.mp4";
  EXPECT_EQ(ParseJsonLine(r.out)["video"], path);
  const auto info = s2r::media::ProbeVideo(path);
  EXPECT_EQ(info.frames, 6);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 64);
  EXPECT_NEAR(info.fps, 15.0, 1e-6);
}

TEST(CliTest, BenchRenderReportsBothRenderers) {
  const RunResult r =
      RunCli("bench render --num-envs 4 --threads 2 --resolution 32 --seconds 0.1 --rounds 1 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json out = ParseJsonLine(r.out);
  EXPECT_GT(out["batch_frames_per_sec"].get<double>(), 0);
  EXPECT_GT(out["mujoco_gl_frames_per_sec"].get<double>(), 0);
  EXPECT_NEAR(out["ratio_vs_mujoco_gl"].get<double>(),
              out["batch_frames_per_sec"].get<double>() / out["mujoco_gl_frames_per_sec"].get<double>(),
              1e-9);
}

TEST(CliTest, MissingGreenscreenPhotoNamesKeyAndPath) {
  TempFile cfg(R"({"greenscreen_overlay_path": "/nonexistent/bg.png"})");
  const RunResult r = RunCli("render --env-kwargs-json-path " + cfg.path() + " --out /tmp/x.png", true);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("greenscreen_overlay_path"));
  EXPECT_THAT(r.out, HasSubstr("/nonexistent/bg.png"));
}

// `sim2real virtual-robot` with the servo ids given, linked at `link`, stopped when the test ends.
// `--duration 60` only bounds its life if the test dies first (a loaded 2-core machine once made a 3 s robot
// expire mid-test).
class VirtualRobot {
 public:
  VirtualRobot(const std::string& link, const std::vector<std::string>& ids)
      : process_(Args(link, ids), link + ".log", {link}) {}

 private:
  static std::vector<std::string> Args(const std::string& link, const std::vector<std::string>& ids) {
    std::vector<std::string> a = {"--port-link", link, "--duration", "60", "--ids"};
    a.insert(a.end(), ids.begin(), ids.end());
    return a;
  }
  s2r::testing::VirtualRobotProcess process_;
};

TEST(CliTest, MotorsScanAndReadTheVirtualRobotOverItsPseudoTerminal) {
  TempDir dir;
  const std::string link = dir / "so100";
  VirtualRobot robot(link, {"1", "2", "3", "4", "5", "6"});
  ASSERT_TRUE(fs::exists(link));
  const RunResult scan =
      RunCli("motors scan --port " + link + " --bauds 1000000 57600 --broadcast-wait-ms 50 --json", false);
  ASSERT_EQ(scan.exit_code, 0) << scan.out;
  const json found = ParseJsonLine(scan.out)["motors"];
  ASSERT_EQ(found.size(), 6u) << scan.out;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(found[i]["id"], static_cast<int>(i) + 1);
    EXPECT_EQ(found[i]["model"], 777);
    EXPECT_EQ(found[i]["baud"], 1000000);
  }
  const RunResult read = RunCli("motors read --port " + link + " --ids 2 5 --json", false);
  ASSERT_EQ(read.exit_code, 0) << read.out;
  const json motors = ParseJsonLine(read.out)["motors"];
  ASSERT_EQ(motors.size(), 2u);
  EXPECT_EQ(motors[0]["id"], 2);
  EXPECT_GE(motors[1]["position"].get<int>(), 0);
  EXPECT_LE(motors[1]["position"].get<int>(), 4095);
  // setup-id wants exactly one motor on the bus.
  const RunResult many =
      RunCli("motors setup-id --port " + link + " --id 9 --bauds 1000000 --broadcast-wait-ms 50", true);
  EXPECT_EQ(many.exit_code, 2);
  EXPECT_THAT(many.out, HasSubstr("found 6"));
}

TEST(CliTest, MotorsSetupIdRenumbersTheLoneMotor) {
  TempDir dir;
  const std::string link = dir / "one";
  VirtualRobot robot(link, {"1"});
  const RunResult r = RunCli(
      "motors setup-id --port " + link + " --id 4 --bauds 1000000 --broadcast-wait-ms 50 --json", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json out = ParseJsonLine(r.out);
  EXPECT_EQ(out["old_id"], 1);
  EXPECT_EQ(out["id"], 4);
  EXPECT_EQ(out["model"], 777);
  const RunResult scan =
      RunCli("motors scan --port " + link + " --bauds 1000000 --broadcast-wait-ms 50 --json", false);
  ASSERT_EQ(scan.exit_code, 0) << scan.out;
  EXPECT_EQ(ParseJsonLine(scan.out)["motors"][0]["id"], 4);
  // A port that does not exist is named in the error.
  const RunResult bad = RunCli("motors read --port " + dir / "nothing", true);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.out, HasSubstr(dir / "nothing"));
  EXPECT_THAT(bad.out, HasSubstr("sim2real find-port"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// find-port as LeRobot's: it lists the ports, waits for Enter, and names the one that disappeared (here a
// virtual robot's pseudo-terminal link, stopped while find-port waits).
TEST(CliTest, FindPortNamesThePortThatDisappears) {
  TempDir dir;
  const std::string pattern = dir / "tty?";
  auto keep = std::make_unique<VirtualRobot>(dir / "ttyA", std::vector<std::string>{"1"});
  auto gone = std::make_unique<VirtualRobot>(dir / "ttyB", std::vector<std::string>{"1"});
  const RunResult list = RunCli("find-port --list --json --pattern '" + pattern + "'", false);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_EQ(ParseJsonLine(list.out)["ports"], json::array({dir / "ttyA", dir / "ttyB"}));
  // Enter comes through a FIFO once find-port has listed the ports and the robot has gone, so a slow start
  // (a loaded machine) cannot make it list the ports after the "unplugging".
  const std::string fifo = dir / "enter", err = dir / "find_port.err";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string out;
  std::thread finder([&] {
    const std::string cmd = "timeout 60 '" + std::string(S2R_BINARY) + "' find-port --json --pattern '" +
                            pattern + "' < '" + fifo + "' 2> '" + err + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    pclose(pipe);
  });
  const int enter = open(fifo.c_str(), O_WRONLY);  // blocks until the shell opens the FIFO for find-port
  ASSERT_GE(enter, 0);
  for (int i = 0; i < 600 && ReadFile(err).find("press Enter") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THAT(ReadFile(err), HasSubstr(dir / "ttyB"));  // listed while it was there
  gone.reset();  // the robot stops and removes its link: "the cable is unplugged"
  ASSERT_EQ(write(enter, "\n", 1), 1);
  close(enter);
  finder.join();
  const json j = ParseJsonLine(out);
  EXPECT_EQ(j["port"], dir / "ttyB") << out;
  EXPECT_EQ(j["ports_after"], json::array({dir / "ttyA"})) << out;
  const RunResult none = RunCli("find-port --pattern '" + dir / "nothing*" + "'", true);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_THAT(none.out, HasSubstr("no serial port found"));
}

}  // namespace
