#include "sgda/steps/adam_step.hpp"

#include <cmath>
#include <string>

#include "block_counts.hpp"
#include "sgda/error.hpp"

namespace sgda {

void AdamStep::on_bind(Index dim) {
  m_ = Vector::Zero(dim);
  v_ = Vector::Zero(dim);
  v_max_ = amsgrad_ ? Vector::Zero(dim) : Vector();
  t_.assign(blocks().size(), 0);
  corrected_t_ = 0;
}

namespace {

struct AdamConstants {
  double beta1, beta2, a1, a2, step1, inv_c2, epsilon, l2, decoupled, gamma;
};

// One fused pass over a block: reads g, x, m, v once and writes m, v, next once, so a large step
// moves the least memory traffic. The loop's square root and division make it compute-bound on
// baseline x86-64 (two doubles per instruction), so it is also built for AVX2 and picked at run
// time (GCC function multi-versioning); results are the same, element by element.
__attribute__((target_clones("avx2", "default"))) void adam_kernel(
    const AdamConstants& constants, Index size, const double* __restrict g,
    const double* __restrict x, double* __restrict m, double* __restrict v,
    double* __restrict out) {
  const AdamConstants c = constants;  // a local copy: the stores below cannot alias it
  for (Index i = 0; i < size; ++i) {
    const double d = g[i] + c.l2 * x[i];
    const double mi = c.beta1 * m[i] + c.a1 * d;
    const double vi = c.beta2 * v[i] + c.a2 * d * d;
    m[i] = mi;
    v[i] = vi;
    out[i] =
        x[i] - c.step1 * mi / (std::sqrt(vi * c.inv_c2) + c.epsilon) - c.gamma * c.decoupled * x[i];
  }
}

// AMSGrad: the same pass, with the running maximum of v (read and written) in v̂'s place.
__attribute__((target_clones("avx2", "default"))) void amsgrad_kernel(
    const AdamConstants& constants, Index size, const double* __restrict g,
    const double* __restrict x, double* __restrict m, double* __restrict v,
    double* __restrict v_max, double* __restrict out) {
  const AdamConstants c = constants;
  for (Index i = 0; i < size; ++i) {
    const double d = g[i] + c.l2 * x[i];
    const double mi = c.beta1 * m[i] + c.a1 * d;
    const double vi = c.beta2 * v[i] + c.a2 * d * d;
    const double wi = vi > v_max[i] ? vi : v_max[i];
    m[i] = mi;
    v[i] = vi;
    v_max[i] = wi;
    out[i] =
        x[i] - c.step1 * mi / (std::sqrt(wi * c.inv_c2) + c.epsilon) - c.gamma * c.decoupled * x[i];
  }
}

}  // namespace

void AdamStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) {
  const std::int64_t t = ++t_[index];
  if (t != corrected_t_) {
    corrected_t_ = t;
    correction1_ = 1.0 - std::pow(beta1_, static_cast<double>(t));
    correction2_ = 1.0 - std::pow(beta2_, static_cast<double>(t));
  }
  const AdamConstants c{beta1_,
                        beta2_,
                        1.0 - beta1_,
                        1.0 - beta2_,
                        gamma / correction1_,
                        1.0 / correction2_,
                        epsilon_,
                        decoupled_ ? 0.0 : decay_of(index, {decay_}),
                        decoupled_ ? decay_of(index, {decay_}) : 0.0,
                        gamma};
  if (amsgrad_)
    amsgrad_kernel(c, block.size, g.data(), x.data(), m_.data() + block.offset,
                   v_.data() + block.offset, v_max_.data() + block.offset, next.data());
  else
    adam_kernel(c, block.size, g.data(), x.data(), m_.data() + block.offset,
                v_.data() + block.offset, next.data());
}

void AdamStep::save_state(StateArchive& out) const {
  out.put("m", m_);
  out.put("v", v_);
  if (amsgrad_) out.put("v_max", v_max_);
  detail::put_block_counts(out, "t", t_);
}

void AdamStep::load_state(const StateArchive& in) {
  m_ = in.vector("m");
  v_ = in.vector("v");
  if (amsgrad_) v_max_ = in.vector("v_max");
  if (!in.has_vector("t")) {  // a checkpoint from before the per-block counts: one t for all
    t_.assign(t_.size(), in.integer("t"));
  } else {
    detail::get_block_counts(in, "t", t_);
  }
  corrected_t_ = 0;
}

}  // namespace sgda
