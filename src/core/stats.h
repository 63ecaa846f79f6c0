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

}  // namespace s2r
