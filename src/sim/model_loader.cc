#include "sim/model_loader.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "core/error.h"

#ifndef S2R_SOURCE_ASSET_DIR
#define S2R_SOURCE_ASSET_DIR "assets"
#endif

namespace fs = std::filesystem;

namespace s2r::sim {

namespace {

void QuietWarning(const char*) {}
void AbortingError(const char* msg) {
  std::fprintf(stderr, "sim2real: MuJoCo error: %s\n", msg);
  std::abort();
}

std::string ReadFile(const fs::path& p, const std::string& key) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(key + ": cannot read file '" + p.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw IoError("cannot write temporary file '" + p.string() + "'");
}

// A temporary folder removed on scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sim2real-scene-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw IoError("cannot create a temporary folder under " + tmpl);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// MuJoCo 2.2.2 resolves includes and asset folders relative to the main file's folder, so the robot
// copy's asset folders are rewritten to paths relative to the temporary folder.
std::string RelocateAssetDirs(std::string text, const fs::path& robot_dir, const fs::path& tmp) {
  bool any = false;
  for (const char* attr : {"meshdir", "texturedir", "assetdir"}) {
    std::regex re(std::string(attr) + "\\s*=\\s*\"([^\"]*)\"");
    std::smatch m;
    if (std::regex_search(text, m, re)) {
      fs::path dir = fs::path(m[1].str()).is_absolute() ? fs::path(m[1].str()) : robot_dir / m[1].str();
      text.replace(static_cast<size_t>(m.position(0)), static_cast<size_t>(m.length(0)),
                   std::string(attr) + "=\"" + fs::relative(dir, tmp).string() + "\"");
      any = true;
    }
  }
  if (!any) {
    std::regex open_tag("<mujoco[^>]*>");
    std::smatch m;
    if (std::regex_search(text, m, open_tag)) {
      const std::string rel = fs::relative(robot_dir, tmp).string();
      text.insert(static_cast<size_t>(m.position(0) + m.length(0)),
                  "\n  <compiler meshdir=\"" + rel + "\" texturedir=\"" + rel + "\"/>");
    }
  }
  return text;
}

}  // namespace

void InstallMujocoHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = QuietWarning;
    mju_user_error = AbortingError;
  });
}

std::string AssetDir() {
  if (const char* env = std::getenv("SIM2REAL_ASSETS"); env && *env) return env;
  return S2R_SOURCE_ASSET_DIR;
}

MjModelPtr LoadSceneWithRobot(const std::string& scene_path, const std::string& robot_path,
                              const std::string& robot_key) {
  InstallMujocoHandlers();
  const fs::path robot = fs::absolute(robot_path);
  if (!fs::is_regular_file(robot))
    throw ConfigError(robot_key + ": robot MJCF file '" + robot_path + "' does not exist");
  std::string scene = ReadFile(scene_path, "scene");
  const std::string marker = "file=\"ROBOT_MJCF\"";
  const size_t at = scene.find(marker);
  S2R_CHECK(at != std::string::npos, "scene " << scene_path << " has no ROBOT_MJCF include");
  scene.replace(at, marker.size(), "file=\"robot.xml\"");

  TempDir tmp;
  WriteFile(tmp.path / "robot.xml",
            RelocateAssetDirs(ReadFile(robot, robot_key), robot.parent_path(), tmp.path));
  WriteFile(tmp.path / "scene.xml", scene);
  char error[1024] = "";
  mjModel* m = mj_loadXML((tmp.path / "scene.xml").c_str(), nullptr, error, sizeof(error));
  if (!m)
    throw ConfigError(robot_key + ": MuJoCo could not compile the robot MJCF '" + robot_path +
                      "' in the task scene: " + error);
  return MjModelPtr(m);
}

void RequireNames(const mjModel* m, int type, const std::vector<std::string>& names, const std::string& kind,
                  const std::string& file) {
  std::string missing;
  for (const auto& n : names)
    if (mj_name2id(m, type, n.c_str()) < 0) missing += (missing.empty() ? "" : ", ") + n;
  if (!missing.empty()) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw ConfigError("robot MJCF '" + file + "' has no " + kind + " named " + missing +
                      "; a robot model for this task needs the " + kind + "s " + all);
  }
}

}  // namespace s2r::sim
