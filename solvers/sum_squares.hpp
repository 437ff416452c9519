// Sums of squares for the trust-ratio rules (LARS, LAMB): eight lanes in GCC vector types, so the
// loop is vectorized in every build and its order, hence its bits, is the same in each clone of
// a target_clones kernel (no FMA contraction: the clones are baseline and AVX2, not FMA).
#pragma once

#include <cstring>

#include "sgda/types.hpp"

namespace sgda::detail {

typedef double Lanes4 __attribute__((vector_size(32)));

// Four doubles from p, unaligned (through a reference: a vector return value would change the
// ABI of the baseline clone).
[[gnu::always_inline]] inline void load4(Lanes4& v, const double* p) {
  std::memcpy(&v, p, sizeof v);
}

// Adds Σ a_i² to *sa and Σ b_i² to *sb over i < n.
[[gnu::always_inline]] inline void add_sums_of_squares(const double* __restrict a,
                                                       const double* __restrict b, Index n,
                                                       double* sa, double* sb) {
  Lanes4 a0 = {0, 0, 0, 0}, a1 = a0, b0 = a0, b1 = a0;
  Index i = 0;
  for (; i + 8 <= n; i += 8) {
    Lanes4 x0, x1, y0, y1;
    load4(x0, a + i), load4(x1, a + i + 4), load4(y0, b + i), load4(y1, b + i + 4);
    a0 += x0 * x0;
    a1 += x1 * x1;
    b0 += y0 * y0;
    b1 += y1 * y1;
  }
  const Lanes4 as = a0 + a1, bs = b0 + b1;
  double ta = (as[0] + as[1]) + (as[2] + as[3]), tb = (bs[0] + bs[1]) + (bs[2] + bs[3]);
  for (; i < n; ++i) {
    ta += a[i] * a[i];
    tb += b[i] * b[i];
  }
  *sa += ta;
  *sb += tb;
}

}  // namespace sgda::detail
