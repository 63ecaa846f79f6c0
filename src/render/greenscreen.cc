#include "render/greenscreen.h"

#include <string>

#include "core/error.h"

namespace s2r::render {

OverlayMode ParseOverlayMode(std::string_view name, std::string_view what) {
  if (name == "background") return OverlayMode::kBackground;
  if (name == "debug") return OverlayMode::kDebug;
  if (name == "none") return OverlayMode::kNone;
  throw ConfigError(std::string(what) + ": unknown greenscreen mode '" + std::string(name) +
                    "'; expected background, debug or none");
}

std::string_view OverlayModeName(OverlayMode mode) {
  switch (mode) {
    case OverlayMode::kBackground:
      return "background";
    case OverlayMode::kDebug:
      return "debug";
    case OverlayMode::kNone:
      return "none";
  }
  return "?";
}

Greenscreen::Greenscreen(std::vector<uint8_t> photo, int width, int height, const std::array<bool, 256>& keep,
                         OverlayMode mode)
    : photo_(std::move(photo)), width_(width), height_(height), keep_(keep), mode_(mode) {
  S2R_CHECK(photo_.size() == static_cast<size_t>(width) * height * 3, "photo must be [height, width, 3]");
}

void Greenscreen::Apply(uint8_t* rgb, const uint8_t* seg) const {
  const int n = width_ * height_;
  const uint8_t* photo = photo_.data();
  switch (mode_) {
    case OverlayMode::kNone:
      return;
    case OverlayMode::kBackground:
      for (int i = 0; i < n; ++i)
        if (!keep_[seg[i]]) {
          rgb[3 * i] = photo[3 * i];
          rgb[3 * i + 1] = photo[3 * i + 1];
          rgb[3 * i + 2] = photo[3 * i + 2];
        }
      return;
    case OverlayMode::kDebug:
      for (int i = 0; i < 3 * n; ++i) rgb[i] = static_cast<uint8_t>((rgb[i] + photo[i] + 1) / 2);
      return;
  }
}

}  // namespace s2r::render
