#include "app/align_keys.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "core/error.h"

namespace s2r::app {

std::vector<AlignKeyPress> ParseKeySequence(const std::string& seq) {
  std::vector<AlignKeyPress> out;
  for (size_t i = 0; i < seq.size(); ++i) {
    if (seq[i] != '<') {
      out.push_back({AlignKey::kChar, seq[i]});
      continue;
    }
    const size_t end = seq.find('>', i);
    if (end == std::string::npos)
      throw ConfigError("--keys: '<' at position " + std::to_string(i) +
                        " is not closed by '>' (write <lt> for a literal '<')");
    std::string name = seq.substr(i + 1, end - i - 1);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    AlignKeyPress k;
    if (name == "up")
      k.key = AlignKey::kUp;
    else if (name == "down")
      k.key = AlignKey::kDown;
    else if (name == "left")
      k.key = AlignKey::kLeft;
    else if (name == "right")
      k.key = AlignKey::kRight;
    else if (name == "enter" || name == "return")
      k.key = AlignKey::kEnter;
    else if (name == "backspace" || name == "bs")
      k.key = AlignKey::kBackspace;
    else if (name == "esc" || name == "escape")
      k.key = AlignKey::kEscape;
    else if (name == "space")
      k = {AlignKey::kChar, ' '};
    else if (name == "lt")
      k = {AlignKey::kChar, '<'};
    else
      throw ConfigError("--keys: unknown key name <" + name +
                        ">; known: <up> <down> <left> <right> <enter> <backspace> <esc> <space> <lt>");
    out.push_back(k);
    i = end;
  }
  return out;
}

bool KeyFromOpenCvCode(int code, AlignKeyPress* out) {
  if (code < 0) return false;
  // Qt key codes (0x010000xx) for the arrows, should a backend report them.
  switch (code) {
    case 0x01000012:
      *out = {AlignKey::kLeft, 0};
      return true;
    case 0x01000013:
      *out = {AlignKey::kUp, 0};
      return true;
    case 0x01000014:
      *out = {AlignKey::kRight, 0};
      return true;
    case 0x01000015:
      *out = {AlignKey::kDown, 0};
      return true;
    default:
      break;
  }
  const int k = code & 0xFFFF;  // GTK adds the modifier state above bit 16
  switch (k) {
    case 0xFF51:
      *out = {AlignKey::kLeft, 0};
      return true;  // X11 keysyms (Qt's nativeVirtualKey, GTK)
    case 0xFF52:
      *out = {AlignKey::kUp, 0};
      return true;
    case 0xFF53:
      *out = {AlignKey::kRight, 0};
      return true;
    case 0xFF54:
      *out = {AlignKey::kDown, 0};
      return true;
    case 0xFF08:
    case 8:
    case 127:
      *out = {AlignKey::kBackspace, 0};
      return true;
    case 0xFF0D:
    case 0xFF8D:
    case 13:
    case 10:
      *out = {AlignKey::kEnter, 0};
      return true;
    case 0xFF1B:
    case 27:
      *out = {AlignKey::kEscape, 0};
      return true;
    default:
      break;
  }
  if (k >= 32 && k < 127) {
    *out = {AlignKey::kChar, static_cast<char>(k)};
    return true;
  }
  return false;
}

std::string KeyName(const AlignKeyPress& k) {
  switch (k.key) {
    case AlignKey::kUp:
      return "<up>";
    case AlignKey::kDown:
      return "<down>";
    case AlignKey::kLeft:
      return "<left>";
    case AlignKey::kRight:
      return "<right>";
    case AlignKey::kEnter:
      return "<enter>";
    case AlignKey::kBackspace:
      return "<backspace>";
    case AlignKey::kEscape:
      return "<esc>";
    case AlignKey::kChar:
      break;
  }
  if (k.ch == ' ') return "<space>";
  if (k.ch == '<') return "<lt>";
  return std::string(1, k.ch);
}

namespace {

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

// Letter keys (lower case; with Shift the step is a tenth): which point moves, along which axis, which way.
struct LetterMove {
  char key;
  bool target;  // the look-at point, else the camera position
  int axis;     // 0 x, 1 y, 2 z (world)
  double sign;
};
constexpr LetterMove kLetterMoves[] = {
    {'w', false, 0, -1}, {'s', false, 0, +1}, {'a', false, 1, -1}, {'d', false, 1, +1}, {'i', true, 0, -1},
    {'k', true, 0, +1},  {'j', true, 1, -1},  {'l', true, 1, +1},  {'u', true, 2, +1},  {'o', true, 2, -1}};

}  // namespace

AlignAction ApplyAlignKey(const AlignKeyPress& key, const AlignSteps& steps,
                          const sim::CameraSettings& initial, sim::CameraSettings* s) {
  std::array<double, 3>* vec = nullptr;  // pos or target
  int axis = 0;
  double sign = 0;
  double fov_delta = 0;
  switch (key.key) {
    case AlignKey::kUp:
      vec = &s->pos, axis = 2, sign = +1;
      break;
    case AlignKey::kDown:
      vec = &s->pos, axis = 2, sign = -1;
      break;
    case AlignKey::kLeft:
      fov_delta = -steps.fov;
      break;
    case AlignKey::kRight:
      fov_delta = +steps.fov;
      break;
    case AlignKey::kEnter:
      return AlignAction::kWrite;
    case AlignKey::kEscape:
      return AlignAction::kQuit;
    case AlignKey::kBackspace:
      *s = initial;
      return AlignAction::kReset;
    case AlignKey::kChar:
      break;
  }
  double step = steps.pos;
  if (key.key == AlignKey::kChar) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(key.ch)));
    if (lower != key.ch) step = steps.pos / 10;  // Shift: fine steps
    if (lower == 'q') return AlignAction::kQuit;
    const auto* m = std::find_if(std::begin(kLetterMoves), std::end(kLetterMoves),
                                 [&](const LetterMove& b) { return b.key == lower; });
    if (m == std::end(kLetterMoves)) return AlignAction::kUnbound;
    vec = m->target ? &s->target : &s->pos, axis = m->axis, sign = m->sign;
  }
  if (vec != nullptr) {
    sim::CameraSettings next = *s;
    std::array<double, 3>& v = vec == &s->pos ? next.pos : next.target;
    v[axis] = Round6(v[axis] + sign * step);
    if (next.pos == next.target) return AlignAction::kUnbound;  // the camera would have no direction
    *s = next;
    return AlignAction::kChanged;
  }
  s->fov = Round6(std::clamp(s->fov + fov_delta, 0.01, 3.09));
  return AlignAction::kChanged;
}

std::string DescribeCamera(const sim::CameraSettings& s) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "pos [%.4f, %.4f, %.4f] target [%.4f, %.4f, %.4f] fov %.4f rad (%.2f deg)",
                s.pos[0], s.pos[1], s.pos[2], s.target[0], s.target[1], s.target[2], s.fov,
                s.fov * 180.0 / M_PI);
  return buf;
}

}  // namespace s2r::app
