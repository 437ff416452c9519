#include "sgda/estimators/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "sgda/error.hpp"

namespace sgda {
namespace {

// σ*² = E||F_ξ(x*) − F(x*)||² of a single-sample sampling that picks i with probability p_i
// and weight 1/(n p_i): Σ_i p_i ||F_i(x*)/(n p_i) − F(x*)||².
double single_sample_variance(const Problem& problem, ConstVectorRef x_star,
                              const Vector& probabilities) {
  const Index n = problem.num_samples();
  Vector mean(problem.dim()), term(problem.dim());
  problem.full(x_star, mean);
  double variance = 0.0;
  for (Index i = 0; i < n; ++i) {
    problem.sample(i, x_star, term);
    variance += probabilities[i] *
                (term / (static_cast<double>(n) * probabilities[i]) - mean).squaredNorm();
  }
  return variance;
}

class UniformSampling final : public Sampling {
 public:
  std::unique_ptr<Sampling> clone() const override {
    return std::make_unique<UniformSampling>(*this);
  }
  explicit UniformSampling(Index n) : n_(n) {}
  std::string describe() const override { return "uniform"; }
  bool is_uniform() const override { return true; }
  Index num_samples() const override { return n_; }
  Index batch_size() const override { return 1; }
  void draw(Rng& rng, SampleDraw& out) const override {
    out.indices[0] = uniform_index(rng, n_);
    out.weights[0] = 1.0;
  }
  double expected_cocoercivity(const Problem& problem) const override {
    return problem.constants().ell_hat;  // ℓ_D = ℓ̂ exactly
  }
  double variance_at(const Problem& problem, ConstVectorRef x_star) const override {
    return single_sample_variance(problem, x_star, Vector::Constant(n_, 1.0 / double(n_)));
  }

 private:
  Index n_;
};

// τ-nice sampling by a partial Fisher–Yates shuffle: the first τ entries after τ swaps are a
// uniformly random τ-subset. The swaps are undone after each draw, so the permutation is the
// identity before every draw and a draw depends only on the random stream: an estimator reset
// with the same seed repeats its run exactly (a persistent permutation would not).
class NiceSampling final : public Sampling {
 public:
  std::unique_ptr<Sampling> clone() const override { return std::make_unique<NiceSampling>(*this); }
  NiceSampling(Index n, Index tau)
      : n_(n),
        tau_(tau),
        permutation_(static_cast<std::size_t>(n)),
        swaps_(static_cast<std::size_t>(tau)) {
    std::iota(permutation_.begin(), permutation_.end(), Index{0});
  }
  std::string describe() const override { return "nice(batch_size=" + std::to_string(tau_) + ")"; }
  Index num_samples() const override { return n_; }
  Index batch_size() const override { return tau_; }
  void draw(Rng& rng, SampleDraw& out) const override {
    for (Index k = 0; k < tau_; ++k) {
      const auto j = k + static_cast<Index>(rng.index(static_cast<std::uint64_t>(n_ - k)));
      swaps_[static_cast<std::size_t>(k)] = j;
      std::swap(permutation_[static_cast<std::size_t>(k)],
                permutation_[static_cast<std::size_t>(j)]);
      out.indices[static_cast<std::size_t>(k)] = permutation_[static_cast<std::size_t>(k)];
      out.weights[static_cast<std::size_t>(k)] = 1.0 / static_cast<double>(tau_);
    }
    for (Index k = tau_ - 1; k >= 0; --k)  // back to the identity, O(τ)
      std::swap(permutation_[static_cast<std::size_t>(k)],
                permutation_[static_cast<std::size_t>(swaps_[static_cast<std::size_t>(k)])]);
  }
  // ℓ_D ≤ n(τ−1)/(τ(n−1)) ℓ + (n−τ)/(τ(n−1)) ℓ̂ (docs/theory.md §τ-nice; Gower et al. 2019).
  double expected_cocoercivity(const Problem& problem) const override {
    const ProblemConstants c = problem.constants();
    if (n_ == 1) return c.ell_hat;
    const double n = double(n_), tau = double(tau_);
    return n * (tau - 1) / (tau * (n - 1)) * c.ell + (n - tau) / (tau * (n - 1)) * c.ell_hat;
  }
  // σ*²(τ) = (n−τ)/(τ(n−1)) σ*²(1): sampling without replacement.
  double variance_at(const Problem& problem, ConstVectorRef x_star) const override {
    if (n_ == 1) return 0.0;
    const double n = double(n_), tau = double(tau_);
    return (n - tau) / (tau * (n - 1)) *
           single_sample_variance(problem, x_star, Vector::Constant(n_, 1.0 / n));
  }

 private:
  Index n_, tau_;
  mutable std::vector<Index> permutation_;
  mutable std::vector<Index> swaps_;  // the j of each swap of the current draw
};

// Random reshuffling: a permutation per epoch, consumed batch by batch. The state (permutation,
// position) is mutable: draw() is const in the Sampling interface, and the estimator that owns
// the sampling is what a run owns. At position n the next draw reshuffles.
class ShuffledSampling final : public Sampling {
 public:
  std::unique_ptr<Sampling> clone() const override {
    return std::make_unique<ShuffledSampling>(*this);
  }
  ShuffledSampling(Index n, Index batch)
      : n_(n), batch_(batch), permutation_(static_cast<std::size_t>(n)) {
    restart();
  }
  std::string describe() const override {
    return "shuffle(batch_size=" + std::to_string(batch_) + ")";
  }
  Index num_samples() const override { return n_; }
  Index batch_size() const override { return batch_; }
  void restart() const override {
    std::iota(permutation_.begin(), permutation_.end(), Index{0});
    position_ = n_;
  }
  void draw(Rng& rng, SampleDraw& out) const override {
    if (position_ >= n_) {  // a new epoch: Fisher–Yates over the whole permutation
      for (Index k = n_ - 1; k > 0; --k) {
        const auto j = static_cast<Index>(rng.index(static_cast<std::uint64_t>(k + 1)));
        std::swap(permutation_[static_cast<std::size_t>(k)],
                  permutation_[static_cast<std::size_t>(j)]);
      }
      position_ = 0;
    }
    const Index b = std::min(batch_, n_ - position_);
    out.indices.resize(static_cast<std::size_t>(b));  // within capacity: no allocation
    out.weights.resize(static_cast<std::size_t>(b));
    const double weight = 1.0 / static_cast<double>(b);
    for (Index k = 0; k < b; ++k) {
      out.indices[static_cast<std::size_t>(k)] =
          permutation_[static_cast<std::size_t>(position_ + k)];
      out.weights[static_cast<std::size_t>(k)] = weight;
    }
    position_ += b;
  }
  void save_state(StateArchive& out) const override {
    Vector permutation(n_);
    for (Index i = 0; i < n_; ++i)
      permutation[i] = static_cast<double>(permutation_[static_cast<std::size_t>(i)]);
    out.put("permutation", permutation);
    out.put_integer("position", position_);
  }
  void load_state(const StateArchive& in) const override {
    const Vector& permutation = in.vector("permutation");
    const std::int64_t position = in.integer("position");
    if (permutation.size() != n_ || position < 0 || position > n_)
      throw InputError("checkpoint: the shuffled sampling's state does not fit n = " +
                       std::to_string(n_));
    for (Index i = 0; i < n_; ++i)
      permutation_[static_cast<std::size_t>(i)] = static_cast<Index>(permutation[i]);
    position_ = static_cast<Index>(position);
  }
  std::string theory_caveat() const override {
    return "random reshuffling (sampling = shuffle) draws without replacement across "
           "iterations; Theorem 2.2 assumes independent draws";
  }
  double expected_cocoercivity(const Problem&) const override {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double variance_at(const Problem&, ConstVectorRef) const override {
    return std::numeric_limits<double>::quiet_NaN();
  }

 private:
  Index n_, batch_;
  mutable std::vector<Index> permutation_;
  mutable Index position_ = 0;
};

// Walker's alias method (Vose 1991): O(n) set-up, O(1) per draw with two random numbers.
class ImportanceSampling final : public Sampling {
 public:
  std::unique_ptr<Sampling> clone() const override {
    return std::make_unique<ImportanceSampling>(*this);
  }
  explicit ImportanceSampling(Vector probabilities)
      : p_(std::move(probabilities)),
        n_(p_.size()),
        accept_(n_),
        alias_(static_cast<std::size_t>(n_)),
        weight_(n_) {
    std::vector<Index> small, large;
    Vector scaled = p_ * static_cast<double>(n_);
    for (Index i = 0; i < n_; ++i) (scaled[i] < 1.0 ? small : large).push_back(i);
    while (!small.empty() && !large.empty()) {
      const Index s = small.back(), l = large.back();
      small.pop_back();
      accept_[s] = scaled[s];
      alias_[static_cast<std::size_t>(s)] = l;
      scaled[l] -= 1.0 - scaled[s];
      if (scaled[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (Index i : large) accept_[i] = 1.0, alias_[static_cast<std::size_t>(i)] = i;
    for (Index i : small) accept_[i] = 1.0, alias_[static_cast<std::size_t>(i)] = i;
    weight_ = (p_ * static_cast<double>(n_)).cwiseInverse();  // 1/(n p_i)
  }
  std::string describe() const override { return "importance"; }
  Index num_samples() const override { return n_; }
  Index batch_size() const override { return 1; }
  void draw(Rng& rng, SampleDraw& out) const override {
    const auto column = static_cast<Index>(rng.index(static_cast<std::uint64_t>(n_)));
    const Index i =
        rng.uniform() < accept_[column] ? column : alias_[static_cast<std::size_t>(column)];
    out.indices[0] = i;
    out.weights[0] = weight_[i];
  }
  // ℓ_D = sup (1/n²) Σ_i ||F_i(x) − F_i(x*)||²/p_i / Φ(x).
  double expected_cocoercivity(const Problem& problem) const override {
    const double n = static_cast<double>(n_);
    return problem.weighted_star_cocoercivity(p_.cwiseInverse() / (n * n));
  }
  double variance_at(const Problem& problem, ConstVectorRef x_star) const override {
    return single_sample_variance(problem, x_star, p_);
  }

 private:
  Vector p_;
  Index n_;
  Vector accept_;
  std::vector<Index> alias_;
  Vector weight_;
};

}  // namespace

std::unique_ptr<Sampling> make_uniform_sampling(Index num_samples) {
  return std::make_unique<UniformSampling>(num_samples);
}

std::unique_ptr<Sampling> make_nice_sampling(Index num_samples, Index batch_size) {
  if (batch_size < 1 || batch_size > num_samples)
    throw InputError(FieldError{"batch_size", "must be between 1 and the number of samples (" +
                                                  std::to_string(num_samples) + "), got " +
                                                  std::to_string(batch_size)});
  return std::make_unique<NiceSampling>(num_samples, batch_size);
}

std::unique_ptr<Sampling> make_shuffled_sampling(Index num_samples, Index batch_size) {
  if (batch_size < 1 || batch_size > num_samples)
    throw InputError(FieldError{"batch_size", "must be between 1 and the number of samples (" +
                                                  std::to_string(num_samples) + "), got " +
                                                  std::to_string(batch_size)});
  return std::make_unique<ShuffledSampling>(num_samples, batch_size);
}

std::unique_ptr<Sampling> make_importance_sampling(const Vector& probabilities) {
  if (probabilities.size() == 0 || !probabilities.allFinite() || (probabilities.array() <= 0).any())
    throw InputError("importance sampling: every probability must be finite and > 0");
  if (std::abs(probabilities.sum() - 1.0) > 1e-9)
    throw InputError("importance sampling: probabilities must sum to 1");
  return std::make_unique<ImportanceSampling>(probabilities / probabilities.sum());
}

std::unique_ptr<Sampling> make_lipschitz_importance_sampling(const Problem& problem) {
  const Vector lipschitz = problem.constants().sample_lipschitz;
  if (lipschitz.size() != problem.num_samples() || !lipschitz.allFinite())
    throw InputError(
        FieldError{"sampling",
                   "importance sampling needs the per-sample Lipschitz constants L_i, which "
                   "this problem does not know; accepted here: uniform, nice"});
  // p_i ∝ L_i, floored at 1e-3·mean(L) so samples with L_i = 0 (pure offsets) keep p_i > 0.
  const Vector floored = lipschitz.cwiseMax(1e-3 * lipschitz.mean() + 1e-300);
  return make_importance_sampling(floored / floored.sum());
}

// ---- Minimal-variance adaptive sampling --------------------------------------------------------

AdaptiveSampling::AdaptiveSampling(Index num_samples, Index batch_size, double decay, double mixing)
    : n_(num_samples),
      batch_(batch_size),
      decay_(decay),
      mixing_(mixing),
      estimates_(Vector::Constant(num_samples, -1.0)),
      pi_(num_samples),
      order_(static_cast<std::size_t>(num_samples)) {}

std::unique_ptr<Sampling> AdaptiveSampling::clone() const {
  return std::make_unique<AdaptiveSampling>(*this);
}

std::string AdaptiveSampling::describe() const {
  std::ostringstream out;
  out << "adaptive(batch_size=" << batch_ << ", decay=" << decay_ << ", mixing=" << mixing_ << ")";
  return out.str();
}

void AdaptiveSampling::restart() const { estimates_.setConstant(-1.0); }

// π_i = min(1, c s_i) with Σ π = b, s_i = ḡ_i (the largest estimate for samples never drawn),
// then mixed with uniform. The clipping loop: c = (b − #clipped)/Σ_unclipped s; clip every
// sample with c s_i ≥ 1 and repeat until none is newly clipped (at most b rounds, usually one).
// Clipped samples are marked by −1 in pi_ while the loop runs. Allocates nothing.
void AdaptiveSampling::compute_probabilities() const {
  const double n = static_cast<double>(n_), b = static_cast<double>(batch_);
  const double largest = estimates_.maxCoeff();
  if (!(largest > 0.0)) {  // nothing drawn yet, or every norm seen is 0: uniform
    pi_.setConstant(b / n);
    return;
  }
  for (Index i = 0; i < n_; ++i) pi_[i] = estimates_[i] < 0.0 ? largest : estimates_[i];
  Index clipped = 0;
  while (clipped < n_) {
    double rest = 0.0;
    for (Index i = 0; i < n_; ++i)
      if (pi_[i] >= 0.0) rest += pi_[i];
    const double budget = b - static_cast<double>(clipped);
    if (!(rest > 0.0)) {  // the unclipped scores are all 0: share the budget evenly
      const double each = budget / static_cast<double>(n_ - clipped);
      for (Index i = 0; i < n_; ++i)
        if (pi_[i] >= 0.0) pi_[i] = each;
      break;
    }
    const double c = budget / rest;
    Index newly = 0;
    for (Index i = 0; i < n_; ++i)
      if (pi_[i] >= 0.0 && c * pi_[i] >= 1.0) pi_[i] = -1.0, ++newly;
    if (newly == 0) {
      for (Index i = 0; i < n_; ++i)
        if (pi_[i] >= 0.0) pi_[i] *= c;
      break;
    }
    clipped += newly;
  }
  for (Index i = 0; i < n_; ++i) {
    const double clipped_pi = pi_[i] < 0.0 ? 1.0 : std::min(pi_[i], 1.0);
    pi_[i] = (1.0 - mixing_) * clipped_pi + mixing_ * b / n;
  }
}

Vector AdaptiveSampling::inclusion_probabilities() const {
  compute_probabilities();
  return pi_ * (static_cast<double>(batch_) / pi_.sum());  // as draw() uses them
}

// Systematic sampling over a random order: the samples are put in a uniformly random order
// (Fisher–Yates from the identity, so a draw depends only on the stream), and the points
// u·s, (u + 1)·s, ..., (u + b − 1)·s with s = Σπ/b (= 1 up to rounding) fall into the
// consecutive intervals of lengths π_i in that order; sample i is drawn when a point falls in
// its interval, with probability π_i/s ≤ 1, and weighted 1/(n π_i/s). The random order makes it
// τ-nice sampling exactly when π is uniform (a fixed set of b positions of a random permutation
// is a uniformly random b-subset); in the index order the joint inclusions would follow the
// numbering of the samples. For b = 1 the order does not matter and is not drawn. The last point
// is below Σπ, so b samples are drawn; only an interval longer than s by rounding could hold two
// points, and the second is then skipped (a draw of b − 1 samples, still unbiased to rounding).
void AdaptiveSampling::draw(Rng& rng, SampleDraw& out) const {
  compute_probabilities();
  std::iota(order_.begin(), order_.end(), Index{0});
  if (batch_ > 1)
    for (Index k = n_ - 1; k > 0; --k) {
      const auto j = static_cast<Index>(rng.index(static_cast<std::uint64_t>(k + 1)));
      std::swap(order_[static_cast<std::size_t>(k)], order_[static_cast<std::size_t>(j)]);
    }
  double total = 0.0;
  for (const Index i : order_) total += pi_[i];
  const double spacing = total / static_cast<double>(batch_);
  double point = rng.uniform() * spacing;
  out.indices.resize(static_cast<std::size_t>(batch_));  // within capacity: no allocation
  out.weights.resize(static_cast<std::size_t>(batch_));
  double cumulative = 0.0;
  std::size_t k = 0;
  for (std::size_t position = 0; position < order_.size() && k < static_cast<std::size_t>(batch_);
       ++position) {
    const Index i = order_[position];
    cumulative += pi_[i];
    if (point < cumulative) {
      out.indices[k] = i;
      out.weights[k] = spacing / (static_cast<double>(n_) * pi_[i]);
      ++k;
      point += spacing;
      while (point < cumulative) point += spacing;
    }
  }
  out.indices.resize(k);
  out.weights.resize(k);
}

void AdaptiveSampling::observe(const SampleDraw& draw, const std::vector<double>& norms) const {
  for (std::size_t k = 0; k < draw.indices.size(); ++k) {
    const double norm = norms[k];
    if (!std::isfinite(norm)) continue;  // a diverging run must not poison the estimates
    double& estimate = estimates_[draw.indices[k]];
    estimate = estimate < 0.0 ? norm : decay_ * estimate + (1.0 - decay_) * norm;
  }
}

void AdaptiveSampling::save_state(StateArchive& out) const { out.put("estimates", estimates_); }

void AdaptiveSampling::load_state(const StateArchive& in) const {
  const Vector& estimates = in.vector("estimates");
  if (estimates.size() != n_)
    throw InputError("checkpoint: the adaptive sampling's state does not fit n = " +
                     std::to_string(n_));
  estimates_ = estimates;
}

// Given the past, π_i ≥ mixing·b/n, and for a draw S of at most b samples
//   E||Σ_{i∈S} a_i/(nπ_i)||² ≤ b Σ_i π_i ||a_i||²/(nπ_i)² ≤ (1/mixing)(1/n) Σ_i ||a_i||²
// (Cauchy–Schwarz over the b terms): with a_i = F_i(x) − F_i(x*) this is ≤ (ℓ̂/mixing) Φ(x).
double AdaptiveSampling::expected_cocoercivity(const Problem& problem) const {
  return problem.constants().ell_hat / mixing_;
}

// The same bound with a_i = F_i(x*): σ*² ≤ (1/mixing)(1/n)Σ||F_i(x*)||² − ||F(x*)||².
double AdaptiveSampling::variance_at(const Problem& problem, ConstVectorRef x_star) const {
  Vector mean(problem.dim()), term(problem.dim());
  problem.full(x_star, mean);
  double second = 0.0;
  for (Index i = 0; i < n_; ++i) {
    problem.sample(i, x_star, term);
    second += term.squaredNorm();
  }
  return std::max(0.0, second / (mixing_ * static_cast<double>(n_)) - mean.squaredNorm());
}

std::unique_ptr<Sampling> make_adaptive_sampling(Index num_samples, Index batch_size, double decay,
                                                 double mixing) {
  if (batch_size < 1 || batch_size > num_samples)
    throw InputError(FieldError{"batch_size", "must be between 1 and the number of samples (" +
                                                  std::to_string(num_samples) + "), got " +
                                                  std::to_string(batch_size)});
  if (!(decay >= 0.0 && decay < 1.0))
    throw InputError(FieldError{"adaptive_decay", "must be in [0, 1)"});
  if (!(mixing > 0.0 && mixing <= 1.0))
    throw InputError(FieldError{"adaptive_mixing", "must be in (0, 1]"});
  return std::make_unique<AdaptiveSampling>(num_samples, batch_size, decay, mixing);
}

}  // namespace sgda
