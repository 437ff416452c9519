// Internal (namespace sgda::detail, not part of the API): the one-pass checked step that
// ProxStep and the solver's fused moves share.
#pragma once

#include <cmath>

#include "sgda/types.hpp"

namespace sgda::detail {

// out = x − γg, and whether every entry of it is finite, in one pass: its entries are summed on
// four accumulators (two SIMD registers), so that the loop vectorizes, and a finite sum means
// finite entries (a non-finite term stays non-finite in its accumulator; a finite overflow is
// caught by the second look). Four named accumulators, not an array, so that they stay in
// registers through the scalar tail. (Eight measured no faster at D = 200, slower at D = 20.)
inline bool subtract_scaled_checked(ConstVectorRef x, double gamma, ConstVectorRef g,
                                    VectorRef out) {
  const double* xp = x.data();
  const double* gp = g.data();
  double* op = out.data();
  const Index n = x.size();
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  Index i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += op[i] = xp[i] - gamma * gp[i];
    s1 += op[i + 1] = xp[i + 1] - gamma * gp[i + 1];
    s2 += op[i + 2] = xp[i + 2] - gamma * gp[i + 2];
    s3 += op[i + 3] = xp[i + 3] - gamma * gp[i + 3];
  }
  for (; i < n; ++i) s0 += op[i] = xp[i] - gamma * gp[i];
  return std::isfinite((s0 + s1) + (s2 + s3)) || all_finite(out);
}

}  // namespace sgda::detail
