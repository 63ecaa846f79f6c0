// MuJoCo's OpenGL reference renderer (OSMesa): it starts, its segmentation ids are exact, its camera is
// camera.h's pinhole (pose, roll, fovy, aspect) and its rows are top-first.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "render/camera.h"
#include "render/mujoco_gl_renderer.h"
#include "sim/env_registry.h"
#include "sim/grasp_cube_env.h"
#include "sim/mj_handles.h"

namespace s2r::render {
namespace {

using V3 = std::array<double, 3>;

struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb, seg;
  uint8_t Seg(int i, int j) const { return seg[static_cast<size_t>(i) * w + j]; }
  const uint8_t* Rgb(int i, int j) const { return &rgb[(static_cast<size_t>(i) * w + j) * 3]; }
  int Count(uint8_t id) const {
    int n = 0;
    for (uint8_t s : seg) n += s == id;
    return n;
  }
};

// For eyeballing: S2R_GL_TEST_DUMP=DIR writes DIR/NAME.ppm, rgb above false-coloured seg.
void DumpIfAsked(const Image& im, const char* name) {
  const char* dir = std::getenv("S2R_GL_TEST_DUMP");
  if (!dir) return;
  const std::string path = std::string(dir) + "/" + name + ".ppm";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  std::fprintf(f, "P6 %d %d 255\n", im.w, im.h * 2);
  std::fwrite(im.rgb.data(), 1, im.rgb.size(), f);
  for (uint8_t s : im.seg) {
    const uint8_t c[3] = {static_cast<uint8_t>(s * 37), static_cast<uint8_t>(s * 91),
                          static_cast<uint8_t>(s * 53)};
    std::fwrite(c, 1, 3, f);
  }
  std::fclose(f);
}

class MujocoGlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim::GraspCubeConfig cfg;
    cfg.domain_randomization = false;  // red 2.5 cm cube
    maker_ = new sim::EnvMaker(sim::MakeGraspCube(cfg));
    env_ = static_cast<sim::GraspCubeEnv*>(maker_->factory(1, 0).release());
    renderer_ = new MujocoGlRenderer(env_->model(), 128, 128);
  }
  static void TearDownTestSuite() {
    delete renderer_;
    delete env_;
    delete maker_;
  }

  static Image Render(const CameraPose& pose, int w, int h, const mjModel* m = nullptr,
                      const mjData* d = nullptr) {
    Image im;
    im.w = w, im.h = h;
    im.rgb.assign(static_cast<size_t>(w) * h * 3, 0);
    im.seg.assign(static_cast<size_t>(w) * h, 255);
    renderer_->Render(m ? m : env_->model(), d ? d : env_->data(), pose, w, h, im.rgb.data(), im.seg.data());
    EXPECT_EQ(renderer_->invalid_seg_pixels(), 0);
    return im;
  }
  static int Body(const char* name) { return mj_name2id(env_->model(), mjOBJ_BODY, name); }
  static V3 CubePos() { return env_->cube_pos(); }

  static sim::EnvMaker* maker_;
  static sim::GraspCubeEnv* env_;
  static MujocoGlRenderer* renderer_;
};
sim::EnvMaker* MujocoGlTest::maker_ = nullptr;
sim::GraspCubeEnv* MujocoGlTest::env_ = nullptr;
MujocoGlRenderer* MujocoGlTest::renderer_ = nullptr;

TEST_F(MujocoGlTest, RendersSquareAndNonSquareImages) {
  for (auto [w, h] : {std::pair{128, 128}, std::pair{64, 48}}) {
    const Image im = Render(CameraPose{}, w, h);
    DumpIfAsked(im, w == 128 ? "default_128" : "default_64x48");
    std::set<int> colours;
    for (size_t p = 0; p < im.rgb.size(); p += 3) {
      colours.insert(im.rgb[p] | im.rgb[p + 1] << 8 | im.rgb[p + 2] << 16);
    }
    EXPECT_GT(colours.size(), 20u) << w << "x" << h;
    // The default view looks down below the horizon: every pixel sees a geom (no site or decor holes).
    EXPECT_EQ(im.Count(255), 0);
    EXPECT_EQ(im.Count(0), 0);
    EXPECT_GT(im.Count(Body("table") + 1), w * h / 4);
    EXPECT_GT(im.Count(Body("cube") + 1), 0);
    EXPECT_GT(im.Count(Body("base") + 1), 0);
  }
  // rgb or seg alone gives the same pixels as both together.
  const Image both = Render(CameraPose{}, 64, 48);
  std::vector<uint8_t> rgb(64 * 48 * 3), seg(64 * 48);
  renderer_->Render(env_->model(), env_->data(), CameraPose{}, 64, 48, rgb.data(), nullptr);
  renderer_->Render(env_->model(), env_->data(), CameraPose{}, 64, 48, nullptr, seg.data());
  EXPECT_EQ(rgb, both.rgb);
  EXPECT_EQ(seg, both.seg);
}

TEST_F(MujocoGlTest, SegmentationIdsAtResetState) {
  const int cube = Body("cube") + 1, table = Body("table") + 1, floor = 0 + 1;  // floor: world body
  const V3 c = CubePos();

  // ~0.15 m above and beside the cube, looking at its centre: the 4 pixels around the image centre.
  CameraPose close;
  close.eye = {c[0] + 0.1, c[1] + 0.05, c[2] + 0.1};
  close.target = c;
  Image im = Render(close, 128, 128);
  DumpIfAsked(im, "cube_close");
  for (int i : {63, 64}) {
    for (int j : {63, 64}) EXPECT_EQ(im.Seg(i, j), cube) << i << "," << j;
  }
  EXPECT_GT(im.Count(cube), 500);
  // The cube is red (domain randomization off): rgb and seg share the row order.
  const uint8_t* px = im.Rgb(64, 64);
  EXPECT_GT(px[0], 2 * px[1] + 20);
  EXPECT_GT(px[0], 2 * px[2] + 20);

  // Looking straight up from above the table: nothing but sky.
  CameraPose up;
  up.eye = {0.3, 0.0, 0.5};
  up.target = {0.3, 0.0, 1.5};
  im = Render(up, 64, 48);
  EXPECT_EQ(im.Count(0), 64 * 48);

  // Looking horizontally along +x over the table: sky above the horizon, the floor (world body) beyond
  // the table's far edge, the table top below it, all where camera.h puts them.
  CameraPose horizon;
  horizon.eye = {0.5, 0.0, 0.3};
  horizon.target = {10.5, 0.0, 0.3};
  im = Render(horizon, 128, 128);
  DumpIfAsked(im, "horizon");
  const mjModel* m = env_->model();
  const int tg = env_->ids().table_geom;
  const double far_x = m->geom_pos[3 * tg] + m->geom_size[3 * tg];
  const CameraFrame cf = MakeCameraFrame(horizon);
  const Intrinsics k = MakeIntrinsics(128, 128, horizon.fovy);
  double u, v_top, v_bottom, z;
  ASSERT_TRUE(ProjectPoint(cf, k, {far_x, 0, 0}, &u, &v_top, &z));
  ASSERT_TRUE(ProjectPoint(cf, k, {far_x, 0, -2 * m->geom_size[3 * tg + 2]}, &u, &v_bottom, &z));
  ASSERT_GT(v_bottom - 64, 20);
  for (int i = 0; i < 128; ++i) {
    const double v = i + 0.5;
    const uint8_t s = im.Seg(i, 64);
    if (v < 64 - 1) {
      EXPECT_EQ(s, 0) << "row " << i;
    } else if (v > 64 + 3 && v < v_top - 1) {
      EXPECT_EQ(s, floor) << "row " << i;
    } else if (v > v_top + 1) {
      EXPECT_EQ(s, table) << "row " << i;
    }
  }
}

TEST_F(MujocoGlTest, RobotBodiesAppearInAViewOfTheArm) {
  const mjModel* m = env_->model();
  std::set<int> robot_bodies;
  for (int g : env_->ids().robot_geoms) robot_bodies.insert(m->geom_bodyid[g] + 1);
  ASSERT_GE(robot_bodies.size(), 6u);
  CameraPose pose;
  pose.eye = {0.45, -0.35, 0.3};
  pose.target = {0.1, 0.0, 0.12};
  const Image im = Render(pose, 128, 128);
  DumpIfAsked(im, "arm");
  std::set<int> seen;
  for (uint8_t s : im.seg) {
    if (robot_bodies.count(s)) seen.insert(s);
  }
  EXPECT_GE(seen.size(), robot_bodies.size() - 1);
  // The base plate's top face near its corner facing the camera is labelled base.
  const int plate = mj_name2id(m, mjOBJ_GEOM, "base_plate");
  ASSERT_GE(plate, 0);
  const double* p = env_->data()->geom_xpos + 3 * plate;
  const double* r = env_->data()->geom_xmat + 9 * plate;
  const double* sz = m->geom_size + 3 * plate;
  const double local[3] = {0.8 * sz[0], -0.7 * sz[1], sz[2]};
  V3 corner;
  for (int a = 0; a < 3; ++a)
    corner[a] = p[a] + r[3 * a] * local[0] + r[3 * a + 1] * local[1] + r[3 * a + 2] * local[2];
  double u, v, z;
  ASSERT_TRUE(ProjectPoint(MakeCameraFrame(pose), MakeIntrinsics(128, 128, pose.fovy), corner, &u, &v, &z));
  EXPECT_EQ(im.Seg(static_cast<int>(v), static_cast<int>(u)), Body("base") + 1);
}

// Ray through the centre of pixel (u, v) per camera.h, intersected with a box (centre, rotation, half size).
bool RayHitsBox(const CameraFrame& cf, const Intrinsics& k, double u, double v, const double* pos,
                const double* mat, double half) {
  V3 dir;
  for (int a = 0; a < 3; ++a) {
    dir[a] = cf.forward[a] + (u - k.cx) / k.f * cf.right[a] - (v - k.cy) / k.f * cf.up[a];
  }
  double t0 = 0, t1 = 1e9;
  for (int a = 0; a < 3; ++a) {  // slab test in the box frame (columns of mat are its axes)
    double o = 0, d = 0;
    for (int b = 0; b < 3; ++b) {
      o += (cf.eye[b] - pos[b]) * mat[3 * b + a];
      d += dir[b] * mat[3 * b + a];
    }
    if (std::fabs(d) < 1e-12) {
      if (std::fabs(o) > half) return false;
      continue;
    }
    double ta = (-half - o) / d, tb = (half - o) / d;
    if (ta > tb) std::swap(ta, tb);
    t0 = std::max(t0, ta), t1 = std::min(t1, tb);
  }
  return t0 <= t1;
}

TEST_F(MujocoGlTest, CubeMaskMatchesCameraHPinhole) {
  // A per-render model: the 3 cm cube at a known pose (yawed 0.4 rad) in a copy of the env's model.
  sim::MjModelPtr m = sim::CopyModel(env_->model());
  const int cg = env_->ids().cube_geom;
  const double half = 0.015;
  for (int a = 0; a < 3; ++a) m->geom_size[3 * cg + a] = half;
  sim::MjDataPtr d = sim::MakeData(m.get());
  mju_copy(d->qpos, env_->data()->qpos, m->nq);
  double* cq = d->qpos + env_->ids().cube_qpos_adr;
  const V3 c = {0.4, -0.12, half};
  cq[0] = c[0], cq[1] = c[1], cq[2] = c[2];
  cq[3] = std::cos(0.2), cq[4] = cq[5] = 0, cq[6] = std::sin(0.2);
  mj_forward(m.get(), d.get());
  const int cube = Body("cube") + 1;

  struct Case {
    double roll, fovy;
    int w, h;
  };
  for (const Case& cs : {Case{0.0, 0.9075712110370514, 128, 128}, Case{0.3, 0.9075712110370514, 128, 128},
                         Case{0.0, 0.6, 128, 128}, Case{0.3, 0.6, 120, 80}, Case{-1.0, 0.8, 96, 128}}) {
    CameraPose pose;
    pose.eye = {c[0] + 0.25, c[1] + 0.1, c[2] + 0.2};
    pose.target = {c[0] + 0.02, c[1] - 0.03, c[2] + 0.025};  // the cube lands off-centre
    pose.roll = cs.roll;
    pose.fovy = cs.fovy;
    SCOPED_TRACE(testing::Message() << "roll " << cs.roll << " fovy " << cs.fovy << " " << cs.w << "x"
                                    << cs.h);
    const Image im = Render(pose, cs.w, cs.h, m.get(), d.get());
    if (cs.w == 120) DumpIfAsked(im, "pinhole_120x80");

    // Mask centroid (pixel centres) and the mask camera.h's rays predict.
    const CameraFrame cf = MakeCameraFrame(pose);
    const Intrinsics k = MakeIntrinsics(cs.w, cs.h, pose.fovy);
    const double* gpos = d->geom_xpos + 3 * cg;
    const double* gmat = d->geom_xmat + 9 * cg;
    double su = 0, sv = 0, eu = 0, ev = 0;
    int n = 0, ne = 0, both = 0, either = 0;
    for (int i = 0; i < cs.h; ++i) {
      for (int j = 0; j < cs.w; ++j) {
        const bool got = im.Seg(i, j) == cube;
        const bool want = RayHitsBox(cf, k, j + 0.5, i + 0.5, gpos, gmat, half);
        if (got) su += j + 0.5, sv += i + 0.5, ++n;
        if (want) eu += j + 0.5, ev += i + 0.5, ++ne;
        both += got && want;
        either += got || want;
      }
    }
    ASSERT_GT(n, 50);
    ASSERT_GT(ne, 50);
    su /= n, sv /= n, eu /= ne, ev /= ne;
    double u, v, z;
    ASSERT_TRUE(ProjectPoint(cf, k, {gpos[0], gpos[1], gpos[2]}, &u, &v, &z));
    EXPECT_NEAR(su, u, 1.0);
    EXPECT_NEAR(sv, v, 1.0);
    EXPECT_GT(std::hypot(u - 0.5 * cs.w, v - 0.5 * cs.h), 10);  // off-centre: roll and fov matter
    EXPECT_NEAR(su, eu, 0.1);
    EXPECT_NEAR(sv, ev, 0.1);
    EXPECT_GE(static_cast<double>(both) / either, 0.98);
    // Sensitivity: the opposite roll would put the cube pixels away.
    if (cs.roll != 0) {
      CameraPose flipped = pose;
      flipped.roll = -pose.roll;
      double fu, fv;
      ASSERT_TRUE(ProjectPoint(MakeCameraFrame(flipped), k, {gpos[0], gpos[1], gpos[2]}, &fu, &fv, &z));
      EXPECT_GT(std::hypot(su - fu, sv - fv), 3.0);
    }
  }
}

TEST_F(MujocoGlTest, RowsAreTopFirst) {
  // Camera up is world +z: the table is in the lower half, the sky in the upper one.
  CameraPose pose;
  pose.eye = {-0.3, 0.0, 0.25};
  pose.target = {0.7, 0.0, 0.25};
  const Image im = Render(pose, 64, 48);
  const int table = Body("table") + 1;
  int top = 0, bottom = 0;
  for (int i = 0; i < 48; ++i) {
    for (int j = 0; j < 64; ++j) (i < 24 ? top : bottom) += im.Seg(i, j) == table;
  }
  EXPECT_EQ(top, 0);
  EXPECT_GT(bottom, 64 * 10);
  EXPECT_EQ(im.Seg(0, 32), 0);
  // Sky is black in rgb (no skybox), the lit table is not.
  const uint8_t* sky = im.Rgb(0, 32);
  const uint8_t* tab = im.Rgb(47, 32);
  EXPECT_EQ(sky[0] + sky[1] + sky[2], 0);
  EXPECT_GT(tab[0] + tab[1] + tab[2], 60);
}

TEST_F(MujocoGlTest, InstancesShareAThreadAndRunOnOthers) {
  const Image ref = Render(CameraPose{}, 128, 128);
  // A second instance on this thread, used between calls of the first.
  {
    MujocoGlRenderer other(env_->model(), 64, 64);
    std::vector<uint8_t> rgb(48 * 64 * 3), seg(48 * 64);
    other.Render(env_->model(), env_->data(), CameraPose{}, 64, 48, rgb.data(), seg.data());
    EXPECT_EQ(rgb, Render(CameraPose{}, 64, 48).rgb);
    EXPECT_EQ(seg, Render(CameraPose{}, 64, 48).seg);
  }
  EXPECT_EQ(Render(CameraPose{}, 128, 128).rgb, ref.rgb);
  // The fixture's instance on another thread (one thread at a time).
  Image moved;
  std::thread([&] { moved = Render(CameraPose{}, 128, 128); }).join();
  EXPECT_EQ(moved.rgb, ref.rgb);
  EXPECT_EQ(moved.seg, ref.seg);
  // One instance per thread, rendering at the same time.
  std::vector<Image> out(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      MujocoGlRenderer r(env_->model(), 128, 128);
      Image& im = out[t];
      im.w = im.h = 128;
      im.rgb.resize(128 * 128 * 3);
      im.seg.resize(128 * 128);
      for (int k = 0; k < 10; ++k) {
        r.Render(env_->model(), env_->data(), CameraPose{}, 128, 128, im.rgb.data(), im.seg.data());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Image& im : out) {
    EXPECT_EQ(im.rgb, ref.rgb);
    EXPECT_EQ(im.seg, ref.seg);
  }
}

TEST_F(MujocoGlTest, TooLargeBufferThrowsIoError) {
  try {
    MujocoGlRenderer r(env_->model(), 1 << 16, 8);
    FAIL() << "no IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("65536x8"), std::string::npos) << e.what();
  }
  // The fixture's renderer still works afterwards.
  EXPECT_GT(Render(CameraPose{}, 64, 48).Count(Body("table") + 1), 0);
}

// Rough frame rate at 128x128 (printed, not asserted): rgb only and rgb + seg.
TEST_F(MujocoGlTest, ReportsFrameRate) {
  std::vector<uint8_t> rgb(128 * 128 * 3), seg(128 * 128);
  for (bool with_seg : {false, true}) {
    const int frames = 100;
    const auto t0 = std::chrono::steady_clock::now();
    for (int f = 0; f < frames; ++f) {
      renderer_->Render(env_->model(), env_->data(), CameraPose{}, 128, 128, rgb.data(),
                        with_seg ? seg.data() : nullptr);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("MuJoCo GL (OSMesa) 128x128 %s: %.0f frames/s\n", with_seg ? "rgb+seg" : "rgb", frames / s);
  }
}

}  // namespace
}  // namespace s2r::render
