// Arbitrary sampling for finite sums (Gower et al. 2019; Loizou et al. 2021): a random vector ξ
// with E ξ_i = 1, drawn as a short list of (index, weight) pairs so that
//   F_ξ(x) = (1/n) Σ_i ξ_i F_i(x) = Σ_{(i, w) drawn} w F_i(x).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/problem.hpp"
#include "sgda/rng.hpp"
#include "sgda/state.hpp"

namespace sgda {

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
  // Fills `out` (its capacity is batch_size()); it may draw fewer pairs than batch_size() (the
  // last batch of a shuffled epoch), never none.
  virtual void draw(Rng& rng, SampleDraw& out) const = 0;
  // Samplings with state across draws (shuffled epochs: the permutation and the position in it)
  // start it afresh, and save and restore it for checkpoints; the others have none.
  virtual void restart() const {}
  virtual void save_state(StateArchive& out) const { (void)out; }
  virtual void load_state(const StateArchive& in) const { (void)in; }
  // "" when Theorem 2.2's assumptions on the draws hold (independent draws with E ξ_i = 1);
  // otherwise why not (the theory is then not reported as applying).
  virtual std::string theory_caveat() const { return ""; }
  // Samplings that learn from what they drew (adaptive sampling) ask for the norms ||F_i(x)|| of
  // each drawn sample; the estimator then evaluates the draw sample by sample and reports them
  // to observe() (norms[k] of draw.indices[k]) before the next draw.
  virtual bool wants_norms() const { return false; }
  virtual void observe(const SampleDraw& draw, const std::vector<double>& norms) const {
    (void)draw;
    (void)norms;
  }
  // ℓ_D: E||F_ξ(x) − F_ξ(x*)||² ≤ ℓ_D Φ(x); NaN if the problem cannot tell.
  virtual double expected_cocoercivity(const Problem& problem) const = 0;
  // σ*² = E||F_ξ(x*) − F(x*)||², computed exactly from the samples at x*.
  virtual double variance_at(const Problem& problem, ConstVectorRef x_star) const = 0;
};

// One sample uniformly at random, weight 1.
std::unique_ptr<Sampling> make_uniform_sampling(Index num_samples);
// τ-nice: τ distinct samples uniformly at random, weight 1/τ each.
std::unique_ptr<Sampling> make_nice_sampling(Index num_samples, Index batch_size);
// Random reshuffling: every epoch a fresh uniformly random permutation of {0, ..., n − 1} (one
// Fisher–Yates shuffle from the run's stream), cut into consecutive batches of batch_size
// samples, weight 1/b each (b = the batch's size; the last batch of an epoch is smaller when
// batch_size does not divide n). Each epoch draws every sample exactly once. Not covered by
// Theorem 2.2 (draws are not independent across iterations): theory_caveat() says so.
std::unique_ptr<Sampling> make_shuffled_sampling(Index num_samples, Index batch_size);
// One sample i with probability p_i, weight 1/(n p_i) (Walker's alias method: O(1) per draw).
std::unique_ptr<Sampling> make_importance_sampling(const Vector& probabilities);
// p_i ∝ L_i (the problem's per-sample Lipschitz constants); throws InputError if unknown.
std::unique_ptr<Sampling> make_lipschitz_importance_sampling(const Problem& problem);

// Minimal-variance adaptive sampling (after MVS-GNN, Cong et al. 2020): b samples drawn with
// inclusion probabilities π_i ∝ ḡ_i, the estimated norms ||F_i|| of the samples, clipped to
// π_i ≤ 1 with Σ π = b (π_i = min(1, c ḡ_i)), minimizing Σ ḡ_i²/π_i; mixed with uniform,
// π ← (1 − mixing) π + mixing·b/n, so no π_i is 0; weight 1/(n π_i) each (unbiased).
//  - ḡ_i learns from the evaluations: when sample i is drawn at x, ḡ_i ← ||F_i(x)|| the first
//    time, then ḡ_i ← decay·ḡ_i + (1 − decay)·||F_i(x)||. Samples never drawn count as the
//    largest estimate (optimism: they are soon drawn); before any draw the sampling is uniform.
//  - The b samples of a draw are distinct: systematic sampling (Madow 1949) over the samples in
//    a random order (τ-nice sampling exactly when π is uniform), O(n) per draw (the π are
//    recomputed each time).
//  - The estimates are its state (checkpoints); restart() forgets them.
//  - Theory: given the past, a draw is unbiased and π_i ≥ mixing·b/n, which bounds
//    E||F_ξ(x) − F_ξ(x*)||² ≤ (ℓ̂/mixing) Φ(x) and σ*² ≤ (1/mixing)(1/n)Σ||F_i(x*)||² − ||F*||²
//    whatever the estimates: these worst cases are what it reports (docs/theory.md).
class AdaptiveSampling final : public Sampling {
 public:
  AdaptiveSampling(Index num_samples, Index batch_size, double decay, double mixing);
  std::unique_ptr<Sampling> clone() const override;
  std::string describe() const override;
  Index num_samples() const override { return n_; }
  Index batch_size() const override { return batch_; }
  void draw(Rng& rng, SampleDraw& out) const override;
  bool wants_norms() const override { return true; }
  void observe(const SampleDraw& draw, const std::vector<double>& norms) const override;
  void restart() const override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) const override;
  double expected_cocoercivity(const Problem& problem) const override;
  double variance_at(const Problem& problem, ConstVectorRef x_star) const override;

  // The inclusion probabilities π the next draw uses (Σ π = b, 0 < π_i ≤ 1).
  Vector inclusion_probabilities() const;
  // ḡ, with −1 for samples never drawn.
  const Vector& estimates() const { return estimates_; }
  double decay() const { return decay_; }
  double mixing() const { return mixing_; }

 private:
  void compute_probabilities() const;  // into pi_

  Index n_, batch_;
  double decay_, mixing_;
  mutable Vector estimates_;          // ḡ_i, −1 = never drawn
  mutable Vector pi_;                 // workspace: the inclusion probabilities
  mutable std::vector<Index> order_;  // workspace: the random order of a draw
};

// Checks the options (1 ≤ batch_size ≤ n, decay ∈ [0, 1), mixing ∈ (0, 1]).
std::unique_ptr<Sampling> make_adaptive_sampling(Index num_samples, Index batch_size, double decay,
                                                 double mixing);

}  // namespace sgda
