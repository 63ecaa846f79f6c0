// The batch renderer: agreement with MuJoCo's own renderer, the pinhole projection, fov and roll,
// greenscreen compositing, camera randomization and the rgb observations of the engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "core/rng.h"
#include "media/image.h"
#include "render/batch_renderer.h"
#include "render/camera.h"
#include "render/greenscreen.h"
#include "render/mujoco_gl_renderer.h"
#include "sim/env_registry.h"
#include "sim/grasp_cube_env.h"
#include "sim/vec_env.h"

namespace s2r {
namespace {

using render::BatchRenderer;
using render::CameraPose;

std::unique_ptr<sim::Env> MakeEnv(const sim::GraspCubeConfig& cfg, uint64_t seed) {
  return sim::MakeGraspCube(cfg).factory(seed, 0);
}
sim::GraspCubeEnv& AsTask(std::unique_ptr<sim::Env>& e) { return static_cast<sim::GraspCubeEnv&>(*e); }

// Mask bounding box of segmentation id `id`: {min col, min row, max col, max row}, or empty.
struct Box {
  int u0 = 1 << 30, v0 = 1 << 30, u1 = -1, v1 = -1, count = 0;
  double cu = 0, cv = 0;  // centroid (pixel centres)
};
Box MaskBox(const std::vector<uint8_t>& seg, int w, int h, uint8_t id) {
  Box b;
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u)
      if (seg[static_cast<size_t>(v * w + u)] == id) {
        b.u0 = std::min(b.u0, u), b.u1 = std::max(b.u1, u), b.v0 = std::min(b.v0, v),
        b.v1 = std::max(b.v1, v);
        b.cu += u + 0.5, b.cv += v + 0.5, ++b.count;
      }
  if (b.count) b.cu /= b.count, b.cv /= b.count;
  return b;
}

TEST(BatchRendererTest, SegmentationMatchesMujocoRenderer) {
  sim::GraspCubeConfig cfg;
  const int w = 128, h = 128;
  Rng rng(7);
  int compared = 0;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    auto base = MakeEnv(cfg, seed);
    auto& env = AsTask(base);
    // Random reachable poses: drive the arm with random actions for a while.
    for (int t = 0; t < 12; ++t) {
      float a[6];
      for (float& x : a) x = static_cast<float>(rng.Uniform(-1, 1));
      ASSERT_TRUE(env.Step(a));
    }
    const BatchRenderer batch(env.model(), w, h);
    render::MujocoGlRenderer gl(env.model(), w, h);
    CameraPose pose = env.camera_pose();
    if (seed % 2) {  // also a closer, rolled view
      pose.eye = {0.45, 0.25, 0.25};
      pose.target = {0.2, 0.0, 0.05};
      pose.roll = 0.2;
    }
    std::vector<uint8_t> seg_b(w * h), seg_g(w * h);
    batch.Render(env.model(), env.data(), pose, env.lighting(), nullptr, seg_b.data());
    gl.Render(env.model(), env.data(), pose, w, h, nullptr, seg_g.data());
    std::map<int, std::array<int, 3>> counts;  // id -> {intersection, batch, gl}
    for (int i = 0; i < w * h; ++i) {
      ++counts[seg_b[i]][1];
      ++counts[seg_g[i]][2];
      if (seg_b[i] == seg_g[i]) ++counts[seg_b[i]][0];
    }
    for (const auto& [id, c] : counts) {
      if (id == 0 || c[2] <= 50) continue;  // objects larger than 50 pixels in the reference
      const double iou = static_cast<double>(c[0]) / (c[1] + c[2] - c[0]);
      EXPECT_GE(iou, 0.97) << "seed " << seed << " body " << mj_id2name(env.model(), mjOBJ_BODY, id - 1)
                           << " batch " << c[1] << " px, MuJoCo " << c[2] << " px";
      ++compared;
    }
  }
  EXPECT_GT(compared, 30);  // robot links, cube, table and floor in every view
}

// Every geom type the renderer supports, each on its own body, against MuJoCo's renderer.
TEST(BatchRendererTest, AllGeomTypesMatchMujocoRenderer) {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() / "s2r_all_geoms.xml";
  std::ofstream(path) << R"(<mujoco>
  <asset>
    <mesh name="wedge" vertex="0 0 0  0.06 0 0  0 0.06 0  0 0 0.06  0.06 0.06 0.06"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="0 0 0.05" rgba="0.3 0.3 0.3 1"/>
    <body name="box" pos="0.1 0 0.03"><geom type="box" size="0.03 0.02 0.03" rgba="1 0 0 1"/></body>
    <body name="sphere" pos="0 0.1 0.03"><geom type="sphere" size="0.03" rgba="0 1 0 1"/></body>
    <body name="capsule" pos="-0.1 0 0.04" euler="0.3 0.5 0"><geom type="capsule" size="0.02 0.03" rgba="0 0 1 1"/></body>
    <body name="cylinder" pos="0 -0.1 0.03" euler="0 0.4 0.2"><geom type="cylinder" size="0.025 0.03" rgba="1 1 0 1"/></body>
    <body name="ellipsoid" pos="0.1 0.1 0.03"><geom type="ellipsoid" size="0.04 0.02 0.025" rgba="0 1 1 1"/></body>
    <body name="mesh" pos="-0.1 -0.1 0.0"><geom type="mesh" mesh="wedge" rgba="1 0 1 1"/></body>
  </worldbody>
</mujoco>)";
  char error[512] = "";
  mjModel* m = mj_loadXML(path.c_str(), nullptr, error, sizeof(error));
  ASSERT_NE(m, nullptr) << error;
  mjData* d = mj_makeData(m);
  mj_forward(m, d);
  const int w = 160, h = 120;
  const BatchRenderer batch(m, w, h);
  render::MujocoGlRenderer gl(m, w, h);
  for (const auto& eye : {std::array<double, 3>{0.35, 0.25, 0.3}, std::array<double, 3>{-0.3, -0.3, 0.25}}) {
    CameraPose pose;
    pose.eye = eye;
    pose.target = {0, 0, 0.02};
    pose.fovy = 0.8;
    std::vector<uint8_t> seg_b(w * h), seg_g(w * h);
    batch.Render(m, d, pose, render::Lighting{}, nullptr, seg_b.data());
    gl.Render(m, d, pose, w, h, nullptr, seg_g.data());
    for (int body = 0; body < m->nbody; ++body) {
      const uint8_t id = static_cast<uint8_t>(body + 1);
      int inter = 0, nb = 0, ng = 0;
      for (int i = 0; i < w * h; ++i) {
        nb += seg_b[i] == id;
        ng += seg_g[i] == id;
        inter += seg_b[i] == id && seg_g[i] == id;
      }
      ASSERT_GT(ng, 50) << mj_id2name(m, mjOBJ_BODY, body) << " is not in view";
      EXPECT_GE(static_cast<double>(inter) / (nb + ng - inter), 0.97) << mj_id2name(m, mjOBJ_BODY, body);
    }
  }
  mj_deleteData(d);
  mj_deleteModel(m);
  fs::remove(path);
}

// A scene with just the cube in view: the arm at rest is outside this camera's view.
struct CubeView {
  sim::GraspCubeConfig cfg;
  std::unique_ptr<sim::Env> base;
  sim::GraspCubeEnv* env = nullptr;
  std::array<double, 3> cube = {0.3, 0.1, 0.0125};
  CubeView() {
    cfg.domain_randomization = false;
    base = MakeEnv(cfg, 1);
    env = &AsTask(base);
    double* cq = env->data()->qpos + env->ids().cube_qpos_adr;
    cq[0] = cube[0], cq[1] = cube[1], cq[2] = cube[2];
    cq[3] = 1, cq[4] = cq[5] = cq[6] = 0;
    env->Refresh();
  }
  uint8_t cube_id() const { return static_cast<uint8_t>(env->ids().cube_body + 1); }
};

TEST(BatchRendererTest, CubeLandsWherePinholeProjectionSays) {
  CubeView view;
  const int w = 160, h = 120;
  const BatchRenderer r(view.env->model(), w, h);
  for (double roll : {0.0, 0.4}) {
    for (double fovy : {0.6, 0.9}) {
      CameraPose pose;
      pose.eye = {0.55, 0.25, 0.2};
      pose.target = {0.32, 0.12, 0.0};
      pose.roll = roll;
      pose.fovy = fovy;
      std::vector<uint8_t> seg(w * h);
      r.Render(view.env->model(), view.env->data(), pose, render::Lighting{}, nullptr, seg.data());
      const Box b = MaskBox(seg, w, h, view.cube_id());
      ASSERT_GT(b.count, 20);
      // Project the 8 corners: the mask's extent must match the corners' extent within 1 px.
      const auto cam = render::MakeCameraFrame(pose);
      const auto k = render::MakeIntrinsics(w, h, fovy);
      double umin = 1e9, umax = -1e9, vmin = 1e9, vmax = -1e9;
      const double s = view.env->cube_half_size();
      for (int c = 0; c < 8; ++c) {
        const std::array<double, 3> p = {view.cube[0] + ((c & 1) ? s : -s), view.cube[1] + ((c & 2) ? s : -s),
                                         view.cube[2] + ((c & 4) ? s : -s)};
        double u, v, z;
        ASSERT_TRUE(render::ProjectPoint(cam, k, p, &u, &v, &z));
        umin = std::min(umin, u), umax = std::max(umax, u), vmin = std::min(vmin, v),
        vmax = std::max(vmax, v);
      }
      EXPECT_NEAR(b.u0, umin, 1.0) << "roll " << roll << " fovy " << fovy;
      EXPECT_NEAR(b.u1 + 1, umax, 1.0);
      EXPECT_NEAR(b.v0, vmin, 1.0);
      EXPECT_NEAR(b.v1 + 1, vmax, 1.0);
    }
  }
}

TEST(BatchRendererTest, FovAndRollChangeTheImageAsTheFormulasSay) {
  CubeView view;
  const int w = 200, h = 200;
  const BatchRenderer r(view.env->model(), w, h);
  CameraPose pose;
  pose.eye = {0.55, 0.25, 0.2};
  pose.target = {0.33, 0.14, 0.0};  // the cube sits off the image centre
  auto render_box = [&](const CameraPose& p) {
    std::vector<uint8_t> seg(w * h);
    r.Render(view.env->model(), view.env->data(), p, render::Lighting{}, nullptr, seg.data());
    return MaskBox(seg, w, h, view.cube_id());
  };
  pose.fovy = 0.5;
  const Box narrow = render_box(pose);
  pose.fovy = 0.8;
  const Box wide = render_box(pose);
  ASSERT_GT(narrow.count, 50);
  ASSERT_GT(wide.count, 20);
  ASSERT_GT(std::fabs(narrow.cu - 100), 10.0);  // clearly off centre, so ratios are meaningful
  // Image distances scale with 1 / tan(fovy / 2): the offset from the centre and the width alike.
  const double ratio = std::tan(0.25) / std::tan(0.4);
  EXPECT_NEAR((wide.cu - 100) / (narrow.cu - 100), ratio, 0.03);
  EXPECT_NEAR((wide.cv - 100) / (narrow.cv - 100), ratio, 0.03);
  EXPECT_NEAR(static_cast<double>(wide.u1 - wide.u0 + 1) / (narrow.u1 - narrow.u0 + 1), ratio, 0.1);
  // Rolling the camera by +theta about its view axis turns the image content by -theta about the centre.
  pose.fovy = 0.8;
  const double theta = 0.5;
  pose.roll = theta;
  const Box rolled = render_box(pose);
  const double x = wide.cu - 100, y = -(wide.cv - 100);  // y up
  const double xr = std::cos(-theta) * x - std::sin(-theta) * y,
               yr = std::sin(-theta) * x + std::cos(-theta) * y;
  EXPECT_NEAR(rolled.cu - 100, xr, 1.0);
  EXPECT_NEAR(-(rolled.cv - 100), yr, 1.0);
}

TEST(GreenscreenTest, OnlyNonKeptPixelsTakeThePhoto) {
  const int w = 4, h = 2;
  std::vector<uint8_t> photo(w * h * 3);
  for (size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<uint8_t>(200 + i % 7);
  std::array<bool, 256> keep{};
  keep[5] = keep[9] = true;
  const std::vector<uint8_t> seg = {0, 5, 9, 3, 5, 1, 0, 9};
  std::vector<uint8_t> rgb(w * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i);
  const std::vector<uint8_t> original = rgb;
  render::Greenscreen bg(photo, w, h, keep, render::OverlayMode::kBackground);
  bg.Apply(rgb.data(), seg.data());
  for (int i = 0; i < w * h; ++i)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(rgb[3 * i + c], keep[seg[i]] ? original[3 * i + c] : photo[3 * i + c]) << "pixel " << i;
  rgb = original;
  render::Greenscreen debug(photo, w, h, keep, render::OverlayMode::kDebug);
  debug.Apply(rgb.data(), seg.data());
  for (size_t i = 0; i < rgb.size(); ++i) EXPECT_EQ(rgb[i], (original[i] + photo[i] + 1) / 2);
  rgb = original;
  render::Greenscreen none(photo, w, h, keep, render::OverlayMode::kNone);
  none.Apply(rgb.data(), seg.data());
  EXPECT_EQ(rgb, original);
}

TEST(GreenscreenTest, EnvKeepsRobotAndCubeAndReplacesTheRest) {
  namespace fs = std::filesystem;
  const fs::path photo_path = fs::temp_directory_path() / "s2r_render_test_photo.png";
  // A 64x48 photo of a flat colour: after the resize every background pixel has that colour.
  std::vector<uint8_t> photo(64 * 48 * 3);
  for (size_t i = 0; i < photo.size(); i += 3) photo[i] = 10, photo[i + 1] = 220, photo[i + 2] = 30;
  media::WritePng(photo_path.string(), photo.data(), 64, 48, 3);
  sim::GraspCubeConfig cfg;
  cfg.greenscreen_overlay_path = photo_path.string();
  auto base = MakeEnv(cfg, 2);
  auto& env = AsTask(base);
  const int w = cfg.sensor_width, h = cfg.sensor_height;
  std::vector<uint8_t> plain(w * h * 3), composited(w * h * 3), seg(w * h);
  env.RenderCamera(*env.scene().renderer, nullptr, plain.data(), seg.data());
  env.RenderObs(composited.data());
  int kept = 0, replaced = 0;
  for (int i = 0; i < w * h; ++i) {
    const bool keep = env.scene().keep[seg[i]];
    for (int c = 0; c < 3; ++c) {
      const uint8_t want = keep ? plain[3 * i + c] : photo[c];
      ASSERT_EQ(composited[3 * i + c], want) << "pixel " << i << " seg " << int(seg[i]);
    }
    keep ? ++kept : ++replaced;
  }
  EXPECT_GT(kept, 100);       // the arm and the cube are in view
  EXPECT_GT(replaced, 5000);  // table, floor and sky are replaced
  fs::remove(photo_path);
}

TEST(CameraRandomizationTest, DrawsStayInRangeAndFollowTheSeed) {
  sim::GraspCubeConfig cfg;
  const auto& dr = cfg.domain_randomization_config;
  const auto& base_cam = cfg.base_camera_settings;
  std::vector<double> rolls, target_dx;
  auto b1 = MakeEnv(cfg, 42);
  auto b2 = MakeEnv(cfg, 42);
  auto& e1 = AsTask(b1);
  auto& e2 = AsTask(b2);
  const float zero[6] = {0, 0, 0, 0, 0, 0};
  for (int t = 0; t < 300; ++t) {
    const CameraPose p = e1.camera_pose();
    for (int k = 0; k < 3; ++k)
      EXPECT_LE(std::fabs(p.eye[k] - base_cam.pos[k]), 0.5 * dr.max_camera_offset[k]);
    EXPECT_LE(std::fabs(p.fovy - base_cam.fov), dr.camera_fov_noise);
    rolls.push_back(p.roll);
    target_dx.push_back(p.target[0] - base_cam.target[0]);
    // Same seed, same draws.
    EXPECT_EQ(p.eye, e2.camera_pose().eye);
    EXPECT_EQ(p.roll, e2.camera_pose().roll);
    ASSERT_TRUE(e1.Step(zero));
    ASSERT_TRUE(e2.Step(zero));
  }
  auto stddev = [](const std::vector<double>& v) {
    double m = 0, s = 0;
    for (double x : v) m += x;
    m /= v.size();
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / v.size());
  };
  EXPECT_NEAR(stddev(rolls), dr.camera_view_rot_noise, 0.3 * dr.camera_view_rot_noise);
  EXPECT_NEAR(stddev(target_dx), dr.camera_target_noise, 0.3 * dr.camera_target_noise);
  // The pose changes every control step; without randomization it never moves.
  cfg.domain_randomization = false;
  auto b3 = MakeEnv(cfg, 42);
  auto& e3 = AsTask(b3);
  ASSERT_TRUE(e3.Step(zero));
  EXPECT_EQ(e3.camera_pose().eye, base_cam.pos);
  EXPECT_EQ(e3.camera_pose().roll, 0.0);
  EXPECT_EQ(e3.camera_pose().fovy, base_cam.fov);
}

TEST(RgbObservationTest, EngineImagesComeFromTheBatchBuffer) {
  sim::GraspCubeConfig cfg;
  cfg.obs_mode = sim::ObsMode::kRgb;
  cfg.sensor_width = 64;
  cfg.sensor_height = 48;
  sim::VecEnvConfig vcfg;
  vcfg.num_envs = 3;
  vcfg.num_threads = 2;
  vcfg.seed = 5;
  vcfg.ignore_terminations = true;
  auto venv = sim::MakeVecEnv(sim::kGraspCubeId, cfg, vcfg);
  EXPECT_EQ(venv->spec().obs_dim, 17);
  EXPECT_EQ(venv->spec().image_height, 48);
  EXPECT_EQ(venv->spec().image_width, 64);
  ASSERT_NE(venv->image(), nullptr);
  ASSERT_EQ(venv->image_size(), 64u * 48u * 3u);
  std::vector<float> actions(3 * 6, 0.2f);
  std::vector<uint8_t> expect(64 * 48 * 3), before_reset(3 * 64 * 48 * 3);
  for (int t = 0; t < 64; ++t) {
    if (t == 63) std::copy(venv->image(), venv->image() + before_reset.size(), before_reset.begin());
    venv->Step(actions.data());
    if (t == 62) {
      for (int i = 0; i < 3; ++i) {
        venv->env(i).RenderObs(expect.data());
        EXPECT_TRUE(std::equal(expect.begin(), expect.end(), venv->image() + i * venv->image_size()))
            << "env " << i;
      }
    }
  }
  // Step 64 truncated every env: final_image is the last frame of the episode, image the new episode's.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(venv->truncated()[i]);
    const uint8_t* fin = venv->final_image() + i * venv->image_size();
    const uint8_t* now = venv->image() + i * venv->image_size();
    EXPECT_FALSE(std::equal(fin, fin + venv->image_size(), now)) << "env " << i;
  }
}

}  // namespace
}  // namespace s2r
