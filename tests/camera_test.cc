// Tests of src/camera on real files, sockets and devices: an MP4 written by media::Mp4Writer read back as a
// camera, FrameServer + virtual:PATH over a real Unix socket, camera specs, the observation
// preprocessing, OpenCvCamera's failure on a missing device, the Jetbot's CSI pipeline string, and real
// GStreamer capture (videotestsrc, from gstreamer1.0-plugins-base). Each test uses its own temporary folder.
#include "camera/camera.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "camera/frame_server.h"
#include "camera/gst_pipeline.h"
#include "camera/open_camera.h"
#include "camera/opencv_camera.h"
#include "camera/video_file_camera.h"
#include "core/error.h"
#include "media/image.h"
#include "media/video_writer.h"

namespace s2r::camera {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class CameraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    // Short: a Unix socket path is at most 107 bytes.
    dir_ = fs::path("/tmp") / ("s2rcam_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

using Rgb = std::array<int, 3>;

// Well separated colours, so a swapped R/B or a wrong frame is far outside the codec tolerance.
const std::vector<Rgb> kPalette = {{200, 30, 30},  {30, 200, 30},  {30, 30, 200},   {200, 200, 30},
                                   {30, 200, 200}, {200, 30, 200}, {128, 128, 128}, {235, 235, 235},
                                   {20, 20, 20},   {200, 120, 40}, {40, 120, 200},  {120, 40, 200}};
constexpr int kFrames = 12, kW = 64, kH = 48;
Rgb LeftColour(int i) { return kPalette[i % 12]; }
Rgb RightColour(int i) { return kPalette[(i + 5) % 12]; }

// Frame i: the left half LeftColour(i), the right half RightColour(i).
media::Image TwoColourFrame(int i) {
  media::Image img(kW, kH, 3);
  for (int r = 0; r < kH; ++r) {
    for (int c = 0; c < kW; ++c) {
      const Rgb& col = c < kW / 2 ? LeftColour(i) : RightColour(i);
      for (int k = 0; k < 3; ++k) img.at(r, c)[k] = static_cast<uint8_t>(col[k]);
    }
  }
  return img;
}

// Mean colour of rows [r0, r1) x cols [c0, c1).
Rgb MeanColour(const media::Image& img, int r0, int r1, int c0, int c1) {
  std::array<double, 3> sum{};
  for (int r = r0; r < r1; ++r) {
    for (int c = c0; c < c1; ++c) {
      for (int k = 0; k < 3; ++k) sum[k] += img.at(r, c)[k];
    }
  }
  const double n = static_cast<double>((r1 - r0) * (c1 - c0));
  return {static_cast<int>(sum[0] / n + 0.5), static_cast<int>(sum[1] / n + 0.5),
          static_cast<int>(sum[2] / n + 0.5)};
}

void ExpectNear(const Rgb& got, const Rgb& want, int tol, const std::string& what) {
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(got[k], want[k], tol) << what << " channel " << k;
}

std::string WriteTestVideo(const std::string& path) {
  media::Mp4Writer writer(path, kW, kH, 10);
  for (int i = 0; i < kFrames; ++i) writer.AddFrame(TwoColourFrame(i));
  writer.Close();
  return path;
}

media::Image RandomImage(int w, int h, uint32_t seed) {
  media::Image img(w, h, 3);
  std::mt19937 rng(seed);
  for (auto& b : img.pixels) b = static_cast<uint8_t>(rng());
  return img;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---------------------------------------------------------------------------------------------------
// VideoFileCamera

TEST_F(CameraTest, VideoFileReadsBackEveryFrameOfAnMp4WithItsColours) {
  const std::string path = WriteTestVideo(Path("clip.mp4"));
  ASSERT_EQ(media::ProbeVideo(path).frames, kFrames);

  VideoFileCamera cam(path, CameraOptions{});
  EXPECT_EQ(cam.width(), kW);
  EXPECT_EQ(cam.height(), kH);
  EXPECT_NEAR(cam.fps(), 10.0, 1e-6);
  EXPECT_EQ(cam.name(), path);
  double last_ts = 0;
  for (int i = 0; i < kFrames; ++i) {
    const Frame f = cam.Read();
    ASSERT_EQ(f.image.width, kW);
    ASSERT_EQ(f.image.height, kH);
    ASSERT_EQ(f.image.channels, 3);
    EXPECT_EQ(f.sequence, static_cast<uint64_t>(i + 1));
    EXPECT_GE(f.timestamp_s, last_ts);
    last_ts = f.timestamp_s;
    // Away from the colour edge (4:2:0 chroma is shared by 2x2 blocks and blurred by the codec).
    ExpectNear(MeanColour(f.image, 4, kH - 4, 4, kW / 2 - 6), LeftColour(i), 10,
               "left, frame " + std::to_string(i));
    ExpectNear(MeanColour(f.image, 4, kH - 4, kW / 2 + 6, kW - 4), RightColour(i), 10,
               "right, frame " + std::to_string(i));
  }
  try {
    cam.Read();
    FAIL() << "expected EndOfVideoError after " << kFrames << " frames";
  } catch (const EndOfVideoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("12 frames"));
  }
}

TEST_F(CameraTest, VideoFileLoopsAndRotatesClockwise) {
  const std::string path = WriteTestVideo(Path("clip.mp4"));
  CameraOptions opt;
  opt.loop = true;
  opt.rotation = 90;
  auto cam = OpenCamera(path, opt);
  for (int n = 0; n < 2 * kFrames + 3; ++n) {
    const Frame f = cam->Read();
    const int i = n % kFrames;
    ASSERT_EQ(f.image.width, kH);  // rotated: 48 wide, 64 high
    ASSERT_EQ(f.image.height, kW);
    EXPECT_EQ(f.sequence, static_cast<uint64_t>(n + 1));
    // 90 degrees clockwise: the left half becomes the top half.
    ExpectNear(MeanColour(f.image, 4, kW / 2 - 6, 4, kH - 4), LeftColour(i), 10,
               "top, read " + std::to_string(n));
    ExpectNear(MeanColour(f.image, kW / 2 + 6, kW - 4, 4, kH - 4), RightColour(i), 10,
               "bottom, read " + std::to_string(n));
  }
}

TEST_F(CameraTest, VideoFileErrorsNameTheFile) {
  const std::string missing = Path("missing.mp4");
  try {
    OpenCamera(missing, {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(missing));
  }
  const std::string junk = Path("junk.mp4");
  std::ofstream(junk) << "this is not a video";
  try {
    OpenCamera(junk, {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(junk));
  }
  const std::string clip = WriteTestVideo(Path("clip.mp4"));
  CameraOptions opt;
  opt.width = 640;
  opt.height = 480;
  try {
    OpenCamera(clip, opt);
    FAIL() << "expected ConfigError for the size";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(clip));
    EXPECT_THAT(e.what(), HasSubstr("64x48"));
  }
}

// ---------------------------------------------------------------------------------------------------
// FrameServer + virtual:PATH

TEST_F(CameraTest, VirtualCameraGetsTheExactBytesAndTimestampOfTheServedFrame) {
  const std::string sock = Path("cam.sock");
  FrameServer server(sock);
  const media::Image a = RandomImage(40, 30, 1);
  const double ts_a = NowSeconds() - 0.01;
  server.SetFrame(a, ts_a);

  auto cam = OpenCamera("virtual:" + sock, {});
  EXPECT_EQ(cam->name(), "virtual:" + sock);
  Frame f = cam->Read();
  EXPECT_EQ(f.image.width, 40);
  EXPECT_EQ(f.image.height, 30);
  EXPECT_EQ(f.image.pixels, a.pixels);
  EXPECT_EQ(f.timestamp_s, ts_a);  // bit-exact through the socket
  EXPECT_EQ(f.sequence, 1u);

  // A second client sees the same frame; both then see the next one.
  auto cam2 = OpenCamera("virtual:" + sock, {});
  EXPECT_EQ(cam2->Read().image.pixels, a.pixels);
  const media::Image b = RandomImage(50, 20, 2);
  const double ts_b = NowSeconds();
  server.SetFrame(b, ts_b);
  EXPECT_EQ(server.frames_set(), 2u);
  for (Camera* c : {cam.get(), cam2.get()}) {
    f = c->Read();
    EXPECT_EQ(f.image.width, 50);
    EXPECT_EQ(f.image.pixels, b.pixels);
    EXPECT_EQ(f.timestamp_s, ts_b);
    EXPECT_EQ(f.sequence, 2u);
  }
}

TEST_F(CameraTest, AFrameSourceRendersOnRequestOnlyWhenTheFrameIsOld) {
  const std::string sock = Path("source.sock");
  FrameServer server(sock);
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  server.SetFrameSource(
      [&] {
        if (fail) throw std::runtime_error("renderer broke");
        return RandomImage(32, 24, static_cast<uint32_t>(++calls));
      },
      0.2);
  EXPECT_EQ(calls, 0) << "nothing is rendered before a client asks";
  auto cam = OpenCamera("virtual:" + sock, {});
  const Frame first = cam->Read();
  EXPECT_EQ(first.image.width, 32);
  const int after_first = calls;
  EXPECT_GE(after_first, 1);
  EXPECT_EQ(cam->Read().sequence, first.sequence) << "a fresh frame is served again, not re-rendered";
  EXPECT_EQ(calls, after_first);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const Frame second = cam->Read();
  EXPECT_EQ(calls, after_first + 1) << "an old frame is rendered anew on request";
  EXPECT_EQ(second.sequence, first.sequence + 1);
  EXPECT_NE(second.image.pixels, first.image.pixels);
  // A failing renderer keeps the older frame.
  fail = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const Frame kept = cam->Read();
  EXPECT_EQ(kept.sequence, second.sequence);
  EXPECT_EQ(kept.image.pixels, second.image.pixels);
  EXPECT_EQ(server.frames_set(), second.sequence);
}

TEST_F(CameraTest, VirtualCameraReconnectsAfterServerRestart) {
  const std::string sock = Path("cam.sock");
  auto server = std::make_unique<FrameServer>(sock);
  const media::Image a = RandomImage(16, 12, 3);
  server->SetFrame(a);
  auto cam = OpenCamera("virtual:" + sock, {});
  EXPECT_EQ(cam->Read().image.pixels, a.pixels);

  server.reset();
  EXPECT_FALSE(fs::exists(sock)) << "the server removes its socket file";
  server = std::make_unique<FrameServer>(sock);
  const media::Image b = RandomImage(16, 12, 4);
  server->SetFrame(b);
  const Frame f = cam->Read();  // the old connection is broken; Read reconnects to the new server
  EXPECT_EQ(f.image.pixels, b.pixels);
  EXPECT_EQ(f.sequence, 1u);
}

TEST_F(CameraTest, VirtualCameraReportsStaleFramesWhenTheServerStopsUpdating) {
  const std::string sock = Path("cam.sock");
  FrameServer server(sock);
  server.SetFrame(RandomImage(8, 8, 5));
  CameraOptions opt;
  opt.max_age_s = 0.2;
  auto cam = OpenCamera("virtual:" + sock, opt);
  EXPECT_NO_THROW(cam->Read());
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  try {
    cam->Read();
    FAIL() << "expected StaleFrameError";
  } catch (const StaleFrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr(sock));
    EXPECT_THAT(e.what(), HasSubstr("old"));
  }
  server.SetFrame(RandomImage(8, 8, 6));  // updating again recovers
  EXPECT_EQ(cam->Read().sequence, 2u);
}

TEST_F(CameraTest, VirtualCameraFailsBoundedWhenTheServerIsGone) {
  const std::string sock = Path("cam.sock");
  auto server = std::make_unique<FrameServer>(sock);
  server->SetFrame(RandomImage(8, 8, 7));
  CameraOptions opt;
  opt.reconnect_attempts = 3;
  opt.reconnect_delay_s = 0.05;
  auto cam = OpenCamera("virtual:" + sock, opt);
  server.reset();
  const auto t0 = std::chrono::steady_clock::now();
  try {
    cam->Read();
    FAIL() << "expected CameraError";
  } catch (const StaleFrameError&) {
    FAIL() << "a missing server is not a stale frame";
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr(sock));
    EXPECT_THAT(e.what(), HasSubstr("3 reconnection attempts"));
  }
  EXPECT_LT(Since(t0), 2.0);

  // Opening with no server at all: CameraError naming the socket after first_frame_timeout_s.
  opt.first_frame_timeout_s = 0.3;
  const std::string none = Path("none.sock");
  const auto t1 = std::chrono::steady_clock::now();
  try {
    OpenCamera("virtual:" + none, opt);
    FAIL() << "expected CameraError";
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr(none));
  }
  EXPECT_GE(Since(t1), 0.29);
  EXPECT_LT(Since(t1), 2.0);
}

TEST_F(CameraTest, VirtualCameraRotatesAndChecksTheSize) {
  const std::string sock = Path("cam.sock");
  FrameServer server(sock);
  const media::Image a = RandomImage(40, 30, 8);
  server.SetFrame(a);
  CameraOptions opt;
  opt.rotation = 90;
  opt.width = 30;
  opt.height = 40;
  const Frame f = OpenCamera("virtual:" + sock, opt)->Read();
  ASSERT_EQ(f.image.width, 30);
  ASSERT_EQ(f.image.height, 40);
  // Clockwise: source (r, c) lands at (c, H - 1 - r).
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 40; ++c) {
      ASSERT_EQ(std::memcmp(f.image.at(c, 29 - r), a.at(r, c), 3), 0) << r << "," << c;
    }
  }
  opt.width = 40;  // the unrotated size is not what is delivered
  opt.height = 30;
  EXPECT_THROW(OpenCamera("virtual:" + sock, opt), ConfigError);
}

TEST_F(CameraTest, FrameServerReplacesADeadSocketButNotALiveOneOrAFile) {
  const std::string sock = Path("cam.sock");
  {  // a socket file left behind by a crashed server
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, sock.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
    ASSERT_TRUE(fs::exists(sock));
  }
  FrameServer server(sock);
  server.SetFrame(RandomImage(4, 4, 9));
  EXPECT_EQ(OpenCamera("virtual:" + sock, {})->Read().sequence, 1u);
  try {
    FrameServer second(sock);
    FAIL() << "expected IoError for a live server";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(sock));
    EXPECT_THAT(e.what(), HasSubstr("already"));
  }
  const std::string file = Path("file.sock");
  std::ofstream(file) << "keep me";
  EXPECT_THROW(FrameServer{file}, IoError);
  EXPECT_TRUE(fs::is_regular_file(file));
  EXPECT_THROW(server.SetFrame(media::Image(4, 4, 4)), ConfigError);
}

// ---------------------------------------------------------------------------------------------------
// Specs and options

TEST(CameraSpecTest, ParsesEachKind) {
  CameraSpec s = ParseCameraSpec("0");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kIndex);
  EXPECT_EQ(s.index, 0);
  EXPECT_EQ(ParseCameraSpec("12").index, 12);
  s = ParseCameraSpec("/dev/video4");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kDevice);
  EXPECT_EQ(s.path, "/dev/video4");
  EXPECT_EQ(ParseCameraSpec("/dev/v4l/by-id/usb-cam-video-index0").kind, CameraSpec::Kind::kDevice);
  s = ParseCameraSpec("runs/replay.mp4");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kVideoFile);
  EXPECT_EQ(s.path, "runs/replay.mp4");
  EXPECT_EQ(ParseCameraSpec("/data/Take.MKV").kind, CameraSpec::Kind::kVideoFile);
  s = ParseCameraSpec("virtual:/tmp/robot.sock");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kVirtual);
  EXPECT_EQ(s.path, "/tmp/robot.sock");
  s = ParseCameraSpec("csi");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kCsi);
  EXPECT_EQ(s.index, 0);
  s = ParseCameraSpec("csi:1");
  EXPECT_EQ(s.kind, CameraSpec::Kind::kCsi);
  EXPECT_EQ(s.index, 1);
  const std::string pipeline = "videotestsrc ! video/x-raw,format=BGR ! appsink drop=true";
  s = ParseCameraSpec("gst:" + pipeline);
  EXPECT_EQ(s.kind, CameraSpec::Kind::kGstreamer);
  EXPECT_EQ(s.pipeline, pipeline);  // as given, nothing trimmed or rewritten
}

TEST(CameraSpecTest, RejectsEverythingElseNamingTheSpec) {
  const std::vector<std::string> bads = {"", "-1", "1.5", "cam0", "virtual:", "notes.txt", "/dev/", "99999",
                                         "mp4", "/videos/.mp4", " 0",
                                         // csi needs digits after the colon; gst a pipeline with an appsink
                                         "csi:", "csi:x", "csi:-1", "csi:1.5", "csi0", "CSI",
                                         "gst:", "gst:  ", "gst:videotestsrc ! autovideosink"};
  for (const std::string& bad : bads) {
    try {
      ParseCameraSpec(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("'" + bad + "'"));
      EXPECT_THAT(e.what(), HasSubstr("virtual:"));  // lists the accepted forms
      EXPECT_THAT(e.what(), HasSubstr("gst:PIPELINE"));
    }
  }
  // The reason is specific.
  auto message = [](const std::string& spec) -> std::string {
    try {
      ParseCameraSpec(spec);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_THAT(message("csi:x"), HasSubstr("sensor id"));
  EXPECT_THAT(message("gst:"), HasSubstr("no GStreamer pipeline"));
  EXPECT_THAT(message("gst:videotestsrc ! autovideosink"), HasSubstr("appsink"));
}

// ---------------------------------------------------------------------------------------------------
// The Jetbot's CSI camera pipeline

TEST(CsiPipelineTest, DefaultsAreJetbots) {
  EXPECT_EQ(CsiPipeline(0, {}),
            "nvarguscamerasrc sensor-id=0 ! video/x-raw(memory:NVMM), width=816, height=616, "
            "format=(string)NV12, framerate=(fraction)21/1 ! nvvidconv ! video/x-raw, width=(int)224, "
            "height=(int)224, format=(string)BGRx ! videoconvert ! video/x-raw, format=(string)BGR ! "
            "appsink drop=true max-buffers=1 sync=false");
}

TEST(CsiPipelineTest, SizeFpsAndRotationGoIntoThePipeline) {
  CameraOptions o;
  o.width = 160;
  o.height = 120;
  o.fps = 30;
  o.rotation = 90;
  EXPECT_EQ(CsiPipeline(1, o),
            "nvarguscamerasrc sensor-id=1 ! video/x-raw(memory:NVMM), width=816, height=616, "
            "format=(string)NV12, framerate=(fraction)30/1 ! nvvidconv flip-method=3 ! video/x-raw, "
            "width=(int)160, height=(int)120, format=(string)BGRx ! videoconvert ! video/x-raw, "
            "format=(string)BGR ! appsink drop=true max-buffers=1 sync=false");
  o.fps = 29.97;
  EXPECT_THAT(CsiPipeline(1, o), HasSubstr("framerate=(fraction)29970/1000 !"));
  // nvvidconv: 1 = counterclockwise 90, 2 = rotate 180, 3 = clockwise 90.
  EXPECT_EQ(NvvidconvFlipMethod(0), 0);
  EXPECT_EQ(NvvidconvFlipMethod(90), 3);
  EXPECT_EQ(NvvidconvFlipMethod(180), 2);
  EXPECT_EQ(NvvidconvFlipMethod(270), 1);
  EXPECT_EQ(NvvidconvFlipMethod(-90), 1);
  EXPECT_THROW(NvvidconvFlipMethod(45), ConfigError);
  o.rotation = 180;
  EXPECT_THAT(CsiPipeline(0, o), HasSubstr("! nvvidconv flip-method=2 !"));
}

TEST(CameraOptionsTest, RejectsOutOfRangeValuesNamingThem) {
  auto message = [](CameraOptions o) -> std::string {
    try {
      ValidateOptions(o, "/dev/video0");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message({}), "");
  CameraOptions o;
  o.rotation = -90;
  EXPECT_EQ(message(o), "");
  o.rotation = 45;
  EXPECT_THAT(message(o), HasSubstr("rotation"));
  EXPECT_THAT(message(o), HasSubstr("/dev/video0"));
  o = {};
  o.fourcc = "MJP";
  EXPECT_THAT(message(o), HasSubstr("fourcc"));
  o = {};
  o.width = 640;
  EXPECT_THAT(message(o), HasSubstr("width and height"));
  o = {};
  o.max_age_s = 0;
  EXPECT_THAT(message(o), HasSubstr("age"));
  o = {};
  o.reconnect_attempts = -1;
  EXPECT_THAT(message(o), HasSubstr("reconnect"));
}

// ---------------------------------------------------------------------------------------------------
// Observation preprocessing

TEST(ObservationTest, IsExactlyTheSimsCropAndResize) {
  for (auto [w, h] : {std::pair{640, 480}, std::pair{480, 641}, std::pair{128, 128}}) {
    const media::Image frame = RandomImage(w, h, static_cast<uint32_t>(w * h));
    const media::Image obs = PreprocessObservation(frame, 128, 128);
    const media::Image want = media::CropAndResize(frame, 128, 128);
    EXPECT_EQ(obs.width, 128);
    EXPECT_EQ(obs.height, 128);
    EXPECT_EQ(obs.channels, 3);
    EXPECT_EQ(obs.pixels, want.pixels) << w << "x" << h;
  }
  EXPECT_THROW(PreprocessObservation(media::Image(8, 8, 1), 4, 4), ConfigError);
  EXPECT_THROW(PreprocessObservation(media::Image(), 4, 4), ConfigError);
}

// ---------------------------------------------------------------------------------------------------
// OpenCvCamera (no camera is attached on CI machines: only the failures can run)

TEST(OpenCvCameraTest, MissingDeviceFailsQuicklyNamingIt) {
  if (fs::exists("/dev/video99")) GTEST_SKIP() << "/dev/video99 exists on this machine";
  for (const std::string spec : {"/dev/video99", "99"}) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      OpenCamera(spec, {});
      ADD_FAILURE() << "opened " << spec;
    } catch (const CameraError& e) {
      EXPECT_THAT(e.what(), HasSubstr("/dev/video99"));
      EXPECT_THAT(e.what(), HasSubstr("no such device"));
    }
    EXPECT_LT(Since(t0), 3.0) << spec;
  }
}

TEST(OpenCvCameraTest, NonCameraDeviceFailsNamingIt) {
  const auto t0 = std::chrono::steady_clock::now();
  try {
    OpenCvCamera cam(std::string("/dev/null"), {});
    ADD_FAILURE() << "opened /dev/null as a camera";
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/null"));
  }
  EXPECT_LT(Since(t0), 3.0);
}

// ---------------------------------------------------------------------------------------------------
// GStreamer pipelines (gst:PIPELINE): real capture from videotestsrc

// True when OpenCV has its GStreamer backend and videotestsrc/videoconvert/appsink can be opened.
bool GstreamerAvailable(std::string* why) {
  CameraOptions o;
  o.first_frame_timeout_s = 3;
  try {
    OpenCamera("gst:videotestsrc num-buffers=1 ! videoconvert ! video/x-raw,format=BGR ! appsink", o);
    return true;
  } catch (const std::exception& e) {
    *why = e.what();
    return false;
  }
}

#define SKIP_WITHOUT_GSTREAMER()                                                                  \
  do {                                                                                            \
    static std::string why;                                                                       \
    static const bool available = GstreamerAvailable(&why);                                       \
    if (!available) {                                                                             \
      GTEST_SKIP() << "no GStreamer capture here (OpenCV built without GStreamer, or "            \
                      "gstreamer1.0-plugins-base missing; scripts/install-deps.sh installs it): " \
                   << why;                                                                        \
    }                                                                                             \
  } while (0)

std::string TestPattern(const std::string& pattern, const std::string& extra = "") {
  return "gst:videotestsrc pattern=" + pattern + extra +
         " ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! video/x-raw,format=BGR ! "
         "appsink";
}

TEST(GstCameraTest, DeliversRgbFramesResizedToTheAskedSize) {
  SKIP_WITHOUT_GSTREAMER();
  CameraOptions o;
  o.width = 160;
  o.height = 120;
  // A solid colour: R high, G and B low for red (a BGR/RGB swap would make it blue), and the other way.
  for (const auto& [pattern, want] :
       {std::pair{std::string("red"), Rgb{255, 0, 0}}, std::pair{std::string("blue"), Rgb{0, 0, 255}}}) {
    const std::string spec = TestPattern(pattern);
    auto cam = OpenCamera(spec, o);
    EXPECT_EQ(cam->name(), spec);
    auto* cv_cam = dynamic_cast<OpenCvCamera*>(cam.get());
    ASSERT_NE(cv_cam, nullptr);
    EXPECT_EQ(cv_cam->width(), 160);
    EXPECT_EQ(cv_cam->height(), 120);
    EXPECT_NEAR(cv_cam->fps(), 30.0, 1e-6);
    const Frame a = cam->Read();
    ASSERT_EQ(a.image.width, 160);
    ASSERT_EQ(a.image.height, 120);
    ASSERT_EQ(a.image.channels, 3);
    EXPECT_GE(a.sequence, 1u);
    EXPECT_NEAR(a.timestamp_s, NowSeconds(), 0.5);
    ExpectNear(MeanColour(a.image, 0, 120, 0, 160), want, 20, pattern);
    ExpectNear(Rgb{a.image.at(60, 80)[0], a.image.at(60, 80)[1], a.image.at(60, 80)[2]}, want, 20,
               pattern + " centre pixel");
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // 30 fps: ~4 new frames
    const Frame b = cam->Read();
    EXPECT_GT(b.sequence, a.sequence) << pattern;
    EXPECT_GT(b.timestamp_s, a.timestamp_s) << pattern;
  }
}

TEST(GstCameraTest, RotatesInSoftwareWhenThePipelineDoesNot) {
  SKIP_WITHOUT_GSTREAMER();
  // smpte: white, yellow, cyan, green, magenta, red, blue bars from left to right in the top 2/3.
  CameraOptions o;
  o.rotation = 90;
  auto cam = OpenCamera(TestPattern("smpte"), o);
  const Frame f = cam->Read();
  ASSERT_EQ(f.image.width, 240);  // the 320x240 source turned clockwise
  ASSERT_EQ(f.image.height, 320);
  // Clockwise: the leftmost (white) bar is now at the top, the rightmost (blue) at the bottom, and the
  // top of the source (the bars) on the right.
  ExpectNear(MeanColour(f.image, 5, 35, 170, 230), Rgb{255, 255, 255}, 30, "top: white bar");
  ExpectNear(MeanColour(f.image, 285, 315, 170, 230), Rgb{0, 0, 255}, 30, "bottom: blue bar");
  // And resized after rotating: the asked size is the delivered (rotated) one.
  o.width = 120;
  o.height = 160;
  const Frame g = OpenCamera(TestPattern("smpte"), o)->Read();
  ASSERT_EQ(g.image.width, 120);
  ASSERT_EQ(g.image.height, 160);
  ExpectNear(MeanColour(g.image, 3, 17, 85, 115), Rgb{255, 255, 255}, 30, "resized top: white bar");
}

TEST(GstCameraTest, ReopensAPipelineThatEndsAndGivesUpAfterTheAttempts) {
  SKIP_WITHOUT_GSTREAMER();
  // num-buffers=6: end of stream after 6 frames (0.2 s); every reopening starts 6 more.
  const std::string spec = TestPattern("green", " num-buffers=6");
  CameraOptions o;
  o.reconnect_attempts = 3;
  o.reconnect_delay_s = 0.02;
  o.max_age_s = 2;
  {
    auto cam = OpenCamera(spec, o);
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t seq = 0;
    while (seq <= 8 && Since(t0) < 5) {
      seq = cam->Read().sequence;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_GT(seq, 8u) << "no frame after the end of the first stream: not reopened";
  }
  o.reconnect_attempts = 0;  // never reopened: lost for good once the stream ends
  auto cam = OpenCamera(spec, o);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    while (Since(t0) < 5) {
      cam->Read();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "expected CameraError once the stream ended";
  } catch (const StaleFrameError& e) {
    FAIL() << "an ended pipeline is lost, not stale: " << e.what();
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("videotestsrc pattern=green"));
    EXPECT_THAT(e.what(), HasSubstr("0 reconnection attempts"));
    EXPECT_THAT(e.what(), HasSubstr("the pipeline ended or failed"));
  }
  EXPECT_LT(Since(t0), 2.0);
}

TEST(GstCameraTest, BadPipelineFailsQuicklyNamingIt) {
  SKIP_WITHOUT_GSTREAMER();
  CameraOptions o;
  o.first_frame_timeout_s = 1;
  o.reconnect_attempts = 1;
  o.reconnect_delay_s = 0.05;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    OpenCamera("gst:nosuchelement ! appsink", o);
    FAIL() << "opened a pipeline with an unknown element";
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("nosuchelement ! appsink"));
    EXPECT_THAT(e.what(), HasSubstr("gst-launch-1.0"));
  }
  EXPECT_LT(Since(t0), 3.0);
}

TEST(GstCameraTest, AStalledPipelineFailsWithinTheFirstFrameTimeout) {
  SKIP_WITHOUT_GSTREAMER();
  // fdsrc on a pipe nobody writes: the pipeline never prerolls, and OpenCV 4.6 waits for it without limit.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string spec = "gst:fdsrc fd=" + std::to_string(fds[0]) +
                           " ! rawvideoparse width=8 height=8 format=bgr framerate=30/1 ! appsink";
  CameraOptions o;
  o.first_frame_timeout_s = 0.5;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    OpenCamera(spec, o);
    ADD_FAILURE() << "opened a pipeline that delivers nothing";
  } catch (const CameraError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no frame within 0.5 s"));
    EXPECT_THAT(e.what(), HasSubstr("fdsrc fd="));
  }
  const double took = Since(t0);
  EXPECT_GE(took, 0.49);
  EXPECT_LT(took, 3.5);  // the timeout, plus at most the 1.5 s stop grace for the stuck thread
  ::close(fds[1]);       // end of stream: the thread left behind returns and cleans up
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::close(fds[0]);
}

}  // namespace
}  // namespace s2r::camera
