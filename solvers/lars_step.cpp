#include "sgda/steps/lars_step.hpp"

#include <cmath>

#include "sum_squares.hpp"

namespace sgda {

namespace {

// Pass 1 of a weight block: ‖x‖² and ‖g + λx‖², reading g and x once.
__attribute__((target_clones("avx2", "default"))) void lars_norms(Index size,
                                                                  const double* __restrict g,
                                                                  const double* __restrict x,
                                                                  double lambda, double* x_norm_sq,
                                                                  double* d_norm_sq) {
  using detail::Lanes4;
  Lanes4 sx0 = {0, 0, 0, 0}, sx1 = sx0, sd0 = sx0, sd1 = sx0;
  Index i = 0;
  for (; i + 8 <= size; i += 8) {
    Lanes4 x0, x1, d0, d1;
    detail::load4(x0, x + i), detail::load4(x1, x + i + 4);
    detail::load4(d0, g + i), detail::load4(d1, g + i + 4);
    d0 += lambda * x0;
    d1 += lambda * x1;
    sx0 += x0 * x0;
    sx1 += x1 * x1;
    sd0 += d0 * d0;
    sd1 += d1 * d1;
  }
  const Lanes4 sx = sx0 + sx1, sd = sd0 + sd1;
  double tx = (sx[0] + sx[1]) + (sx[2] + sx[3]), td = (sd[0] + sd[1]) + (sd[2] + sd[3]);
  for (; i < size; ++i) {
    const double d = g[i] + lambda * x[i];
    tx += x[i] * x[i];
    td += d * d;
  }
  *x_norm_sq = tx;
  *d_norm_sq = td;
}

// Pass 2: v ← μ v + q (g + λx), next = x − γ v, reading g, x, v and writing v, next once.
__attribute__((target_clones("avx2", "default"))) void lars_move(
    Index size, const double* __restrict g, const double* __restrict x, double* __restrict v,
    double* __restrict out, double momentum, double q, double lambda, double gamma) {
  for (Index i = 0; i < size; ++i) {
    const double vi = momentum * v[i] + q * (g[i] + lambda * x[i]);
    v[i] = vi;
    out[i] = x[i] - gamma * vi;
  }
}

}  // namespace

void LarsStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) {
  const double lambda = decay_of(index, decay_);
  double q = 1.0;
  if (!excluded(index)) {
    double x_sq = 0.0, d_sq = 0.0;
    lars_norms(block.size, g.data(), x.data(), lambda, &x_sq, &d_sq);
    if (x_sq > 0.0 && d_sq > 0.0) q = trust_ * std::sqrt(x_sq) / std::sqrt(d_sq);
  }
  lars_move(block.size, g.data(), x.data(), velocity_.data() + block.offset, next.data(), momentum_,
            q, lambda, gamma);
}

}  // namespace sgda
