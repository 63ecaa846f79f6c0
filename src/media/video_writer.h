// MP4 video through the ffmpeg CLI (no libav* linking): a writer that pipes raw RGB frames to ffmpeg,
// a probe and a decoder for checking outputs. The programs are `ffmpeg` and `ffprobe` from PATH, or the
// paths in the environment variables SIM2REAL_FFMPEG / SIM2REAL_FFPROBE.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "media/image.h"

namespace s2r::media {

// Writes an H.264 MP4 (libx264, yuv420p, BT.601 tagged, faststart, so every player and browser opens it)
// by piping raw RGB frames to an ffmpeg child process.
//
// Atomic: ffmpeg writes "<path>.partial.mp4" in the same folder and Close() renames it to `path`; a writer
// destroyed without Close() (e.g. during an exception) kills ffmpeg and removes the partial file. The
// parent folder is created if missing.
//
// Odd sizes: libx264 with yuv420p needs an even width and height, so an odd width (height) is padded by
// repeating the last column (row) once; the file is then (width + 1) x height etc. (video_width(),
// video_height()). Frames are still given at the size passed to the constructor.
//
// ffmpeg runs in its own process group, so a Ctrl-C at the terminal reaches only our process, which
// decides whether to Close(). A crashed ffmpeg never raises SIGPIPE here; it surfaces as IoError.
// Not thread-safe; one writer per thread (several writers may run at once).
class Mp4Writer {
 public:
  // Starts ffmpeg. Throws ConfigError if width/height/fps are not positive; IoError naming the path if
  // the folder cannot be created, the file cannot be written, or ffmpeg is missing or fails to start.
  Mp4Writer(const std::string& path, int width, int height, double fps);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // One frame: [height, width, 3] uint8 RGB, top row first. Throws IoError (with ffmpeg's message) if
  // ffmpeg has exited; the writer is then failed and the partial file removed.
  void AddFrame(const uint8_t* rgb);
  void AddFrame(const Image& rgb);  // must be width x height x 3
  // Finishes the file and renames it into place. Throws IoError (with ffmpeg's message) if ffmpeg
  // reported an error or no frame was added; no file is left then. A second Close() does nothing.
  void Close();

  int frames() const { return frames_; }
  const std::string& path() const { return path_; }
  int video_width() const { return video_width_; }    // width rounded up to even
  int video_height() const { return video_height_; }  // height rounded up to even

 private:
  [[noreturn]] void Fail(const std::string& why);  // stops ffmpeg, removes the partial file, throws IoError
  void Abandon() noexcept;                         // stops ffmpeg, removes the partial file

  std::string path_, partial_path_;
  int width_, height_, video_width_, video_height_;
  int frames_ = 0;
  int pipe_fd_ = -1;  // our end of ffmpeg's stdin (a socket, so writes use MSG_NOSIGNAL)
  int log_fd_ = -1;   // ffmpeg's stderr: an unlinked temporary file
  pid_t pid_ = -1;
  enum class State { kOpen, kClosed, kFailed } state_ = State::kOpen;
  std::string error_;            // the IoError message once failed
  std::vector<uint8_t> padded_;  // [video_height, video_width, 3] frame buffer for odd sizes
};

// What ffprobe says about a video's first video stream.
struct VideoInfo {
  int frames = 0;       // number of frames
  int width = 0;        // pixels
  int height = 0;       // pixels
  double fps = 0;       // frames per second (average frame rate)
  std::string codec;    // e.g. "h264"
  std::string pix_fmt;  // e.g. "yuv420p"
};
// Probes a video with ffprobe. Throws IoError naming the path if it is missing or not a video.
VideoInfo ProbeVideo(const std::string& path);

// Decodes every frame of a video as RGB images (through ffmpeg; for tests and output checks, so the
// whole video is held in memory). Throws IoError naming the path on failure.
std::vector<Image> ReadVideoFrames(const std::string& path);

}  // namespace s2r::media
