#include "metrics/plot.h"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>

#include "core/error.h"

namespace fs = std::filesystem;

namespace s2r::metrics {

namespace {

using Rgb = std::array<uint8_t, 3>;

constexpr Rgb kWhite = {255, 255, 255};
constexpr Rgb kBlack = {0, 0, 0};
constexpr Rgb kGrid = {229, 229, 229};
constexpr Rgb kLegendBorder = {160, 160, 160};
// Matplotlib's "tab10" colours.
constexpr Rgb kPalette[10] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                              {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                              {188, 189, 34},  {23, 190, 207}};

// stb_easy_font glyphs at scale 1: capitals and digits fill rows 0..6, descenders reach row 8.
constexpr int kGlyphHeight = 9;

// An RGB canvas with clipping; `mask` marks the pixels of data lines (for placing the legend).
struct Canvas {
  media::Image img;
  std::vector<uint8_t> mask;  // [height, width] 1 where a series was drawn

  void Fill(int x0, int y0, int x1, int y1, const Rgb& c, PixelRect clip) {
    x0 = std::max(x0, clip.x0), y0 = std::max(y0, clip.y0);
    x1 = std::min(x1, clip.x1), y1 = std::min(y1, clip.y1);
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        uint8_t* p = img.at(y, x);
        p[0] = c[0], p[1] = c[1], p[2] = c[2];
      }
    }
  }
  void Fill(int x0, int y0, int x1, int y1, const Rgb& c) { Fill(x0, y0, x1, y1, c, Full()); }
  PixelRect Full() const { return {0, 0, img.width, img.height}; }
};

// ---------------------------------------------------------------------------------------------
// Text

// Printable ASCII only (stb_easy_font indexes a table by character); a UTF-8 sequence becomes one '?'.
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x80 && c < 0xC0) continue;  // UTF-8 continuation byte
    out += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
  }
  return out;
}

int TextWidth(const std::string& text, int scale) {
  if (text.empty()) return 0;
  std::string t = Printable(text);
  return (stb_easy_font_width(t.data()) - 1) * scale;  // the last advance includes 1 px of spacing
}

// Draws `text` with its bounding box's top-left at (x, y); `vertical` turns it 90 degrees counter-clockwise
// (reading upwards; the box is then kGlyphHeight * scale wide and TextWidth tall).
void DrawText(Canvas& cv, int x, int y, const std::string& text, int scale, const Rgb& color,
              bool vertical = false) {
  if (text.empty()) return;
  std::string t = Printable(text);
  std::vector<char> buf(t.size() * 400 + 64);  // ~270 bytes per character, as stb_easy_font says
  const int quads = stb_easy_font_print(0, 0, t.data(), nullptr, buf.data(), static_cast<int>(buf.size()));
  const int w = TextWidth(text, 1);
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buf.data() + q * 64);       // vertex 0: x, y
    const float* v2 = reinterpret_cast<const float*>(buf.data() + q * 64 + 32);  // vertex 2: x + w, y + h
    const int qx0 = static_cast<int>(v0[0]), qy0 = static_cast<int>(v0[1]);
    const int qx1 = static_cast<int>(v2[0]), qy1 = static_cast<int>(v2[1]);
    if (!vertical) {
      cv.Fill(x + qx0 * scale, y + qy0 * scale, x + qx1 * scale, y + qy1 * scale, color);
    } else {
      cv.Fill(x + qy0 * scale, y + (w - qx1) * scale, x + qy1 * scale, y + (w - qx0) * scale, color);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Axes

struct Range {
  double lo = 0, hi = 1;
};

// The data range of finite values; [0, 1] when there are none; a single value is padded around it.
Range DataRange(const std::vector<double>& values, bool include_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) lo = std::min(lo, v), hi = std::max(hi, v);
  if (include_zero) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
  if (!(lo <= hi)) return {0, 1};
  if (hi - lo <= std::max(std::abs(lo), std::abs(hi)) * 1e-12) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo = (include_zero && lo >= 0) ? lo : lo - pad;
    hi += pad;
  }
  return {lo, hi};
}

// A "nice" step (1, 2 or 5 x 10^k) giving about `target` intervals over `span`.
double NiceStep(double span, double target) {
  const double raw = span / std::max(target, 1.0);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
}

// Tick values: the multiples of `step` in [lo, hi] (with a little tolerance for rounding).
std::vector<double> Ticks(Range r, double step) {
  std::vector<double> ticks;
  const double eps = 1e-9;
  const double first = std::ceil(r.lo / step - eps), last = std::floor(r.hi / step + eps);
  if (!(last - first < 1000)) return ticks;
  for (double i = first; i <= last; ++i) ticks.push_back(std::abs(i) < 0.5 ? 0.0 : i * step);
  return ticks;
}

// Tick labels: numbers of 10000 and above with a k/M/G suffix ("2.5M"); decimals as the step needs.
std::vector<std::string> TickLabels(const std::vector<double>& ticks, double step) {
  double max_abs = 0;
  for (double t : ticks) max_abs = std::max(max_abs, std::abs(t));
  double scale = 1;
  const char* suffix = "";
  if (max_abs >= 1e13 || (max_abs > 0 && max_abs < 1e-4)) {
    scale = 0;  // %g
  } else if (max_abs >= 1e10) {
    scale = 1e9, suffix = "G";
  } else if (max_abs >= 1e7) {
    scale = 1e6, suffix = "M";
  } else if (max_abs >= 1e4) {
    scale = 1e3, suffix = "k";
  }
  std::vector<std::string> labels;
  char buf[64];
  for (double t : ticks) {
    if (t == 0) {
      labels.push_back("0");
    } else if (scale == 0) {
      std::snprintf(buf, sizeof buf, "%.3g", t);
      labels.push_back(buf);
    } else {
      const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step / scale) - 1e-9)), 0, 6);
      std::snprintf(buf, sizeof buf, "%.*f%s", decimals, t / scale, suffix);
      labels.push_back(buf);
    }
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Lines

// A `brush` x `brush` square along the line (Bresenham), clipped to `clip`; marks the mask.
void DrawLine(Canvas& cv, int xa, int ya, int xb, int yb, int brush, const Rgb& c, PixelRect clip) {
  const int dx = std::abs(xb - xa), dy = -std::abs(yb - ya);
  const int sx = xa < xb ? 1 : -1, sy = ya < yb ? 1 : -1;
  int err = dx + dy;
  const int w = cv.img.width;
  while (true) {
    for (int y = ya - (brush - 1) / 2; y < ya + brush / 2 + 1; ++y) {
      for (int x = xa - (brush - 1) / 2; x < xa + brush / 2 + 1; ++x) {
        if (x < clip.x0 || x >= clip.x1 || y < clip.y0 || y >= clip.y1) continue;
        uint8_t* p = cv.img.at(y, x);
        p[0] = c[0], p[1] = c[1], p[2] = c[2];
        cv.mask[static_cast<size_t>(y) * w + x] = 1;
      }
    }
    if (xa == xb && ya == yb) break;
    const int e2 = 2 * err;
    if (e2 >= dy) err += dy, xa += sx;
    if (e2 <= dx) err += dx, ya += sy;
  }
}

// A (4 brush + 1)-pixel square centred on (x, y).
void DrawMarker(Canvas& cv, int x, int y, int brush, const Rgb& c, PixelRect clip) {
  const int r = 2 * brush;
  for (int yy = y - r; yy <= y + r; ++yy) DrawLine(cv, x - r, yy, x + r, yy, 1, c, clip);
}

// Data to pixel, clamped far outside the image so the integer conversion stays defined.
int ToPixel(double v) {
  return std::isnan(v) ? -1000000 : static_cast<int>(std::lround(std::clamp(v, -1e6, 1e6)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RenderPlot

media::Image RenderPlot(const std::vector<Series>& series, const PlotSpec& spec, PixelRect* plot_area) {
  if (spec.width < 1 || spec.height < 1 || spec.width > 16384 || spec.height > 16384) {
    throw ConfigError("plot '" + spec.title + "': size " + std::to_string(spec.width) + "x" +
                      std::to_string(spec.height) + " must be 1..16384 pixels each way");
  }
  for (const Series& s : series) {
    S2R_CHECK(s.x.size() == s.y.size(), "plot series '" << s.label << "': " << s.x.size() << " x values, "
                                                        << s.y.size() << " y values");
  }
  Canvas cv{media::Image(spec.width, spec.height, 3, 255),
            std::vector<uint8_t>(static_cast<size_t>(spec.width) * spec.height, 0)};
  const int W = spec.width, H = spec.height;
  const int ts = std::max(1, std::min(W / 700, H / 450));  // text scale: 1 up to ~1400 x 900
  const int glyph_h = kGlyphHeight * ts;
  const int brush = 2 * ts;  // line width, pixels

  // Finite points only.
  std::vector<double> xs, ys;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) xs.push_back(s.x[i]), ys.push_back(s.y[i]);
    }
  }
  const Range xr = DataRange(xs, false);
  Range yr = DataRange(ys, spec.y_from_zero);

  // Layout: margins from the text sizes. Y ticks first (their labels set the left margin).
  const int title_h = spec.title.empty() ? 0 : 2 * glyph_h + 8 * ts;
  const int x_label_h = spec.x_label.empty() ? 0 : glyph_h + 6 * ts;
  const int top = 10 * ts + title_h;
  const int bottom = 6 * ts + glyph_h + 4 * ts + x_label_h + 8 * ts;
  const int plot_h = std::max(1, H - top - bottom);
  const double ystep = NiceStep(yr.hi - yr.lo, std::clamp(plot_h / (50.0 * ts), 2.0, 10.0));
  yr = {std::floor(yr.lo / ystep + 1e-9) * ystep, std::ceil(yr.hi / ystep - 1e-9) * ystep};
  const std::vector<double> yticks = Ticks(yr, ystep);
  const std::vector<std::string> ylabels = TickLabels(yticks, ystep);
  int ylabel_w = 0;
  for (const auto& l : ylabels) ylabel_w = std::max(ylabel_w, TextWidth(l, ts));
  const int left = 8 * ts + (spec.y_label.empty() ? 0 : glyph_h + 6 * ts) + ylabel_w + 8 * ts;
  const int plot_w0 = std::max(1, W - left - 16 * ts);
  const double xstep = NiceStep(xr.hi - xr.lo, std::clamp(plot_w0 / (110.0 * ts), 2.0, 12.0));
  const std::vector<double> xticks = Ticks(xr, xstep);
  const std::vector<std::string> xlabels = TickLabels(xticks, xstep);
  // Room on the right for half of the last x label, which is centred on the right edge.
  const int last_w = xlabels.empty() ? 0 : TextWidth(xlabels.back(), ts);
  const int right = std::max(16 * ts, last_w / 2 + 6 * ts);
  PixelRect area{std::min(left, W - 1), std::min(top, H - 1), std::max(left + 1, W - right),
                 std::max(top + 1, H - bottom)};
  area.x1 = std::min(area.x1, W), area.y1 = std::min(area.y1, H);
  if (plot_area) *plot_area = area;
  const int aw = area.x1 - area.x0, ah = area.y1 - area.y0;

  auto px = [&](double x) { return area.x0 + (x - xr.lo) / (xr.hi - xr.lo) * (aw - 1); };
  auto py = [&](double y) { return area.y1 - 1 - (y - yr.lo) / (yr.hi - yr.lo) * (ah - 1); };

  // Grid.
  for (double t : xticks) {
    const int x = ToPixel(px(t));
    cv.Fill(x, area.y0, x + 1, area.y1, kGrid, area);
  }
  for (double t : yticks) {
    const int y = ToPixel(py(t));
    cv.Fill(area.x0, y, area.x1, y + 1, kGrid, area);
  }

  // Series: consecutive finite points joined; a point with no finite neighbour drawn as a marker.
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    const Rgb color = s.color.value_or(kPalette[si % 10]);
    const size_t n = s.x.size();
    auto ok = [&](size_t i) { return i < n && std::isfinite(s.x[i]) && std::isfinite(s.y[i]); };
    for (size_t i = 0; i < n; ++i) {
      if (!ok(i)) continue;
      const int x = ToPixel(px(s.x[i])), y = ToPixel(py(s.y[i]));
      if (ok(i + 1)) {
        DrawLine(cv, x, y, ToPixel(px(s.x[i + 1])), ToPixel(py(s.y[i + 1])), brush, color, area);
      } else if (i == 0 || !ok(i - 1)) {
        DrawMarker(cv, x, y, brush, color, area);
      }
    }
  }

  // Frame, ticks and tick labels.
  cv.Fill(area.x0 - 1, area.y0 - 1, area.x1 + 1, area.y0, kBlack);
  cv.Fill(area.x0 - 1, area.y1, area.x1 + 1, area.y1 + 1, kBlack);
  cv.Fill(area.x0 - 1, area.y0 - 1, area.x0, area.y1 + 1, kBlack);
  cv.Fill(area.x1, area.y0 - 1, area.x1 + 1, area.y1 + 1, kBlack);
  const int tick = 4 * ts;
  for (size_t i = 0; i < xticks.size(); ++i) {
    const int x = ToPixel(px(xticks[i]));
    cv.Fill(x, area.y1 + 1, x + 1, area.y1 + 1 + tick, kBlack);
    DrawText(cv, x - TextWidth(xlabels[i], ts) / 2, area.y1 + tick + 4 * ts, xlabels[i], ts, kBlack);
  }
  for (size_t i = 0; i < yticks.size(); ++i) {
    const int y = ToPixel(py(yticks[i]));
    cv.Fill(area.x0 - 1 - tick, y, area.x0 - 1, y + 1, kBlack);
    DrawText(cv, area.x0 - 1 - tick - 3 * ts - TextWidth(ylabels[i], ts), y - (7 * ts) / 2, ylabels[i], ts,
             kBlack);
  }

  // Title, axis labels.
  if (!spec.title.empty()) {
    DrawText(cv, area.x0 + (aw - TextWidth(spec.title, 2 * ts)) / 2, 8 * ts, spec.title, 2 * ts, kBlack);
  }
  if (!spec.x_label.empty()) {
    DrawText(cv, area.x0 + (aw - TextWidth(spec.x_label, ts)) / 2, H - 8 * ts - glyph_h, spec.x_label, ts,
             kBlack);
  }
  if (!spec.y_label.empty()) {
    DrawText(cv, 8 * ts, area.y0 + (ah - TextWidth(spec.y_label, ts)) / 2, spec.y_label, ts, kBlack,
             /*vertical=*/true);
  }

  // Legend: in the corner of the plot area with the fewest line pixels under it.
  std::vector<size_t> entries;
  int label_w = 0;
  for (size_t si = 0; si < series.size(); ++si) {
    if (series[si].label.empty()) continue;
    entries.push_back(si);
    label_w = std::max(label_w, TextWidth(series[si].label, ts));
  }
  if (!entries.empty()) {
    const int pad = 6 * ts, swatch = 20 * ts, line_h = 12 * ts;
    const int lw = pad + swatch + pad + label_w + pad;
    const int lh = pad + static_cast<int>(entries.size()) * line_h + pad - 2 * ts;
    const int m = 8 * ts;
    const int candidates[4][2] = {{area.x1 - m - lw, area.y0 + m},
                                  {area.x0 + m, area.y0 + m},
                                  {area.x1 - m - lw, area.y1 - m - lh},
                                  {area.x0 + m, area.y1 - m - lh}};
    int best = 0;
    long best_count = -1;
    for (int c = 0; c < 4; ++c) {
      long count = 0;
      for (int y = std::max(0, candidates[c][1]); y < std::min(H, candidates[c][1] + lh); ++y) {
        for (int x = std::max(0, candidates[c][0]); x < std::min(W, candidates[c][0] + lw); ++x) {
          count += cv.mask[static_cast<size_t>(y) * W + x];
        }
      }
      if (best_count < 0 || count < best_count) best = c, best_count = count;
    }
    const int lx = candidates[best][0], ly = candidates[best][1];
    cv.Fill(lx, ly, lx + lw, ly + lh, kLegendBorder, area);
    cv.Fill(lx + 1, ly + 1, lx + lw - 1, ly + lh - 1, kWhite, area);
    for (size_t e = 0; e < entries.size(); ++e) {
      const Series& s = series[entries[e]];
      const Rgb color = s.color.value_or(kPalette[entries[e] % 10]);
      const int row_y = ly + pad + static_cast<int>(e) * line_h;
      const int mid = row_y + (7 * ts) / 2;
      cv.Fill(lx + pad, mid - ts, lx + pad + swatch, mid + ts + 1, color, area);
      DrawText(cv, lx + pad + swatch + pad, row_y, s.label, ts, kBlack);
    }
  }
  return std::move(cv.img);
}

namespace {

void CreateParent(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw IoError("cannot create the folder of plot '" + path + "': " + ec.message());
}

}  // namespace

void WritePlotPng(const std::string& path, const std::vector<Series>& series, const PlotSpec& spec) {
  const media::Image img = RenderPlot(series, spec);
  CreateParent(path);
  media::WritePng(path, img);
}

media::Image RenderPlotGrid(const std::vector<std::pair<PlotSpec, std::vector<Series>>>& panels) {
  S2R_CHECK(!panels.empty(), "RenderPlotGrid: no panels");
  std::vector<media::Image> images;
  int width = 0, height = 0;
  for (const auto& [spec, series] : panels) {
    images.push_back(RenderPlot(series, spec));
    width = std::max(width, images.back().width);
    height += images.back().height;
  }
  media::Image grid(width, height, 3, 255);
  int row = 0;
  for (const media::Image& img : images) {
    for (int y = 0; y < img.height; ++y) std::copy_n(img.at(y, 0), img.row_bytes(), grid.at(row + y, 0));
    row += img.height;
  }
  return grid;
}

void WritePlotGridPng(const std::string& path,
                      const std::vector<std::pair<PlotSpec, std::vector<Series>>>& panels) {
  const media::Image img = RenderPlotGrid(panels);
  CreateParent(path);
  media::WritePng(path, img);
}

Series SeriesFromCsv(const std::vector<CsvRow>& rows, const std::string& tag, const std::string& label) {
  std::map<int64_t, double> by_step;
  for (const CsvRow& r : rows) {
    if (r.tag == tag) by_step[r.step] = r.value;  // a later row for a step replaces the earlier one
  }
  Series s;
  s.label = label.empty() ? tag : label;
  for (const auto& [step, value] : by_step) {
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(value);
  }
  return s;
}

}  // namespace s2r::metrics
