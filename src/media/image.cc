#include "media/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fs = std::filesystem;

namespace s2r::media {

Image::Image(int width, int height, int channels, uint8_t fill)
    : width(width), height(height), channels(channels) {
  S2R_CHECK(width >= 0 && height >= 0 && channels >= 1,
            "image " << width << "x" << height << "x" << channels);
  pixels.assign(static_cast<size_t>(width) * height * channels, fill);
}

// ---------------------------------------------------------------------------------------------
// Reading

bool DecodeImage(const uint8_t* data, size_t size, Image* out, std::string* error) {
  if (size == 0 || size > static_cast<size_t>(INT_MAX)) {
    if (error) *error = size == 0 ? "empty file" : "file too large";
    return false;
  }
  int w = 0, h = 0, channels_in_file = 0;
  stbi_uc* rgb = stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &channels_in_file, 3);
  if (rgb == nullptr) {
    if (error) *error = stbi_failure_reason() ? stbi_failure_reason() : "unknown error";
    return false;
  }
  out->width = w;
  out->height = h;
  out->channels = 3;
  out->pixels.assign(rgb, rgb + static_cast<size_t>(w) * h * 3);
  stbi_image_free(rgb);
  return true;
}

Image ReadImage(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) {
    throw ConfigError(what + ": image file '" + path + "' does not exist");
  }
  if (ec) throw ConfigError(what + ": cannot access image file '" + path + "': " + ec.message());
  if (!fs::is_regular_file(st)) throw ConfigError(what + ": '" + path + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(what + ": cannot read image file '" + path + "': " + std::strerror(errno));
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ConfigError(what + ": cannot read image file '" + path + "'");
  Image image;
  std::string reason;
  if (!DecodeImage(bytes.data(), bytes.size(), &image, &reason)) {
    throw ConfigError(what + ": '" + path + "' is not a readable image (PNG or JPEG expected): " + reason);
  }
  return image;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

void AppendBytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

}  // namespace

void WritePng(const std::string& path, const uint8_t* pixels, int width, int height, int channels) {
  S2R_CHECK(pixels != nullptr && width > 0 && height > 0 && channels >= 1 && channels <= 4,
            "WritePng('" << path << "'): " << width << "x" << height << "x" << channels);
  std::vector<uint8_t> png;
  png.reserve(static_cast<size_t>(width) * height * channels / 2 + 1024);
  if (!stbi_write_png_to_func(&AppendBytes, &png, width, height, channels, pixels, width * channels)) {
    throw IoError("cannot encode PNG '" + path + "'");
  }
  WriteFileAtomic(path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()),
                  "cannot write PNG '" + path + "'");
}

void WritePng(const std::string& path, const Image& image) {
  S2R_CHECK(image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels,
            "WritePng('" << path << "'): pixel buffer does not match the image size");
  WritePng(path, image.data(), image.width, image.height, image.channels);
}

// ---------------------------------------------------------------------------------------------
// Resize and crop

namespace {

// OpenCV's fixed-point weights: INTER_RESIZE_COEF_BITS = 11.
constexpr int kCoefScale = 1 << 11;

// saturate_cast<short>(float): round half to even, as cvRound does.
int RoundCoef(float v) { return static_cast<int>(std::nearbyint(v)); }

struct Tap {
  int index;   // first source pixel (or row)
  int w0, w1;  // weights of index and index + 1, summing to kCoefScale
};

// Source taps along one axis, as OpenCV's resizeGeneric_ setup computes them (float fx, floor, frac).
// `clamp_border`: the x axis clamps the coordinate (weights 1, 0 at the borders); the y axis keeps the
// fractional weights and clamps the row indices instead, as OpenCV does (the fixed-point rounding of a
// border row then differs from weights 1, 0 in some pixels, and matching OpenCV byte for byte needs it).
std::vector<Tap> Taps(int src_size, int dst_size, bool clamp_border) {
  const double scale = 1.0 / (static_cast<double>(dst_size) / src_size);
  std::vector<Tap> taps(dst_size);
  for (int d = 0; d < dst_size; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (clamp_border) {
      if (s < 0) f = 0, s = 0;
      if (s >= src_size - 1) f = 0, s = src_size - 1;
    }
    taps[d] = {s, RoundCoef((1.f - f) * kCoefScale), RoundCoef(f * kCoefScale)};
  }
  return taps;
}

}  // namespace

Image ResizeBilinear(const Image& src, int width, int height) {
  if (width <= 0 || height <= 0) {
    throw ConfigError("image resize: target size " + std::to_string(width) + "x" + std::to_string(height) +
                      " must be positive");
  }
  S2R_CHECK(!src.empty() && src.pixels.size() == static_cast<size_t>(src.width) * src.height * src.channels,
            "ResizeBilinear: bad source " << src.width << "x" << src.height << "x" << src.channels);
  if (width == src.width && height == src.height) return src;  // cv2.resize copies too
  const int cn = src.channels;
  const int row_len = width * cn;
  const std::vector<Tap> xs = Taps(src.width, width, /*clamp_border=*/true);
  const std::vector<Tap> ys = Taps(src.height, height, /*clamp_border=*/false);

  // Horizontal pass of one source row into values scaled by kCoefScale (OpenCV's HResizeLinear).
  auto hresize = [&](int row, std::vector<int>& out) {
    const uint8_t* s = src.at(row, 0);
    for (int x = 0; x < width; ++x) {
      const Tap& t = xs[x];
      const uint8_t* p0 = s + static_cast<size_t>(t.index) * cn;
      const uint8_t* p1 = t.index + 1 < src.width ? p0 + cn : p0;  // weight 0 there
      for (int c = 0; c < cn; ++c) out[x * cn + c] = p0[c] * t.w0 + p1[c] * t.w1;
    }
  };

  Image dst(width, height, cn);
  std::vector<int> row0(row_len), row1(row_len);
  int cached0 = -1, cached1 = -1;
  for (int y = 0; y < height; ++y) {
    const Tap& t = ys[y];
    const int r0 = std::clamp(t.index, 0, src.height - 1);
    const int r1 = std::clamp(t.index + 1, 0, src.height - 1);
    // Reuse the horizontal passes of the previous output row when the source rows repeat.
    if (r0 != cached0) {
      if (r0 == cached1) {
        std::swap(row0, row1);
        std::swap(cached0, cached1);
      } else {
        hresize(r0, row0);
        cached0 = r0;
      }
    }
    if (r1 != cached1) {
      hresize(r1, row1);
      cached1 = r1;
    }
    // OpenCV's VResizeLinear for uint8 (scalar and SIMD paths agree): drop 4 bits, multiply, keep the
    // high 16 bits, then round the remaining 2 bits half up.
    uint8_t* d = dst.at(y, 0);
    for (int i = 0; i < row_len; ++i) {
      const int v = (((t.w0 * (row0[i] >> 4)) >> 16) + ((t.w1 * (row1[i] >> 4)) >> 16) + 2) >> 2;
      d[i] = static_cast<uint8_t>(std::min(v, 255));
    }
  }
  return dst;
}

Image Crop(const Image& src, int x, int y, int width, int height) {
  S2R_CHECK(
      x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= src.width && y + height <= src.height,
      "Crop " << width << "x" << height << "+" << x << "+" << y << " of " << src.width << "x" << src.height);
  Image out(width, height, src.channels);
  for (int r = 0; r < height; ++r) std::memcpy(out.at(r, 0), src.at(y + r, x), out.row_bytes());
  return out;
}

Image CenterCropSquare(const Image& src) {
  const int side = std::min(src.width, src.height);
  return Crop(src, (src.width - side) / 2, (src.height - side) / 2, side, side);
}

Image CropAndResize(const Image& src, int width, int height) {
  // numpy's img[cutoff:-cutoff] on the long axis, with cutoff = (long - short) // 2.
  const int cut_x = src.width > src.height ? (src.width - src.height) / 2 : 0;
  const int cut_y = src.height > src.width ? (src.height - src.width) / 2 : 0;
  const Image cropped = Crop(src, cut_x, cut_y, src.width - 2 * cut_x, src.height - 2 * cut_y);
  return ResizeBilinear(cropped, width, height);
}

}  // namespace s2r::media
