#include "rl/evaluate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "media/image.h"
#include "media/video_writer.h"

namespace s2r::rl {

namespace {

// Lays out N tiles (each [tile_h, tile_w, 3]) in a near-square grid and marks finished successes with a
// green frame (red while an episode has not succeeded yet).
class GridVideo {
 public:
  GridVideo(const EvalVideoOptions& opt, const EnvBatch& envs) : opt_(opt), envs_(envs) {
    n_ = envs.num_envs();
    cols_ = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n_))));
    rows_ = (n_ + cols_ - 1) / cols_;
    const bool with_policy = opt.policy_camera && envs.image_height() > 0;
    tile_w_ = opt.view_size * (with_policy ? 2 : 1);
    tile_h_ = opt.view_size;
    frame_.assign(static_cast<size_t>(rows_) * tile_h_ * cols_ * tile_w_ * 3, 0);
    views_.resize(static_cast<size_t>(n_) * opt.view_size * opt.view_size * 3);
    writer_ =
        std::make_unique<media::Mp4Writer>(opt.path, cols_ * tile_w_, rows_ * tile_h_, envs.control_freq());
  }

  void AddFrame(const std::vector<uint8_t>& succeeded) {
    const int v = opt_.view_size;
    envs_.RenderViews(v, views_.data());
    const int fw = cols_ * tile_w_;
    const int ih = envs_.image_height(), iw = envs_.image_width();
    for (int e = 0; e < n_; ++e) {
      const int ox = (e % cols_) * tile_w_, oy = (e / cols_) * tile_h_;
      for (int y = 0; y < v; ++y) {
        const uint8_t* src = &views_[(static_cast<size_t>(e) * v + y) * v * 3];
        std::copy(src, src + 3 * v, &frame_[(static_cast<size_t>(oy + y) * fw + ox) * 3]);
        if (tile_w_ > v) {  // the policy camera, scaled up to the view size (nearest pixel)
          const uint8_t* img = envs_.image() + static_cast<size_t>(e) * ih * iw * 3;
          const int sy = y * ih / v;
          for (int x = 0; x < v; ++x) {
            const uint8_t* p = img + (static_cast<size_t>(sy) * iw + x * iw / v) * 3;
            uint8_t* q = &frame_[(static_cast<size_t>(oy + y) * fw + ox + v + x) * 3];
            q[0] = p[0], q[1] = p[1], q[2] = p[2];
          }
        }
      }
      // A 6 px frame: green once the episode has succeeded, dark red before.
      const uint8_t color[3] = {static_cast<uint8_t>(succeeded[static_cast<size_t>(e)] ? 40 : 150),
                                static_cast<uint8_t>(succeeded[static_cast<size_t>(e)] ? 200 : 30), 40};
      for (int y = 0; y < tile_h_; ++y)
        for (int x = 0; x < tile_w_; ++x) {
          if (y >= 6 && y < tile_h_ - 6 && x >= 6 && x < tile_w_ - 6) continue;
          uint8_t* q = &frame_[(static_cast<size_t>(oy + y) * fw + ox + x) * 3];
          q[0] = color[0], q[1] = color[1], q[2] = color[2];
        }
    }
    writer_->AddFrame(frame_.data());
  }
  void Close() { writer_->Close(); }

 private:
  EvalVideoOptions opt_;
  const EnvBatch& envs_;
  int n_, cols_, rows_, tile_w_, tile_h_;
  std::vector<uint8_t> frame_, views_;
  std::unique_ptr<media::Mp4Writer> writer_;
};

}  // namespace

EvalStats RunEvaluation(EnvBatch& envs, int num_steps, const ActFn& act, const EvalVideoOptions& video) {
  const int n = envs.num_envs(), a = envs.action_dim();
  envs.Reset();
  std::unique_ptr<GridVideo> grid;
  if (!video.path.empty()) grid = std::make_unique<GridVideo>(video, envs);
  std::vector<float> actions(static_cast<size_t>(n) * a);
  std::vector<double> ret(static_cast<size_t>(n), 0.0);
  std::vector<int> len(static_cast<size_t>(n), 0);
  std::vector<uint8_t> once(static_cast<size_t>(n), 0), last(static_cast<size_t>(n), 0);
  EvalStats s;
  double sum_once = 0, sum_end = 0, sum_ret = 0, sum_len = 0, sum_rew = 0;
  auto record = [&](size_t i) {
    ++s.episodes;
    sum_once += once[i];
    sum_end += last[i];
    sum_ret += ret[i];
    sum_len += len[i];
    sum_rew += len[i] > 0 ? ret[i] / len[i] : 0.0;
  };
  if (grid) grid->AddFrame(once);
  for (int t = 0; t < num_steps; ++t) {
    act(envs.obs(), envs.image(), actions.data());
    envs.Step(actions.data());
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      ret[i] += envs.reward()[i];
      ++len[i];
      last[i] = envs.success()[i];
      once[i] |= envs.success()[i];
      if (envs.terminated()[i] || envs.truncated()[i]) {
        record(i);
        ret[i] = 0, len[i] = 0, once[i] = 0, last[i] = 0;
      }
    }
    if (grid) grid->AddFrame(once);
  }
  if (s.episodes == 0)  // no episode ended within num_steps: report the running ones
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) record(i);
  if (grid) grid->Close();
  const double k = std::max(1, s.episodes);
  s.success_once = sum_once / k;
  s.success_at_end = sum_end / k;
  s.return_mean = sum_ret / k;
  s.episode_len = sum_len / k;
  s.reward = sum_rew / k;
  return s;
}

}  // namespace s2r::rl
