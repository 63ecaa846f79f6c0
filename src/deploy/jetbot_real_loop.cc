#include "deploy/jetbot_real_loop.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/stats.h"
#include "media/video_writer.h"

namespace s2r::deploy {

namespace {

constexpr double kTimeEpsilon = 1e-9;  // s: schedule comparisons tolerate rounding

std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void JetbotLoopOptions::Validate() const {
  if (!(max_duty > 0 && max_duty <= 1))
    throw ConfigError(
        "--max-duty: expected a duty in (0, 1] (the policy's [-1, 1] action is scaled by it), got " +
        Num(max_duty));
  if (!(control_freq > 0 && control_freq <= 1000))
    throw ConfigError("--control-freq: expected a frequency in (0, 1000] Hz, got " + Num(control_freq));
  if (!(seconds >= 0) || !std::isfinite(seconds))
    throw ConfigError("--seconds: expected a duration >= 0 s (0: until Ctrl+C), got " + Num(seconds));
  if (image_width <= 0 || image_height <= 0)
    throw ConfigError("--checkpoint: the policy's image size must be positive, got " +
                      std::to_string(image_width) + "x" + std::to_string(image_height));
}

JetbotLoopResult RunJetbotLoop(const JetbotLoopOptions& o, const JetbotLoopIo& io) {
  o.Validate();
  const double period = 1.0 / o.control_freq;
  std::unique_ptr<media::Mp4Writer> video;
  if (!o.record_path.empty())
    video = std::make_unique<media::Mp4Writer>(o.record_path, o.image_width, o.image_height, o.control_freq);

  JetbotLoopResult r;
  std::vector<double> ages_ms, latencies_ms;
  std::array<float, 2> state = {0.0f, 0.0f};  // the last action, as the sim's rgb observation holds it
  std::array<float, 2> action = {0.0f, 0.0f};
  uint64_t last_sequence = 0;
  // Step k of the schedule starts at base + k * period; an overrun restarts the schedule where it ended.
  const double start = io.now();
  double base = start, step_start = start, end = start;
  long k = 0;
  while (true) {
    if (io.stop_requested && io.stop_requested()) {
      r.interrupted = true;
      break;
    }
    if (o.seconds > 0 && step_start - start >= o.seconds - kTimeEpsilon) break;

    const camera::Frame frame = io.read_frame();
    const double received = io.now();
    const media::Image image = camera::PreprocessObservation(frame.image, o.image_width, o.image_height);
    io.act(state.data(), image.pixels.data(), action.data());
    for (int k = 0; k < 2; ++k) {
      if (!std::isfinite(action[k]))
        throw IoError("the policy returned a non-finite action (" + Num(action[0]) + ", " + Num(action[1]) +
                      "); the motors are released");
      action[k] = std::clamp(action[k], -1.0f, 1.0f);
    }
    const double left = action[0] * o.max_duty, right = action[1] * o.max_duty;
    io.set_motors(left, right);
    const double written = io.now();
    state = action;

    ages_ms.push_back(1e3 * (received - frame.timestamp_s));
    latencies_ms.push_back(1e3 * (written - received));
    r.max_abs_value = std::max({r.max_abs_value, std::abs(left), std::abs(right)});
    if (frame.sequence != last_sequence) ++r.new_frames, last_sequence = frame.sequence;
    ++r.steps;
    if (video) video->AddFrame(image);

    const double deadline = base + static_cast<double>(k + 1) * period;
    const double done = io.now();
    if (done > deadline + kTimeEpsilon) {
      ++r.overruns;  // the next step starts at once, on a schedule from here
      base = step_start = done;
      k = 0;
    } else {
      io.sleep_until(deadline);
      step_start = deadline;
      ++k;
    }
    end = std::max(done, step_start);
  }
  if (video && video->frames() > 0) {  // none when stopped before the first step: no file left
    video->Close();
    r.video = video->path();
  }
  r.seconds = end - start;
  r.loop_hz = r.seconds > 0 ? r.steps / r.seconds : NAN;
  r.frame_age_median_ms = Median(ages_ms);
  r.frame_age_max_ms = ages_ms.empty() ? NAN : *std::max_element(ages_ms.begin(), ages_ms.end());
  r.latency_median_ms = Median(latencies_ms);
  r.latency_p95_ms = Percentile(latencies_ms, 95);
  return r;
}

}  // namespace s2r::deploy
