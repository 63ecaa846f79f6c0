// Line plots as PNG, drawn on the CPU (no plotting library): axes with "nice" ticks (1, 2, 5 x 10^k),
// grid, tick labels, title, axis labels and legend (text in stb_easy_font's pixel font), distinct colours,
// white background. For training curves (e.g. eval/success_once and eval/return vs env steps).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "media/image.h"
#include "metrics/csv_log.h"

namespace s2r::metrics {

struct Series {
  // Legend entry; series with an empty label are left out of the legend.
  std::string label;
  // Same length. Points with a NaN or infinite x or y are skipped (the line breaks there).
  std::vector<double> x, y;
  // RGB; default: the i-th (mod 10) of matplotlib's tab10 colours for the i-th series.
  std::optional<std::array<uint8_t, 3>> color = std::nullopt;
};

struct PlotSpec {
  std::string title, x_label, y_label;
  int width = 800, height = 500;  // pixels, 1..16384
  bool y_from_zero = false;       // y axis includes 0
};

// The plot (data) area in pixels: columns [x0, x1), rows [y0, y1), row 0 at the top.
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Renders the series as 2-pixel lines (an isolated point as a 9x9 square; both twice that from 1400 x 900
// up, as the text) into a width x height RGB image.
// The x axis spans the data; the y axis is widened to whole ticks. Empty input (or only NaNs) gives empty
// axes over [0, 1]; a single x or y value is padded to a range around it. Text outside ASCII is drawn as
// '?'. Writes the data area to *plot_area if given. Throws s2r::ConfigError if the size is out of range.
media::Image RenderPlot(const std::vector<Series>& series, const PlotSpec& spec,
                        PixelRect* plot_area = nullptr);

// RenderPlot written as a PNG, atomically (s2r::media::WritePng); creates the parent folder. Throws
// s2r::IoError naming the path on failure.
void WritePlotPng(const std::string& path, const std::vector<Series>& series, const PlotSpec& spec);

// Several panels stacked vertically in one PNG (each at its spec's size, left-aligned on white; the image is
// as wide as the widest). `panels` must not be empty.
void WritePlotGridPng(const std::string& path,
                      const std::vector<std::pair<PlotSpec, std::vector<Series>>>& panels);
media::Image RenderPlotGrid(const std::vector<std::pair<PlotSpec, std::vector<Series>>>& panels);

// One tag of a CSV log as a series: x = step, y = value, sorted by step; a step logged twice (a resumed
// run) keeps its last value. `label` defaults to the tag.
Series SeriesFromCsv(const std::vector<CsvRow>& rows, const std::string& tag, const std::string& label = "");

}  // namespace s2r::metrics
