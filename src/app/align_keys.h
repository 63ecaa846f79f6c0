// align-camera's keys: parsing --keys, OpenCV key codes, and what each key does to the camera settings.
#pragma once

#include <string>
#include <vector>

#include "sim/grasp_cube_config.h"

namespace s2r::app {

enum class AlignKey {
  kChar,  // a printable character (`ch`)
  kUp,    // arrow keys
  kDown,
  kLeft,
  kRight,
  kEnter,      // write the config and quit
  kBackspace,  // reset to the file's values
  kEscape,     // quit without writing
};
struct AlignKeyPress {
  AlignKey key = AlignKey::kChar;
  char ch = 0;
};

// Parses --keys: characters stand for themselves; <up> <down> <left> <right> <enter> (or <return>)
// <backspace> <esc> <space> and <lt> (a literal '<') name the others. Throws ConfigError naming --keys for
// an unknown <name> or an unclosed '<'.
std::vector<AlignKeyPress> ParseKeySequence(const std::string& seq);
// The key an OpenCV waitKeyEx() code stands for (Qt and GTK backends: ASCII for printable keys,
// Backspace, Enter and Esc; X11 keysyms or Qt key codes for the arrows). False for other keys.
bool KeyFromOpenCvCode(int code, AlignKeyPress* out);
// "w", "<up>", ... for messages.
std::string KeyName(const AlignKeyPress& k);

// What a key press does to the camera settings.
enum class AlignAction { kChanged, kReset, kWrite, kQuit, kUnbound };
struct AlignSteps {
  double pos = 0.01;  // m per press (pos and target); Shift (capital letters) moves a tenth of it
  double fov = 0.01;  // rad per press
};
// Applies one key to `s` (Backspace copies `initial`). The camera stays valid: fov in [0.01, 3.09] rad,
// and a step that would put pos onto target is refused (no change). Values are rounded to 1e-6.
AlignAction ApplyAlignKey(const AlignKeyPress& key, const AlignSteps& steps,
                          const sim::CameraSettings& initial, sim::CameraSettings* s);
// One line: "pos [x, y, z] target [x, y, z] fov F rad (D deg)".
std::string DescribeCamera(const sim::CameraSettings& s);

}  // namespace s2r::app
