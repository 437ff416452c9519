// Arbitrary sampling for finite sums (Gower et al. 2019; Loizou et al. 2021): a random vector ξ
// with E ξ_i = 1, drawn as a short list of (index, weight) pairs so that
//   F_ξ(x) = (1/n) Σ_i ξ_i F_i(x) = Σ_{(i, w) drawn} w F_i(x).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/problem.hpp"
#include "sgda/rng.hpp"

namespace sgda {

struct SampleDraw {
  std::vector<Index> indices;  // capacity fixed at construction: drawing never allocates
  std::vector<double> weights;
};

// The draw of uniform sampling: one index, uniform on {0, ..., n − 1}.
inline Index uniform_index(Rng& rng, Index n) {
  return static_cast<Index>(rng.index(static_cast<std::uint64_t>(n)));
}

class Sampling {
 public:
  virtual ~Sampling() = default;
  // One sample by uniform_index() with weight 1, so a caller may draw it inline.
  virtual bool is_uniform() const { return false; }
  virtual std::string describe() const = 0;
  virtual std::unique_ptr<Sampling> clone() const = 0;
  virtual Index batch_size() const = 0;
  virtual Index num_samples() const = 0;  // n, the samples it draws from
  virtual void draw(Rng& rng, SampleDraw& out) const = 0;
  // ℓ_D: E||F_ξ(x) − F_ξ(x*)||² ≤ ℓ_D Φ(x); NaN if the problem cannot tell.
  virtual double expected_cocoercivity(const Problem& problem) const = 0;
  // σ*² = E||F_ξ(x*) − F(x*)||², computed exactly from the samples at x*.
  virtual double variance_at(const Problem& problem, ConstVectorRef x_star) const = 0;
};

// One sample uniformly at random, weight 1.
std::unique_ptr<Sampling> make_uniform_sampling(Index num_samples);
// τ-nice: τ distinct samples uniformly at random, weight 1/τ each.
std::unique_ptr<Sampling> make_nice_sampling(Index num_samples, Index batch_size);
// One sample i with probability p_i, weight 1/(n p_i) (Walker's alias method: O(1) per draw).
std::unique_ptr<Sampling> make_importance_sampling(const Vector& probabilities);
// p_i ∝ L_i (the problem's per-sample Lipschitz constants); throws InputError if unknown.
std::unique_ptr<Sampling> make_lipschitz_importance_sampling(const Problem& problem);

}  // namespace sgda
