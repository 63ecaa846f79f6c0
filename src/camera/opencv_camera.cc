#include "camera/opencv_camera.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>
#include <sstream>
#include <thread>

#include "camera/cv_convert.h"

namespace s2r::camera {

namespace {

constexpr int kMaxConsecutiveFailures = 10;  // as LeRobot's grab thread
// How long stopping waits for the grab thread: more than the 1 s V4L2 select timeout, so a USB camera's
// thread always finishes; only one stuck in a stalled GStreamer pipeline is left behind.
constexpr double kStopGraceS = 1.5;

std::string FourccString(int code) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((code >> (8 * i)) & 0xff);
    s += (c >= 32 && c < 127) ? c : '?';
  }
  return s;
}

std::string Seconds(double s) {
  std::ostringstream os;
  os.precision(3);
  os << s << " s";
  return os.str();
}

// Process-wide settings made once, before the first camera opens (see the header).
void InitOpenCvOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    ::setenv("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "1", /*overwrite=*/0);
    cv::setNumThreads(1);
  });
}

}  // namespace

struct OpenCvCamera::Impl {
  std::variant<int, std::string> device;
  std::string node;   // the device node: the path, or /dev/videoN for index N; "" for a pipeline
  std::string label;  // "camera /dev/video4", "camera 2 (/dev/video2)", "camera csi:0"; starts every message
  bool gst = false;   // a GStreamer pipeline rather than a V4L2 device
  std::string pipeline;  // gst: what cv::VideoCapture opens
  CameraOptions options;
  int software_rotation = 0;                  // applied to each frame (0 when the pipeline rotates)
  int resize_width = 0, resize_height = 0;    // gst: each frame (before rotation) is resized to this; 0 = not
  int capture_width = 0, capture_height = 0;  // asked of the device (before rotation); 0 = its default.
                                              // gst: the pipeline's first frame; then fixed
  int out_width = 0, out_height = 0;          // delivered frame (after rotation); set by the constructor
  double fps = 0;                             // read back by the first Open(); set by the constructor
  double fps_read_back = 0;                   // guarded by mu; the last Open()'s
  cv::VideoCapture cap;                       // the grab thread's alone once it runs

  std::mutex mu;
  std::condition_variable changed;  // a new frame, a final error, or stop
  Frame latest;                     // guarded by mu
  bool has_frame = false;           // guarded by mu
  uint64_t sequence = 0;            // guarded by mu
  std::string error;                // guarded by mu; set when the device is lost for good
  bool open_failed = false;         // guarded by mu; gst: the grab thread's first Open() threw (see error)
  std::string status;               // guarded by mu; "reconnecting ..." while reopening
  bool stop = false;                // guarded by mu
  bool exited = false;              // guarded by mu; the grab thread has left GrabLoop
  std::thread thread;

  // Asks the grab thread to stop and joins it, then releases the capture; a thread that does not finish
  // within kStopGraceS (stuck in a stalled pipeline) is detached instead, and releases the capture itself
  // when it returns (it holds a shared_ptr to this Impl). Called once, by the owner.
  void Stop() {
    std::unique_lock<std::mutex> lock(mu);
    stop = true;
    changed.notify_all();
    if (thread.joinable()) {
      if (!changed.wait_for(lock, std::chrono::duration<double>(kStopGraceS), [&] { return exited; })) {
        lock.unlock();
        std::cerr << label << ": warning: the capture thread is stuck (no frame and no end of stream for "
                  << Seconds(kStopGraceS) << "); leaving it behind\n";
        thread.detach();
        return;
      }
      lock.unlock();
      thread.join();
    }
    cap.release();
  }

  // Starts the grab thread (which first opens a pipeline; a device is already open) and waits up to
  // options.first_frame_timeout_s for its first frame. On failure stops the thread and throws CameraError.
  static void Start(const std::shared_ptr<Impl>& self) {
    Impl& m = *self;
    m.thread = std::thread([self] {
      self->GrabLoop();
      {
        std::lock_guard<std::mutex> lock(self->mu);
        self->exited = true;
      }
      self->changed.notify_all();
    });
    const double timeout_s = m.options.first_frame_timeout_s;
    std::unique_lock<std::mutex> lock(m.mu);
    m.changed.wait_for(lock, std::chrono::duration<double>(timeout_s),
                       [&] { return m.has_frame || !m.error.empty(); });
    if (m.has_frame) return;
    const std::string error = m.error;
    const bool open_failed = m.open_failed;
    lock.unlock();
    m.Stop();
    if (open_failed) throw CameraError(error);
    std::string why = error.empty() ? "" : " (" + error + ")";
    if (m.gst) why += "; try the pipeline on its own with gst-launch-1.0 '" + m.pipeline + "'";
    throw CameraError(m.label + ": no frame within " + Seconds(timeout_s) + " of opening" + why);
  }

  // Sleeps up to `seconds` unless stop is requested; returns true when it is.
  bool WaitStop(double seconds) {
    std::unique_lock<std::mutex> lock(mu);
    return changed.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stop; });
  }

  bool NodeExists() const {
    struct stat st {};
    return ::stat(node.c_str(), &st) == 0;
  }

  // Opens the pipeline; throws CameraError naming it.
  void OpenPipeline() {
    bool opened = false;
    std::string detail;
    try {
      opened = cap.open(pipeline, cv::CAP_GSTREAMER) && cap.isOpened();
    } catch (const cv::Exception& e) {
      detail = std::string(" (") + e.what() + ")";
    }
    if (!opened) {
      cap.release();
      throw CameraError(label + ": cannot open the GStreamer pipeline" + detail +
                        " (an element missing or misspelled, bad caps, no appsink, or the camera absent or "
                        "busy); try it on its own with gst-launch-1.0 '" +
                        pipeline + "'");
    }
    const double got_fps = cap.get(cv::CAP_PROP_FPS);
    std::lock_guard<std::mutex> lock(mu);
    fps_read_back = got_fps;
  }

  // Opens and configures the device (or opens the pipeline); throws CameraError / ConfigError. The first
  // call (constructor) also fixes capture_width/height when the options leave them at 0.
  void Open() {
    if (gst) return OpenPipeline();
    struct stat st {};
    if (::stat(node.c_str(), &st) != 0) {
      throw CameraError(label + ": no such device (" + std::strerror(errno) +
                        "); connected cameras are listed by `ls /dev/video*` or `v4l2-ctl --list-devices`");
    }
    if (!S_ISCHR(st.st_mode)) {
      throw CameraError(label +
                        ": not a video device (expected a V4L2 character device such as /dev/video0)");
    }
    if (::access(node.c_str(), R_OK | W_OK) != 0 && errno == EACCES) {
      throw CameraError(label + ": permission denied (add the user to the 'video' group, then log in again)");
    }
    const bool opened = std::holds_alternative<int>(device)
                            ? cap.open(std::get<int>(device), cv::CAP_V4L2)
                            : cap.open(std::get<std::string>(device), cv::CAP_V4L2);
    if (!opened || !cap.isOpened()) {
      cap.release();
      throw CameraError(
          label +
          ": cannot open as a V4L2 capture device (not a camera's capture node, e.g. its metadata "
          "node, or in use by another program)");
    }
    const std::string& fourcc = options.fourcc;
    if (!fourcc.empty())
      cap.set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]));
    if (capture_width > 0) {
      cap.set(cv::CAP_PROP_FRAME_WIDTH, capture_width);
      cap.set(cv::CAP_PROP_FRAME_HEIGHT, capture_height);
    }
    if (options.fps > 0) cap.set(cv::CAP_PROP_FPS, options.fps);

    const int got_w = static_cast<int>(std::lround(cap.get(cv::CAP_PROP_FRAME_WIDTH)));
    const int got_h = static_cast<int>(std::lround(cap.get(cv::CAP_PROP_FRAME_HEIGHT)));
    const double got_fps = cap.get(cv::CAP_PROP_FPS);
    if (capture_width > 0 && (got_w != capture_width || got_h != capture_height)) {
      cap.release();
      throw ConfigError(label + ": asked for " + std::to_string(capture_width) + "x" +
                        std::to_string(capture_height) + " but the device delivers " + std::to_string(got_w) +
                        "x" + std::to_string(got_h) + "; pick a mode it lists in `v4l2-ctl -d " + node +
                        " --list-formats-ext`");
    }
    if (options.fps > 0 && std::abs(got_fps - options.fps) > 1e-3 * options.fps) {
      cap.release();
      std::ostringstream os;
      os << label << ": asked for " << options.fps << " fps but the device runs at " << got_fps
         << " fps; pick a rate it lists in `v4l2-ctl -d " << node << " --list-formats-ext`";
      throw ConfigError(os.str());
    }
    if (!fourcc.empty()) {
      const std::string got = FourccString(static_cast<int>(cap.get(cv::CAP_PROP_FOURCC)));
      if (got != fourcc)
        std::cerr << label << ": warning: asked for fourcc " << fourcc << ", got " << got << "\n";
    }
    if (capture_width == 0) {  // keep the device's size from now on (also across reconnections)
      capture_width = got_w;
      capture_height = got_h;
    }
    std::lock_guard<std::mutex> lock(mu);
    fps_read_back = got_fps;
  }

  // Reopens a lost device; false (with `error` set) when every attempt failed, or on stop.
  bool Reconnect(std::string last) {
    for (int attempt = 1; attempt <= options.reconnect_attempts; ++attempt) {
      {
        std::lock_guard<std::mutex> lock(mu);
        status = "reconnecting, attempt " + std::to_string(attempt) + " of " +
                 std::to_string(options.reconnect_attempts) + " (" + last + ")";
      }
      if (WaitStop(options.reconnect_delay_s)) return false;
      try {
        Open();
        std::lock_guard<std::mutex> lock(mu);
        status.clear();
        std::cerr << label << ": reconnected\n";
        return true;
      } catch (const std::exception& e) {
        last = e.what();
        cap.release();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      error = label + ": lost, and " + std::to_string(options.reconnect_attempts) +
              " reconnection attempts failed (last: " + last + ")";
    }
    changed.notify_all();
    return false;
  }

  // RGB, rotated by software_rotation, of a BGR frame resized first when resize_width is set.
  media::Image Convert(const cv::Mat& bgr, cv::Mat& resized) const {
    if (resize_width == 0 || (bgr.cols == resize_width && bgr.rows == resize_height)) {
      return internal::ToRgbRotated(bgr, software_rotation);
    }
    const bool shrink = resize_width <= bgr.cols && resize_height <= bgr.rows;
    cv::resize(bgr, resized, cv::Size(resize_width, resize_height), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    return internal::ToRgbRotated(resized, software_rotation);
  }

  void GrabLoop() {
    if (!cap.isOpened()) {  // a pipeline opens here, so one that never starts cannot block the constructor
      try {
        Open();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        error = e.what();
        open_failed = true;
        changed.notify_all();
        return;
      }
    }
    cv::Mat bgr, resized;
    int failures = 0;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop) return;
      }
      const bool ok = cap.read(bgr);
      if (ok && !bgr.empty() && capture_width == 0) {  // a pipeline's first frame fixes the size
        capture_width = bgr.cols;
        capture_height = bgr.rows;
      }
      if (ok && !bgr.empty() && bgr.cols == capture_width && bgr.rows == capture_height) {
        failures = 0;
        Frame frame;
        frame.timestamp_s = NowSeconds();
        frame.image = Convert(bgr, resized);
        {
          std::lock_guard<std::mutex> lock(mu);
          frame.sequence = ++sequence;
          latest = std::move(frame);
          has_frame = true;
        }
        changed.notify_all();
        continue;
      }
      ++failures;
      const bool gone = !gst && !NodeExists();
      if (!gone && failures <= kMaxConsecutiveFailures) {
        if (WaitStop(0.01)) return;
        continue;
      }
      cap.release();
      std::string why = gone ? "device node " + node + " disappeared"
                             : std::to_string(failures) + " failed reads in a row" +
                                   (gst ? " (the pipeline ended or failed)" : "");
      if (ok && !bgr.empty()) {
        why += " (last frame " + std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows) + ", expected " +
               std::to_string(capture_width) + "x" + std::to_string(capture_height) + ")";
      }
      if (!Reconnect(why)) return;
      failures = 0;
    }
  }
};

OpenCvCamera::OpenCvCamera(std::variant<int, std::string> device, const CameraOptions& options)
    : Camera(std::holds_alternative<int>(device) ? std::to_string(std::get<int>(device))
                                                 : std::get<std::string>(device)),
      impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.device = device;
  if (std::holds_alternative<int>(device)) {
    const int index = std::get<int>(device);
    if (index < 0) throw ConfigError("camera " + name() + ": a camera index must be >= 0");
    m.node = "/dev/video" + std::to_string(index);
    m.label = "camera " + name() + " (" + m.node + ")";
  } else {
    m.node = std::get<std::string>(device);
    m.label = "camera " + m.node;
  }
  ValidateOptions(options, name());
  m.options = options;
  if (m.options.rotation == -90) m.options.rotation = 270;
  m.software_rotation = m.options.rotation;
  internal::RotatedSize(m.options.rotation, options.width, options.height, &m.capture_width,
                        &m.capture_height);
  InitOpenCvOnce();

  m.Open();
  internal::RotatedSize(m.options.rotation, m.capture_width, m.capture_height, &m.out_width, &m.out_height);
  m.fps = m.fps_read_back;
  Impl::Start(impl_);
}

OpenCvCamera::OpenCvCamera(GstPipelineSource source, const CameraOptions& options)
    : Camera(source.name), impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.gst = true;
  m.pipeline = std::move(source.pipeline);
  m.label = "camera " + name();
  if (m.pipeline.find("appsink") == std::string::npos) {
    throw ConfigError(m.label + ": the GStreamer pipeline '" + m.pipeline +
                      "' has no appsink (end it in ... ! videoconvert ! video/x-raw,format=BGR ! appsink)");
  }
  ValidateOptions(options, name());
  m.options = options;
  if (m.options.rotation == -90) m.options.rotation = 270;
  m.software_rotation = source.rotates ? 0 : m.options.rotation;
  // The frame is resized before the software rotation, so to the unrotated size.
  internal::RotatedSize(m.software_rotation, options.width, options.height, &m.resize_width,
                        &m.resize_height);
  if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER)) {
    throw CameraError(m.label +
                      ": this OpenCV was built without GStreamer (cv::getBuildInformation() shows "
                      "'GStreamer: NO'), so the pipeline cannot be opened; use an OpenCV built with it "
                      "(Debian's libopencv-videoio, JetPack's OpenCV)");
  }
  InitOpenCvOnce();

  Impl::Start(impl_);  // opens the pipeline in the grab thread
  std::lock_guard<std::mutex> lock(m.mu);
  m.out_width = m.latest.image.width;
  m.out_height = m.latest.image.height;
  m.fps = m.fps_read_back;
}

OpenCvCamera::~OpenCvCamera() { impl_->Stop(); }

Frame OpenCvCamera::Read() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  if (!m.error.empty()) throw CameraError(m.error);
  const double age = NowSeconds() - m.latest.timestamp_s;
  if (age > m.options.max_age_s) {
    throw StaleFrameError(m.label + ": newest frame is " + Seconds(age) + " old (limit " +
                          Seconds(m.options.max_age_s) + "); " +
                          (m.status.empty() ? "the camera stopped delivering frames" : m.status));
  }
  return m.latest;
}

int OpenCvCamera::width() const { return impl_->out_width; }
int OpenCvCamera::height() const { return impl_->out_height; }
double OpenCvCamera::fps() const { return impl_->fps; }

}  // namespace s2r::camera
