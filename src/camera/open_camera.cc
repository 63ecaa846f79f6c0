#include "camera/open_camera.h"

#include <algorithm>
#include <cctype>

#include "camera/frame_server.h"
#include "camera/gst_pipeline.h"
#include "camera/opencv_camera.h"
#include "camera/video_file_camera.h"

namespace s2r::camera {

namespace {

constexpr const char* kForms =
    "expected a camera index (0, 1, ...), a device path (/dev/video0), a video file (.mp4 .m4v .mov .mkv "
    ".avi .webm), virtual:SOCKET_PATH, csi or csi:SENSOR_ID (Jetson CSI camera), or gst:PIPELINE (a "
    "GStreamer pipeline ending in an appsink)";

bool AllDigits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

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
  if (AllDigits(spec)) {
    if (spec.size() > 4) return fail("index too large");
    out.kind = CameraSpec::Kind::kIndex;
    out.index = std::stoi(spec);
    return out;
  }
  if (StartsWith(spec, "virtual:")) {
    out.kind = CameraSpec::Kind::kVirtual;
    out.path = spec.substr(8);
    if (out.path.empty()) return fail("no socket path after 'virtual:'");
    return out;
  }
  if (spec == "csi" || StartsWith(spec, "csi:")) {
    const std::string id = spec == "csi" ? "0" : spec.substr(4);
    if (id.empty() || !AllDigits(id)) return fail("the CSI sensor id after 'csi:' must be digits (csi:0)");
    if (id.size() > 4) return fail("CSI sensor id too large");
    out.kind = CameraSpec::Kind::kCsi;
    out.index = std::stoi(id);
    return out;
  }
  if (StartsWith(spec, "gst:")) {
    out.kind = CameraSpec::Kind::kGstreamer;
    out.pipeline = spec.substr(4);
    if (out.pipeline.find_first_not_of(" \t") == std::string::npos)
      return fail("no GStreamer pipeline after 'gst:'");
    if (out.pipeline.find("appsink") == std::string::npos)
      return fail(
          "the GStreamer pipeline must end in an appsink (... ! videoconvert ! video/x-raw,format=BGR ! "
          "appsink)");
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
    case CameraSpec::Kind::kCsi: {
      ValidateOptions(options, spec);  // before CsiPipeline reads the rotation
      return std::make_unique<OpenCvCamera>(
          GstPipelineSource{spec, CsiPipeline(s.index, options), /*rotates=*/true}, options);
    }
    case CameraSpec::Kind::kGstreamer:
      return std::make_unique<OpenCvCamera>(GstPipelineSource{spec, s.pipeline, /*rotates=*/false}, options);
  }
  return nullptr;
}

}  // namespace s2r::camera
