#include "sgda/steps/lamb_step.hpp"

#include <algorithm>
#include <cmath>

#include "block_counts.hpp"
#include "sgda/error.hpp"
#include "sum_squares.hpp"

namespace sgda {

void LambStep::on_bind(Index dim) {
  m_ = Vector::Zero(dim);
  v_ = Vector::Zero(dim);
  t_.assign(blocks().size(), 0);
}

namespace {

struct LambConstants {
  double beta1, beta2, a1, a2, inv_c1, inv_c2, epsilon, lambda;
};

// Pass 1: m, v and r = m̂/(√v̂ + ε) + λx (into out), with ‖x‖² and ‖r‖². In chunks that stay in
// L1: the moments' loop vectorizes, and the sums of squares re-read x and r from the cache.
__attribute__((target_clones("avx2", "default"))) void lamb_direction(
    const LambConstants& constants, Index size, const double* __restrict g,
    const double* __restrict x, double* __restrict m, double* __restrict v, double* __restrict out,
    double* x_norm_sq, double* r_norm_sq) {
  const LambConstants c = constants;
  constexpr Index kChunk = 256;
  double sx = 0.0, sr = 0.0;
  for (Index start = 0; start < size; start += kChunk) {
    const Index end = std::min(size, start + kChunk);
    for (Index i = start; i < end; ++i) {
      const double mi = c.beta1 * m[i] + c.a1 * g[i];
      const double vi = c.beta2 * v[i] + c.a2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      out[i] = mi * c.inv_c1 / (std::sqrt(vi * c.inv_c2) + c.epsilon) + c.lambda * x[i];
    }
    detail::add_sums_of_squares(x + start, out + start, end - start, &sx, &sr);
  }
  *x_norm_sq = sx;
  *r_norm_sq = sr;
}

// Pass 2: next = x − s·r, r read from next.
__attribute__((target_clones("avx2", "default"))) void lamb_move(Index size,
                                                                 const double* __restrict x,
                                                                 double* __restrict out, double s) {
  for (Index i = 0; i < size; ++i) out[i] = x[i] - s * out[i];
}

}  // namespace

void LambStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) {
  const std::int64_t t = ++t_[index];
  const double c1 = o_.bias_correction ? 1.0 - std::pow(o_.beta1, double(t)) : 1.0;
  const double c2 = o_.bias_correction ? 1.0 - std::pow(o_.beta2, double(t)) : 1.0;
  const LambConstants c{o_.beta1, o_.beta2, 1.0 - o_.beta1, 1.0 - o_.beta2,
                        1.0 / c1, 1.0 / c2, o_.epsilon,     decay_of(index, {o_.weight_decay})};
  double x_sq = 0.0, r_sq = 0.0;
  lamb_direction(c, block.size, g.data(), x.data(), m_.data() + block.offset,
                 v_.data() + block.offset, next.data(), &x_sq, &r_sq);
  double ratio = 1.0;
  if (!excluded(index) && x_sq > 0.0 && r_sq > 0.0) ratio = phi(std::sqrt(x_sq)) / std::sqrt(r_sq);
  lamb_move(block.size, x.data(), next.data(), gamma * ratio);
}

void LambStep::save_state(StateArchive& out) const {
  out.put("m", m_);
  out.put("v", v_);
  detail::put_block_counts(out, "t", t_);
}

void LambStep::load_state(const StateArchive& in) {
  m_ = in.vector("m");
  v_ = in.vector("v");
  detail::get_block_counts(in, "t", t_);
}

}  // namespace sgda
