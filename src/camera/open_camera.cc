#include "camera/open_camera.h"

#include <algorithm>
#include <cctype>

#include "camera/frame_server.h"
#include "camera/opencv_camera.h"
#include "camera/video_file_camera.h"

namespace s2r::camera {

namespace {

constexpr const char* kForms =
    "expected a camera index (0, 1, ...), a device path (/dev/video0), a video file (.mp4 .m4v .mov .mkv "
    ".avi "
    ".webm) or virtual:SOCKET_PATH";

bool IsVideoFile(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos || dot == 0 ||
      path[dot - 1] == '/') {
    return false;
  }
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {"mp4", "m4v", "mov", "mkv", "avi", "webm"}) {
    if (ext == e) return true;
  }
  return false;
}

}  // namespace

CameraSpec ParseCameraSpec(const std::string& spec) {
  auto fail = [&](const std::string& why) -> CameraSpec {
    throw ConfigError("camera spec '" + spec + "': " + why + "; " + kForms);
  };
  CameraSpec out;
  if (spec.empty()) return fail("empty");
  if (std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (spec.size() > 4) return fail("index too large");
    out.kind = CameraSpec::Kind::kIndex;
    out.index = std::stoi(spec);
    return out;
  }
  const std::string prefix = "virtual:";
  if (spec.compare(0, prefix.size(), prefix) == 0) {
    out.kind = CameraSpec::Kind::kVirtual;
    out.path = spec.substr(prefix.size());
    if (out.path.empty()) return fail("no socket path after 'virtual:'");
    return out;
  }
  if (spec.compare(0, 5, "/dev/") == 0 && spec.size() > 5) {
    out.kind = CameraSpec::Kind::kDevice;
    out.path = spec;
    return out;
  }
  if (IsVideoFile(spec)) {
    out.kind = CameraSpec::Kind::kVideoFile;
    out.path = spec;
    return out;
  }
  return fail("not a camera");
}

std::unique_ptr<Camera> OpenCamera(const std::string& spec, const CameraOptions& options) {
  const CameraSpec s = ParseCameraSpec(spec);
  switch (s.kind) {
    case CameraSpec::Kind::kIndex:
      return std::make_unique<OpenCvCamera>(s.index, options);
    case CameraSpec::Kind::kDevice:
      return std::make_unique<OpenCvCamera>(s.path, options);
    case CameraSpec::Kind::kVideoFile:
      return std::make_unique<VideoFileCamera>(s.path, options);
    case CameraSpec::Kind::kVirtual:
      return std::make_unique<VirtualCamera>(s.path, options);
  }
  return nullptr;
}

}  // namespace s2r::camera
