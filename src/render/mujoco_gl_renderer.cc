#include "render/mujoco_gl_renderer.h"

#include <GL/osmesa.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "core/error.h"

namespace s2r::render {

namespace {

// OSMesa's default framebuffer: only bound, never drawn (MuJoCo renders into its own FBO).
constexpr int kWindowSize = 8;

// mjr_makeContext loads MuJoCo's process-wide GL function table; keep context setup/teardown serial.
std::mutex& GlSetupMutex() {
  static std::mutex mu;
  return mu;
}

// GL queries through OSMesa's own table (a libGL elsewhere in the process must not answer them).
std::string GlString(GLenum name) {
  auto fn = reinterpret_cast<const GLubyte* (*)(GLenum)>(OSMesaGetProcAddress("glGetString"));
  const GLubyte* s = fn ? fn(name) : nullptr;
  return s ? reinterpret_cast<const char*>(s) : "";
}

GLint GlInt(GLenum name) {
  auto fn = reinterpret_cast<void (*)(GLenum, GLint*)>(OSMesaGetProcAddress("glGetIntegerv"));
  GLint v = 0;
  if (fn) fn(name, &v);
  return v;
}

}  // namespace

MujocoGlRenderer::MujocoGlRenderer(const mjModel* m, int max_width, int max_height)
    : max_width_(max_width), max_height_(max_height), ngeom_(m->ngeom), nmesh_(m->nmesh), nbody_(m->nbody) {
  S2R_CHECK(max_width > 0 && max_height > 0, "offscreen size " << max_width << "x" << max_height);
  S2R_CHECK(m->nbody < 256, "segmentation stores body id + 1 in uint8; nbody = " << m->nbody);
  std::lock_guard<std::mutex> lock(GlSetupMutex());

  // 24-bit depth, 8-bit stencil (MuJoCo's FBO has its own).
  ctx_ = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, nullptr);
  if (!ctx_) {
    throw IoError("MuJoCo GL renderer: OSMesaCreateContextExt failed (is libOSMesa's Mesa working?)");
  }
  window_.assign(kWindowSize * kWindowSize * 4, 0);
  if (!OSMesaMakeCurrent(ctx_, window_.data(), GL_UNSIGNED_BYTE, kWindowSize, kWindowSize)) {
    OSMesaDestroyContext(ctx_);
    throw IoError("MuJoCo GL renderer: OSMesaMakeCurrent failed");
  }
  // mjr_makeContext aborts (mju_error) without GL >= 1.5, framebuffer objects or a large enough
  // renderbuffer: check here and throw instead.
  const std::string version = GlString(GL_VERSION);
  int major = 0, minor = 0;
  if (version.empty() || std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2 ||
      (major < 3 && GlString(GL_EXTENSIONS).find("GL_ARB_framebuffer_object") == std::string::npos)) {
    OSMesaDestroyContext(ctx_);
    throw IoError("MuJoCo GL renderer: OSMesa gives OpenGL '" + version +
                  "'; MuJoCo needs OpenGL 1.5 with framebuffer objects");
  }
  const GLint max_rb = GlInt(GL_MAX_RENDERBUFFER_SIZE);
  if (max_width > max_rb || max_height > max_rb) {
    OSMesaDestroyContext(ctx_);
    throw IoError("MuJoCo GL renderer: offscreen buffer " + std::to_string(max_width) + "x" +
                  std::to_string(max_height) + " exceeds OSMesa's maximum renderbuffer size " +
                  std::to_string(max_rb));
  }

  // A model copy carries the context's settings: offscreen size, no multisampling (exact id colours),
  // and camera.h's far plane, which sizes MuJoCo's "infinite" planes (drawn ~1.05 far wide).
  mjModel* mc = mj_copyModel(nullptr, m);
  mc->vis.global.offwidth = max_width;
  mc->vis.global.offheight = max_height;
  mc->vis.quality.offsamples = 0;
  mc->vis.map.znear = static_cast<float>(kNear / m->stat.extent);
  mc->vis.map.zfar = static_cast<float>(kFar / m->stat.extent);
  mjv_defaultScene(&scn_);
  mjv_makeScene(mc, &scn_, m->ngeom + 16);
  mjr_defaultContext(&con_);
  mjr_makeContext(mc, &con_, mjFONTSCALE_50);
  mj_deleteModel(mc);
  mjr_setBuffer(mjFB_OFFSCREEN, &con_);
  if (con_.currentBuffer != mjFB_OFFSCREEN || con_.offWidth < max_width || con_.offHeight < max_height) {
    mjr_freeContext(&con_);
    mjv_freeScene(&scn_);
    OSMesaDestroyContext(ctx_);
    throw IoError("MuJoCo GL renderer: no offscreen framebuffer of " + std::to_string(max_width) + "x" +
                  std::to_string(max_height));
  }

  // Model geoms only, MuJoCo's default groups 0-2 (as the batch renderer): no sites (group 0 sites are
  // drawn by default, as static/dynamic geoms, not decor), tendons, skins or other decorations.
  mjv_defaultOption(&opt_);
  for (int f = 0; f < mjNVISFLAG; ++f) opt_.flags[f] = 0;
  opt_.flags[mjVIS_TEXTURE] = opt_.flags[mjVIS_STATIC] = 1;
  for (int g = 0; g < mjNGROUP; ++g) {
    opt_.geomgroup[g] = g <= 2;
    opt_.sitegroup[g] = opt_.jointgroup[g] = opt_.tendongroup[g] = opt_.actuatorgroup[g] = 0;
    opt_.skingroup[g] = 0;
  }
  scn_.stereo = mjSTEREO_NONE;
  for (int f : {mjRND_SHADOW, mjRND_WIREFRAME, mjRND_REFLECTION, mjRND_ADDITIVE, mjRND_SKYBOX, mjRND_FOG,
                mjRND_HAZE, mjRND_SEGMENT, mjRND_IDCOLOR}) {
    scn_.flags[f] = 0;
  }
  scratch_ = mj_makeData(m);
  pixels_.resize(static_cast<size_t>(max_width) * max_height * 3);
  Release();
}

MujocoGlRenderer::~MujocoGlRenderer() {
  std::lock_guard<std::mutex> lock(GlSetupMutex());
  MakeCurrent();
  mjr_freeContext(&con_);
  mjv_freeScene(&scn_);
  Release();
  OSMesaDestroyContext(ctx_);
  mj_deleteData(scratch_);
}

void MujocoGlRenderer::MakeCurrent() {
  if (OSMesaGetCurrentContext() == ctx_) return;
  const bool ok = OSMesaMakeCurrent(ctx_, window_.data(), GL_UNSIGNED_BYTE, kWindowSize, kWindowSize);
  S2R_CHECK(ok, "OSMesaMakeCurrent failed");
}

void MujocoGlRenderer::Release() { OSMesaMakeCurrent(nullptr, nullptr, 0, 0, 0); }

void MujocoGlRenderer::Render(const mjModel* m, const mjData* d, const CameraPose& pose, int width,
                              int height, uint8_t* rgb, uint8_t* seg) {
  S2R_CHECK(width > 0 && height > 0 && width <= max_width_ && height <= max_height_,
            "render size " << width << "x" << height << " exceeds " << max_width_ << "x" << max_height_);
  S2R_CHECK(m->ngeom == ngeom_ && m->nmesh == nmesh_ && m->nbody == nbody_ && m->ntex == con_.ntexture,
            "model differs from the one the GL context was made for");
  if (!rgb && !seg) return;
  MakeCurrent();

  // mjv_updateScene's steps with camera.h's camera in place of mjv_updateCamera, set before the lights
  // (the headlight follows the camera). Geoms come from a scratch copy of d (mjv_addGeoms takes a
  // mutable mjData).
  mj_copyData(scratch_, m, d);
  scn_.ngeom = 0;
  mjv_addGeoms(m, scratch_, &opt_, nullptr, mjCAT_STATIC | mjCAT_DYNAMIC, &scn_);

  // MuJoCo's GL camera looks along `forward` with `up` (its frame: x = right, y = up, z = -forward);
  // the frustum's half width follows the viewport's aspect (square pixels, vertical fovy).
  const CameraFrame f = MakeCameraFrame(pose);
  const double half_h = kNear * std::tan(0.5 * pose.fovy);
  for (mjvGLCamera& c : scn_.camera) {
    for (int k = 0; k < 3; ++k) {
      c.pos[k] = static_cast<float>(f.eye[k]);
      c.forward[k] = static_cast<float>(f.forward[k]);
      c.up[k] = static_cast<float>(f.up[k]);
    }
    c.frustum_center = 0;
    c.frustum_bottom = static_cast<float>(-half_h);
    c.frustum_top = static_cast<float>(half_h);
    c.frustum_near = static_cast<float>(kNear);
    c.frustum_far = static_cast<float>(kFar);
  }
  mjv_makeLights(m, scratch_, &scn_);

  const mjrRect viewport = {0, 0, width, height};
  const size_t row = static_cast<size_t>(width) * 3;
  if (rgb) {
    scn_.flags[mjRND_SEGMENT] = scn_.flags[mjRND_IDCOLOR] = 0;
    mjr_render(viewport, &scn_, &con_);
    mjr_readPixels(pixels_.data(), nullptr, viewport, &con_);
    for (int i = 0; i < height; ++i) {  // GL rows are bottom-up
      std::memcpy(rgb + i * row, pixels_.data() + (height - 1 - i) * row, row);
    }
  }
  if (seg) {
    // Each drawn geom gets the flat colour segid + 1 (R low byte, G, B high); background is black.
    seg_label_.assign(scn_.ngeom + 1, -1);
    seg_label_[0] = 0;
    for (int i = 0; i < scn_.ngeom; ++i) {
      const mjvGeom& g = scn_.geoms[i];
      if (g.segid < 0 || g.segid >= scn_.ngeom) continue;
      const bool model_geom = g.objtype == mjOBJ_GEOM && g.objid >= 0 && g.objid < m->ngeom;
      seg_label_[g.segid + 1] = static_cast<int16_t>(model_geom ? m->geom_bodyid[g.objid] + 1 : 0);
    }
    scn_.flags[mjRND_SEGMENT] = scn_.flags[mjRND_IDCOLOR] = 1;
    mjr_render(viewport, &scn_, &con_);
    scn_.flags[mjRND_SEGMENT] = scn_.flags[mjRND_IDCOLOR] = 0;
    mjr_readPixels(pixels_.data(), nullptr, viewport, &con_);
    int invalid = 0;
    for (int i = 0; i < height; ++i) {
      const uint8_t* src = pixels_.data() + (height - 1 - i) * row;
      uint8_t* dst = seg + static_cast<size_t>(i) * width;
      for (int j = 0; j < width; ++j, src += 3) {
        const int id = src[0] | (src[1] << 8) | (src[2] << 16);
        if (id <= scn_.ngeom && seg_label_[id] >= 0) {
          dst[j] = static_cast<uint8_t>(seg_label_[id]);
        } else {
          dst[j] = 0;
          ++invalid;
        }
      }
    }
    invalid_seg_pixels_ = invalid;
  }
  Release();
}

}  // namespace s2r::render
