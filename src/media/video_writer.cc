#include "media/video_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/error.h"

extern char** environ;

namespace fs = std::filesystem;

namespace s2r::media {

namespace {

// ---------------------------------------------------------------------------------------------
// Child processes

std::string Program(const char* env_var, const char* fallback) {
  const char* v = std::getenv(env_var);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// ffmpeg/ffprobe take "file:" URLs, so a path with ':' or a leading '-' is never read as a protocol or
// an option.
std::string FileUrl(const std::string& path) { return "file:" + path; }

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// An already unlinked temporary file that takes a child's stderr; read back with ReadLog.
int MakeLogFile(const std::string& context) {
  std::error_code ec;
  fs::path dir = fs::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  std::string name = (dir / "sim2real-ffmpeg-XXXXXX").string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw IoError(context + ": cannot create a temporary log file in " + dir.string());
  ::unlink(name.c_str());
  return fd;
}

// The child's stderr, trimmed and cut to a few lines' worth.
std::string ReadLog(int fd) {
  constexpr size_t kMax = 2000;
  std::string text;
  char buf[4096];
  off_t offset = 0;
  while (text.size() < kMax) {
    const ssize_t n = ::pread(fd, buf, sizeof(buf), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Starts argv[0] (searched in PATH) with in_fd/out_fd/err_fd as its stdin/stdout/stderr (-1: /dev/null),
// in its own process group, with no signals blocked and SIGPIPE at its default. Throws IoError.
pid_t Spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd,
            const std::string& context, const char* env_var) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const int fds[3] = {in_fd, out_fd, err_fd};
  for (int target = 0; target < 3; ++target) {
    if (fds[target] >= 0) {
      posix_spawn_file_actions_adddup2(&actions, fds[target], target);
    } else {
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    }
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int err = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    std::string msg = context + ": cannot start '" + argv[0] + "' (" + std::strerror(err) + ")";
    if (err == ENOENT) {
      msg += "; install ffmpeg (Debian: apt-get install ffmpeg) or set " + std::string(env_var) +
             " to the program's path";
    }
    throw IoError(msg);
  }
  return pid;
}

// waitpid, retrying on EINTR. Returns the wait status, or -1 if it is unknown (SIGCHLD ignored).
int Wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

bool Succeeded(int status) { return status == -1 || (WIFEXITED(status) && WEXITSTATUS(status) == 0); }

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// "<program> failed (exit code 1): <log>".
std::string Failure(const std::string& program, int status, const std::string& log) {
  std::string msg = program + " failed (" + DescribeStatus(status) + ")";
  if (!log.empty()) msg += ": " + log;
  return msg;
}

struct RunResult {
  int status = 0;
  std::string out, log;
};

// Runs argv to completion with stdin at /dev/null, capturing stdout and stderr.
RunResult Run(const std::vector<std::string>& argv, const std::string& context, const char* env_var) {
  int log_fd = MakeLogFile(context);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    CloseFd(log_fd);
    throw IoError(context + ": cannot create a pipe: " + std::strerror(errno));
  }
  pid_t pid;
  try {
    pid = Spawn(argv, -1, pipe_fds[1], log_fd, context, env_var);
  } catch (...) {
    CloseFd(pipe_fds[0]);
    CloseFd(pipe_fds[1]);
    CloseFd(log_fd);
    throw;
  }
  CloseFd(pipe_fds[1]);
  RunResult result;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  CloseFd(pipe_fds[0]);
  result.status = Wait(pid);
  result.log = ReadLog(log_fd);
  CloseFd(log_fd);
  return result;
}

// "15", "29.97": a rate ffmpeg parses exactly enough (it turns decimals into a rational).
std::string FormatRate(double fps) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", fps);
  return buf;
}

// "30000/1001" or "15" -> double; 0 for "0/0", "N/A" or garbage.
double ParseRate(const std::string& s) {
  const size_t slash = s.find('/');
  char* end = nullptr;
  const double num = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return 0;
  if (slash == std::string::npos) return num;
  const double den = std::strtod(s.c_str() + slash + 1, nullptr);
  return den > 0 ? num / den : 0;
}

int ParseInt(const std::string& s) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  return end == s.c_str() ? 0 : static_cast<int>(v);
}

// ffprobe's "key=value" lines.
std::map<std::string, std::string> ParseKeyValues(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) kv.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return kv;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Mp4Writer

Mp4Writer::Mp4Writer(const std::string& path, int width, int height, double fps)
    : path_(path), partial_path_(path + ".partial.mp4"), width_(width), height_(height) {
  if (width <= 0 || height <= 0) {
    throw ConfigError("video '" + path + "': frame size " + std::to_string(width) + "x" +
                      std::to_string(height) + " must be positive");
  }
  if (!(fps > 0) || !std::isfinite(fps)) {
    throw ConfigError("video '" + path + "': fps must be positive, got " + std::to_string(fps));
  }
  video_width_ = width + (width & 1);
  video_height_ = height + (height & 1);
  if (video_width_ != width_ || video_height_ != height_) {
    padded_.resize(static_cast<size_t>(video_width_) * video_height_ * 3);
  }

  const std::string context = "cannot write video '" + path + "'";
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec || !fs::is_directory(parent)) {
      throw IoError(context + ": cannot create folder '" + parent.string() + "'" +
                    (ec ? ": " + ec.message() : ""));
    }
  }
  // Fail here, not at the first frame, when the folder is not writable (ffmpeg opens its output late).
  const int probe_fd = ::open(partial_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (probe_fd < 0) throw IoError(context + ": " + std::strerror(errno));
  ::close(probe_fd);

  int sv[2] = {-1, -1};
  try {
    log_fd_ = MakeLogFile(context);
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      throw IoError(context + ": cannot create a socket pair: " + std::strerror(errno));
    }
    // clang-format off
    const std::vector<std::string> argv = {
        Program("SIM2REAL_FFMPEG", "ffmpeg"), "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        // input: raw RGB frames on stdin
        "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-video_size", std::to_string(video_width_) + "x" + std::to_string(video_height_),
        "-framerate", FormatRate(fps), "-i", "pipe:0",
        // output: H.264 in yuv420p, tagged BT.601 limited range (what swscale converts rgb24 to)
        "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-colorspace", "bt470bg", "-color_primaries", "bt470bg", "-color_trc", "smpte170m",
        "-color_range", "tv",
        "-movflags", "+faststart", "-f", "mp4", FileUrl(partial_path_)};
    // clang-format on
    pid_ = Spawn(argv, sv[1], -1, log_fd_, context, "SIM2REAL_FFMPEG");
  } catch (...) {
    CloseFd(sv[0]);
    CloseFd(sv[1]);
    CloseFd(log_fd_);
    ::unlink(partial_path_.c_str());
    throw;
  }
  CloseFd(sv[1]);
  pipe_fd_ = sv[0];
}

Mp4Writer::~Mp4Writer() {
  if (state_ == State::kOpen) Abandon();
  CloseFd(log_fd_);
}

void Mp4Writer::Abandon() noexcept {
  CloseFd(pipe_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait(pid_);
    pid_ = -1;
  }
  ::unlink(partial_path_.c_str());
}

void Mp4Writer::Fail(const std::string& why) {
  // ffmpeg closed its input: it has exited or is about to; collect its status and message.
  CloseFd(pipe_fd_);
  const int status = pid_ > 0 ? Wait(pid_) : -1;
  pid_ = -1;
  ::unlink(partial_path_.c_str());
  std::string msg = "cannot write video '" + path_ + "': " + why;
  const std::string log = log_fd_ >= 0 ? ReadLog(log_fd_) : "";
  if (status != -1) msg += " (ffmpeg " + DescribeStatus(status) + ")";
  if (!log.empty()) msg += ": " + log;
  state_ = State::kFailed;
  error_ = msg;
  throw IoError(msg);
}

void Mp4Writer::AddFrame(const uint8_t* rgb) {
  if (state_ == State::kFailed) throw IoError(error_);
  S2R_CHECK(state_ == State::kOpen, "Mp4Writer::AddFrame after Close ('" << path_ << "')");
  S2R_CHECK(rgb != nullptr);
  const uint8_t* data = rgb;
  if (!padded_.empty()) {
    // Repeat the last column / row to reach even sizes.
    const size_t src_row = static_cast<size_t>(width_) * 3, dst_row = static_cast<size_t>(video_width_) * 3;
    for (int r = 0; r < video_height_; ++r) {
      const uint8_t* s = rgb + std::min(r, height_ - 1) * src_row;
      uint8_t* d = padded_.data() + r * dst_row;
      std::memcpy(d, s, src_row);
      if (video_width_ != width_) std::memcpy(d + src_row, s + src_row - 3, 3);
    }
    data = padded_.data();
  }
  size_t left = static_cast<size_t>(video_width_) * video_height_ * 3;
  while (left > 0) {
    const ssize_t n = ::send(pipe_fd_, data, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail(std::string("ffmpeg stopped reading frames (") + std::strerror(errno) + ")");
    data += n;
    left -= static_cast<size_t>(n);
  }
  ++frames_;
}

void Mp4Writer::AddFrame(const Image& rgb) {
  S2R_CHECK(rgb.width == width_ && rgb.height == height_ && rgb.channels == 3 &&
                rgb.pixels.size() == static_cast<size_t>(width_) * height_ * 3,
            "Mp4Writer('" << path_ << "') takes " << width_ << "x" << height_ << "x3 frames, got "
                          << rgb.width << "x" << rgb.height << "x" << rgb.channels);
  AddFrame(rgb.data());
}

void Mp4Writer::Close() {
  if (state_ == State::kClosed) return;
  if (state_ == State::kFailed) throw IoError(error_);
  if (frames_ == 0) {
    Abandon();
    state_ = State::kFailed;
    error_ = "cannot write video '" + path_ + "': no frames were added";
    throw IoError(error_);
  }
  CloseFd(pipe_fd_);  // EOF: ffmpeg flushes the encoder and writes the index
  const int status = Wait(pid_);
  pid_ = -1;
  if (!Succeeded(status)) {
    ::unlink(partial_path_.c_str());
    state_ = State::kFailed;
    error_ = "cannot write video '" + path_ + "': " + Failure("ffmpeg", status, ReadLog(log_fd_));
    throw IoError(error_);
  }
  if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(partial_path_.c_str());
    state_ = State::kFailed;
    error_ = "cannot write video '" + path_ + "': " + std::strerror(err);
    throw IoError(error_);
  }
  CloseFd(log_fd_);
  state_ = State::kClosed;
}

// ---------------------------------------------------------------------------------------------
// Probing and decoding

VideoInfo ProbeVideo(const std::string& path) {
  const std::string context = "cannot probe video '" + path + "'";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw IoError(context + ": no such file");
  const std::string ffprobe = Program("SIM2REAL_FFPROBE", "ffprobe");
  auto probe = [&](bool count) {
    std::vector<std::string> argv = {ffprobe, "-hide_banner", "-v", "error", "-select_streams", "v:0"};
    if (count) argv.push_back("-count_frames");
    argv.insert(argv.end(), {"-show_entries",
                             "stream=codec_name,pix_fmt,width,height,avg_frame_rate,r_frame_rate,nb_frames,"
                             "nb_read_frames",
                             "-of", "default=noprint_wrappers=1", FileUrl(path)});
    RunResult r = Run(argv, context, "SIM2REAL_FFPROBE");
    if (!Succeeded(r.status)) throw IoError(context + ": " + Failure("ffprobe", r.status, r.log));
    return ParseKeyValues(r.out);
  };
  std::map<std::string, std::string> kv = probe(false);
  if (!kv.count("width")) throw IoError(context + ": no video stream");
  VideoInfo info;
  info.width = ParseInt(kv["width"]);
  info.height = ParseInt(kv["height"]);
  if (info.width <= 0 || info.height <= 0) throw IoError(context + ": not a decodable video");
  info.codec = kv["codec_name"];
  info.pix_fmt = kv["pix_fmt"];
  info.fps = ParseRate(kv["avg_frame_rate"]);
  if (info.fps <= 0) info.fps = ParseRate(kv["r_frame_rate"]);
  // MP4 stores the frame count in its index; other containers may need decoding to count.
  info.frames = ParseInt(kv["nb_frames"]);
  if (kv["nb_frames"].empty() || kv["nb_frames"] == "N/A")
    info.frames = ParseInt(probe(true)["nb_read_frames"]);
  return info;
}

std::vector<Image> ReadVideoFrames(const std::string& path) {
  const VideoInfo info = ProbeVideo(path);
  const std::string context = "cannot decode video '" + path + "'";
  if (info.width <= 0 || info.height <= 0) throw IoError(context + ": no frame size");
  const std::vector<std::string> argv = {Program("SIM2REAL_FFMPEG", "ffmpeg"),
                                         "-hide_banner",
                                         "-nostats",
                                         "-loglevel",
                                         "error",
                                         "-i",
                                         FileUrl(path),
                                         "-map",
                                         "0:v:0",
                                         "-f",
                                         "rawvideo",
                                         "-pix_fmt",
                                         "rgb24",
                                         "pipe:1"};
  const RunResult r = Run(argv, context, "SIM2REAL_FFMPEG");
  if (!Succeeded(r.status)) throw IoError(context + ": " + Failure("ffmpeg", r.status, r.log));
  const size_t frame_bytes = static_cast<size_t>(info.width) * info.height * 3;
  if (r.out.size() % frame_bytes != 0) {
    throw IoError(context + ": ffmpeg returned " + std::to_string(r.out.size()) +
                  " bytes, not a whole number of " + std::to_string(info.width) + "x" +
                  std::to_string(info.height) + " RGB frames");
  }
  std::vector<Image> frames(r.out.size() / frame_bytes);
  for (size_t i = 0; i < frames.size(); ++i) {
    frames[i] = Image(info.width, info.height, 3);
    std::memcpy(frames[i].data(), r.out.data() + i * frame_bytes, frame_bytes);
  }
  return frames;
}

}  // namespace s2r::media
