#include "app/cli_util.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "app/config_load.h"
#include "core/error.h"
#include "sim/env_ids.h"

namespace s2r::app {

namespace {

// "100_000_000" -> "100000000": Python-style digit grouping in numbers (underscores between digits).
std::string StripDigitGroups(const std::string& v) {
  static const std::regex number(R"(^[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$)");
  if (v.find('_') == std::string::npos || !std::regex_match(v, number)) return v;
  std::string out;
  for (char c : v)
    if (c != '_') out += c;
  return out;
}

}  // namespace

std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      const size_t end = eq == std::string::npos ? a.size() : eq;
      for (size_t k = 2; k < end; ++k)
        if (a[k] == '_') a[k] = '-';
      if (eq != std::string::npos) a = a.substr(0, eq + 1) + StripDigitGroups(a.substr(eq + 1));
    } else if (i > 0) {
      a = StripDigitGroups(a);
    }
    out.push_back(a);
  }
  return out;
}

void AddEnvFlags(CLI::App* cmd, EnvFlags* f, bool with_obs_mode) {
  cmd->add_option("--env-id", f->env_id, "environment id (see `sim2real envs`)")->capture_default_str();
  cmd->add_option("--env-kwargs-json-path", f->env_kwargs_json_path,
                  "env_config.json with lerobot-sim2real's keys (default: built-in settings)");
  cmd->add_option("--robot-mjcf", f->robot_mjcf, "load this robot MJCF instead of assets/so100.xml");
  cmd->add_option("--control-mode", f->control_mode,
                  "pd_joint_target_delta_pos (default), pd_joint_delta_pos or pd_joint_pos");
  if (with_obs_mode) cmd->add_option("--obs-mode", f->obs_mode, "state or rgb")->capture_default_str();
}

std::unique_ptr<sim::EnvConfig> BuildEnvConfig(const EnvFlags& f) {
  std::unique_ptr<sim::EnvConfig> cfg = f.env_kwargs_json_path.empty()
                                            ? sim::DefaultEnvConfig(f.env_id, "--env-id")
                                            : LoadEnvConfigOf(f.env_id, f.env_kwargs_json_path);
  if (!f.robot_mjcf.empty()) cfg->robot_mjcf_path = f.robot_mjcf;
  if (!f.control_mode.empty()) cfg->SetControlMode(f.control_mode, "--control-mode");
  cfg->obs_mode = sim::ParseObsMode(f.obs_mode, "--obs-mode");
  cfg->Validate(f.env_kwargs_json_path.empty() ? "built-in env settings" : f.env_kwargs_json_path);
  return cfg;
}

sim::GraspCubeConfig BuildGraspCubeConfig(const EnvFlags& f, const std::string& command) {
  if (f.env_id != sim::kGraspCubeId)
    throw ConfigError("--env-id: `sim2real " + command + "` works with the SO-100's " + sim::kGraspCubeId +
                      " only, not '" + f.env_id + "'");
  const auto cfg = BuildEnvConfig(f);
  return static_cast<const sim::GraspCubeConfig&>(*cfg);  // the type DefaultEnvConfig(kGraspCubeId) makes
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

void RefuseGiven(const std::vector<CLI::Option*>& options, const std::string& why) {
  for (const CLI::Option* o : options)
    if (o->count() > 0) throw ConfigError(o->get_name() + ": " + why);
}

std::string ClosestFlag(const CLI::App& cmd, const std::string& flag) {
  std::string name = flag.substr(0, flag.find('='));
  std::string best;
  size_t best_d = name.size() / 3 + 1;
  for (const CLI::Option* o : cmd.get_options()) {
    std::vector<std::string> names = o->get_lnames();
    for (const auto& f : o->get_fnames()) names.push_back(f);
    for (const auto& n : names) {
      const std::string candidate = "--" + n;
      const size_t d = EditDistance(name, candidate);
      if (d < best_d) best_d = d, best = candidate;
    }
  }
  return best;
}

std::string ParseErrorLine(const CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* cmd = &app;
  for (const CLI::App* sub : app.get_subcommands()) cmd = sub;  // the subcommand that was being parsed
  const std::string who = cmd == &app ? "sim2real" : "sim2real " + cmd->get_name();
  std::string msg = e.what();
  for (char& c : msg)
    if (c == '\n') c = ' ';
  if (std::string(e.what()).find("not expected") != std::string::npos) {  // "...: 3 --ppo.num-envz"
    const std::string text = e.what();
    const size_t colon = text.find(": ");
    std::istringstream words(colon == std::string::npos ? "" : text.substr(colon + 2));
    for (std::string w; words >> w;) {
      if (w.rfind("--", 0) != 0) continue;
      const std::string unknown = w.substr(0, w.find('='));
      const std::string close = ClosestFlag(*cmd, unknown);
      msg = "unknown flag " + unknown + (close.empty() ? "" : " (did you mean " + close + "?)");
      break;
    }
  }
  return who + ": error: " + msg + "; see '" + who + " --help'";
}

void RequirePngPath(const std::string& path, const std::string& flag) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".png")
    throw ConfigError(flag + " " + path + ": images are written as PNG; name the file .png" +
                      (ext == ".jpg" || ext == ".jpeg" ? " (JPEG is not written)" : ""));
}

std::vector<std::string> GlobPaths(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (const auto& p : patterns) {
    glob_t g{};
    if (::glob(p.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
    ::globfree(&g);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void RequireWritableFolder(const std::string& path, const std::string& flag) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || !std::filesystem::is_directory(path))
    throw ConfigError(flag + " " + path + ": cannot create this folder" +
                      (ec ? " (" + ec.message() + ")" : ""));
  if (::access(path.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(flag + " " + path + ": this folder is not writable");
}

int DefaultThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace s2r::app
