// Greenscreen compositing: every pixel whose segmentation id is not kept (robot links, cube) takes the
// pixel of a photo of the real background, so the policy sees the real scene behind the twin.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace s2r::render {

enum class OverlayMode {
  kBackground,  // replace every non-kept pixel by the photo (default when a photo is given)
  kDebug,       // blend the whole image 50/50 with the photo (for checking the alignment)
  kNone,        // leave the rendered image as it is
};
OverlayMode ParseOverlayMode(std::string_view name, std::string_view what);
std::string_view OverlayModeName(OverlayMode mode);

class Greenscreen {
 public:
  // photo: [height, width, 3] uint8 already at the sensor size; keep[id] for segmentation ids 0..255.
  Greenscreen(std::vector<uint8_t> photo, int width, int height, const std::array<bool, 256>& keep,
              OverlayMode mode);
  int width() const { return width_; }
  int height() const { return height_; }
  OverlayMode mode() const { return mode_; }
  // rgb: [height, width, 3] uint8, composited in place; seg: [height, width] uint8.
  void Apply(uint8_t* rgb, const uint8_t* seg) const;

 private:
  std::vector<uint8_t> photo_;
  int width_, height_;
  std::array<bool, 256> keep_;
  OverlayMode mode_;
};

}  // namespace s2r::render
