// `sim2real find-cameras`: LeRobot's lerobot-find-cameras. Lists the V4L2 devices (/dev/video*), opens each
// one, reads a frame, reports its size and the driver's name for it, and saves the frame as a PNG so the
// user can see which camera is which. A Unix socket matched by --pattern is read as a virtual camera
// (the virtual robot's --camera-link). Devices that cannot capture (uvcvideo's metadata nodes, a busy
// camera) are listed with the reason.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli_util.h"
#include "app/commands.h"
#include "camera/open_camera.h"
#include "core/error.h"
#include "core/progress.h"
#include "media/image.h"

namespace fs = std::filesystem;

namespace s2r::app {

namespace {

struct FindCamerasFlags {
  std::vector<std::string> patterns = {"/dev/video*"};
  std::string out_dir = "outputs/captured_images";
  bool save = true;
  double timeout_s = 3;
  bool json = false;
};

struct Found {
  std::string path, spec, name, image, error;
  int width = 0, height = 0;
};

// The kernel's name for /dev/videoN (e.g. "HD USB Camera: HD USB Camera"), "" when it has none.
std::string DriverName(const std::string& path) {
  std::ifstream in("/sys/class/video4linux/" + fs::path(path).filename().string() + "/name");
  std::string name;
  std::getline(in, name);
  return name;
}

bool IsSocket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

Found Probe(const std::string& path, const FindCamerasFlags& f) {
  Found c;
  c.path = path;
  c.spec = IsSocket(path) ? "virtual:" + path : path;
  c.name = DriverName(path);
  try {
    camera::CameraOptions o;
    o.first_frame_timeout_s = f.timeout_s;
    o.reconnect_attempts = 0;
    const auto cam = camera::OpenCamera(c.spec, o);
    const camera::Frame frame = cam->Read();
    c.width = frame.image.width, c.height = frame.image.height;
    if (f.save) {
      c.image = (fs::path(f.out_dir) / (fs::path(path).filename().string() + ".png")).string();
      media::WritePng(c.image, frame.image);
    }
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  return c;
}

void RunFindCameras(const FindCamerasFlags& f) {
  if (f.save) RequireWritableFolder(f.out_dir, "--out-dir");
  const std::vector<std::string> paths = GlobPaths(f.patterns);
  std::vector<Found> found;
  ProgressBar bar(static_cast<int64_t>(paths.size()), "find-cameras", "devices");
  for (const auto& p : paths) {
    found.push_back(Probe(p, f));
    bar.Update(static_cast<int64_t>(found.size()));
  }
  bar.Finish();
  int usable = 0;
  std::string example = "/dev/video0";  // the first camera that captured, for the hint
  for (const auto& c : found)
    if (c.error.empty() && usable++ == 0) example = c.spec;
  if (f.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : found)
      list.push_back({{"path", c.path},
                      {"camera", c.spec},
                      {"name", c.name},
                      {"ok", c.error.empty()},
                      {"width", c.width},
                      {"height", c.height},
                      {"image", c.image.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.image)},
                      {"error", c.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.error)}});
    std::cout << nlohmann::json({{"cameras", list}, {"usable", usable}}).dump() << "\n";
    return;
  }
  if (found.empty()) {
    std::string pats;
    for (const auto& p : f.patterns) pats += (pats.empty() ? "" : ", ") + p;
    std::printf("no cameras found (looked for %s); is the camera plugged in?\n", pats.c_str());
    return;
  }
  for (const auto& c : found) {
    const std::string name = c.name.empty() ? "" : " (" + c.name + ")";
    if (c.error.empty())
      std::printf("%s%s: %dx%d%s%s\n", c.path.c_str(), name.c_str(), c.width, c.height,
                  c.image.empty() ? "" : ", frame saved to ", c.image.c_str());
    else
      std::printf("%s%s: cannot capture: %s\n", c.path.c_str(), name.c_str(), c.error.c_str());
  }
  std::printf("%d of %zu can capture; pass one as --camera (e.g. --camera %s)\n", usable, found.size(),
              example.c_str());
}

}  // namespace

void AddFindCamerasCommand(CLI::App& app) {
  static FindCamerasFlags f;
  auto* cmd = app.add_subcommand("find-cameras",
                                 "List the cameras (V4L2 devices), read one frame from each and save it, so "
                                 "you can tell which is which (LeRobot's lerobot-find-cameras)");
  cmd->add_option("--pattern", f.patterns,
                  "glob of device paths to try (repeatable); a Unix socket is read as a virtual camera")
      ->capture_default_str();
  cmd->add_option("--out-dir", f.out_dir, "folder for the saved frames (<device>.png)")
      ->capture_default_str();
  cmd->add_flag("!--no-save", f.save, "do not save the frames");
  cmd->add_option("--timeout", f.timeout_s, "seconds to wait for each camera's first frame")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", f.json, "print one JSON object on stdout");
  cmd->callback([] { RunFindCameras(f); });
}

}  // namespace s2r::app
