// Small summary statistics shared by the commands that report measurements (benchmarks, run comparisons).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace s2r {

// The median of `v` (the mean of the middle two for an even count); NaN for an empty vector.
inline double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The p-th percentile of `v`, p in [0, 100], interpolated linearly between the closest ranks (numpy's
// default): Percentile(v, 50) == Median(v). NaN for an empty vector.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (rank - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace s2r
