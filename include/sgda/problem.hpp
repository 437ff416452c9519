// A finite-sum operator F(x) = (1/n) Σ_i F_i(x) on R^d, with its players, regularizer, constants
// and (when known) solution: the variational inequality
//   find x* with <F(x*), x − x*> + R(x) − R(x*) ≥ 0 for all x.
// Problems never count oracle calls; estimators do, so metrics stay free.
//
// Thread safety. A run's own objects (its Estimator, StepRule, Rng, the solver's state) belong
// to that run; several runs may go on at once in different threads when each has its own. The
// problem may be shared between them where its const methods are safe to call concurrently:
//   - AffineGame: yes. Its caches (x*, the constants, S^{-1/2}, the row-major M̄) are computed
//     once, by the first caller, under a lock (detail::Lazy); everything else only reads.
//   - Regularizers: yes (stateless).
//   - DiracGan: yes (no state). GaussianGan, MlpGan and TrainingProblem: no, they evaluate
//     minibatches in workspaces kept in the object (TrainingProblem also caches its last full
//     pass for the metrics); give each thread its own copy (a TrainingProblem's data set is
//     shared, read-only, between copies). So does the default
//     Problem::coordinate(), which evaluates F into a workspace: problems that keep it (all but
//     AffineGame) are not safe for the coordinate methods across threads.
#pragma once

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sgda/regularizer.hpp"
#include "sgda/state.hpp"
#include "sgda/types.hpp"

namespace sgda {

// Constants of the assumptions of the unified theory (Beznosikov et al. 2023, Sec. 2), with
// Φ(x) = <F(x) − F(x*), x − x*>. NaN means unknown; +infinity means the assumption fails.
struct ProblemConstants {
  double mu = std::numeric_limits<double>::quiet_NaN();   // Φ ≥ μ||x − x*||²
  double ell = std::numeric_limits<double>::quiet_NaN();  // ||F(x) − F(x*)||² ≤ ℓ Φ
  double ell_hat = std::numeric_limits<double>::quiet_NaN();  // (1/n)Σ||F_i(x) − F_i(x*)||² ≤ ℓ̂ Φ
  Vector sample_lipschitz;  // L_i = ||F_i(x) − F_i(y)|| / ||x − y|| bounds, one per sample
};

// The name of the player owning a block: its name up to the first '.' (all of it without one).
std::string player_name(const std::string& block_name);
// `blocks` grouped into players by player_name, in the order of each player's first block; a
// player's blocks keep their order.
std::vector<Player> players_of(const std::vector<Block>& blocks);

// A drawn minibatch of an arbitrary sampling (estimators/sampling.hpp): the pairs (i_k, w_k) with
// F_ξ(x) = Σ_k w_k F_{i_k}(x). The vectors' capacity is fixed when the estimator is reset (a
// sampling may draw fewer pairs than its batch size, e.g. an epoch's last batch): drawing and
// evaluating never allocate.
struct SampleDraw {
  std::vector<Index> indices;
  std::vector<double> weights;
};

class Problem {
 public:
  virtual ~Problem() = default;

  virtual std::string name() const = 0;
  virtual Index dim() const = 0;
  virtual Index num_samples() const = 0;

  // out = F_i(x).
  virtual void sample(Index i, ConstVectorRef x, VectorRef out) const = 0;
  // out = Σ_k w_k F_{i_k}(x) over a drawn minibatch (at least one pair). The default calls
  // sample() per pair, using `workspace` (size dim()) for the terms after the first; problems
  // that evaluate a batch at once (networks: one forward and reverse pass of Eigen matrix
  // products) override it and may ignore the workspace. The estimators' only batch entry point.
  virtual void sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                          VectorRef workspace) const;
  // out = F_i(x) − F_i(w): what the variance-reduced estimators (L-SVRGDA, VR-DIANA) add to a
  // snapshot's F(w). The default evaluates F_i twice, F_i(w) into `workspace` (size dim());
  // affine games need one product, M_i(x − w). Estimators count it as two sample evaluations
  // whatever the problem does: the methods' theory counts oracle calls, not products.
  virtual void sample_difference(Index i, ConstVectorRef x, ConstVectorRef w, VectorRef out,
                                 VectorRef workspace) const;
  // out = F(x) = (1/n) Σ_i F_i(x).
  virtual void full(ConstVectorRef x, VectorRef out) const;
  // [F(x)]_j. The default evaluates F in full; `coordinates_are_cheap()` tells estimators
  // whether to count a coordinate as one coordinate evaluation or as a full evaluation.
  virtual double coordinate(Index j, ConstVectorRef x) const;
  virtual bool coordinates_are_cheap() const { return false; }

  // The blocks of x (a player each, or a player's layers: "generator.layer0.weight", ...);
  // by default one minimizing block "x" covering everything.
  virtual std::vector<Block> blocks() const { return {Block{"x", 0, dim(), false}}; }
  // The players: blocks() grouped by the name before the first '.' (see Player, types.hpp).
  std::vector<Player> players() const { return players_of(blocks()); }

  // The solution x* of the regularized problem when known.
  virtual std::optional<Vector> solution() const { return std::nullopt; }
  // Where a run starts by default: zero, or e.g. a network's He/Xavier initialization (x = 0
  // is a stationary point of neural players).
  virtual Vector initial_point() const { return Vector::Zero(dim()); }
  // Problem-specific measures of an iterate (modes covered, error of the learned mean, ...) as
  // (name, value) pairs, always the same names in the same order. The solver logs them as extra
  // trace columns beside the distance and residual; like those, they are never counted as
  // oracle calls. Empty by default.
  virtual std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const {
    (void)x;
    return {};
  }
  virtual ProblemConstants constants() const { return {}; }

  // State that evaluations change besides x (batch normalization's running statistics, which
  // each training minibatch moves): the solver resets it when a run starts afresh, saves it in
  // checkpoints beside the estimator's and step rule's, and restores it on resume, so a resumed
  // run continues bit for bit. None by default. Const, as the evaluations that change it: it is
  // the problem's mutable part, as its workspaces. load_state throws InputError naming a missing
  // key (a checkpoint of another problem).
  virtual void save_state(StateArchive& out) const { (void)out; }
  virtual void load_state(const StateArchive& in) const { (void)in; }
  virtual void reset_state() const {}

  // sup_x Σ_g w_g ||F_g(x) − F_g(x*)||² / Φ(x), with F_g the mean of the F_i of group g and
  // non-negative weights w. Singleton groups give the expected star-cocoercivity of a sampling
  // (w_i = 1/n: ℓ̂; importance sampling: w_i = 1/(n² p_i)); worker groups with w = 1/W give the
  // worker-level ℓ̂_W. NaN when the problem cannot compute it.
  virtual double grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                           const Vector& weights) const;
  // The same with singleton groups {0}, {1}, ..., {n−1}.
  double weighted_star_cocoercivity(const Vector& weights) const;

  // The finite sum over a subset of the samples (a worker's local problem), same regularizer.
  // The default wraps this problem; affine games return an affine game with its own mean.
  virtual std::unique_ptr<Problem> subproblem(const std::vector<Index>& samples) const;

  // Which samples each worker owns, when the problem says (a game file may); empty otherwise.
  virtual std::vector<std::vector<Index>> worker_partition() const { return {}; }

  const Regularizer& regularizer() const { return *regularizer_; }
  std::shared_ptr<const Regularizer> shared_regularizer() const { return regularizer_; }

 protected:
  Problem();
  explicit Problem(std::shared_ptr<const Regularizer> regularizer);
  void set_regularizer(std::shared_ptr<const Regularizer> regularizer);

 private:
  std::shared_ptr<const Regularizer> regularizer_;
  mutable Vector coordinate_workspace_;
};

// F_i(x) and F(x) through the most specific entry point P has: P::sample_into / P::full_into
// when P offers them (templates that keep the caller's vector types: fused loops), else the
// virtual sample / full. Estimators call these with P = Problem or a concrete final type.
template <class P, class X, class Out>
void sample_of(const P& problem, Index i, const X& x, Out& out) {
  if constexpr (requires { problem.sample_into(i, x, out); })
    problem.sample_into(i, x, out);
  else
    problem.sample(i, x, out);
}
// F_i(x) − F_i(w) likewise: P::sample_difference_into when P offers it, else two sample_of
// calls (F_i(w) into `workspace`) when P is a concrete type with sample_into, else the virtual.
template <class P, class X, class W, class Out, class Work>
void sample_difference_of(const P& problem, Index i, const X& x, const W& w, Out& out,
                          Work& workspace) {
  if constexpr (requires { problem.sample_difference_into(i, x, w, out, workspace); }) {
    problem.sample_difference_into(i, x, w, out, workspace);
  } else if constexpr (requires { problem.sample_into(i, x, out); }) {
    problem.sample_into(i, x, out);
    problem.sample_into(i, w, workspace);
    out -= workspace;
  } else {
    problem.sample_difference(i, x, w, out, workspace);
  }
}
template <class P, class X, class Out>
void full_of(const P& problem, const X& x, Out& out) {
  if constexpr (requires { problem.full_into(x, out); })
    problem.full_into(x, out);
  else
    problem.full(x, out);
}

// True when `blocks` (in order, not overlapping) tile [0, dim) without gaps.
bool covers(const std::vector<Block>& blocks, Index dim);

// Applies prox_{γR} to every block of x (R acts on each block separately); one call over the
// whole of x when R is separable and the blocks cover it.
void prox_blocks(const Problem& problem, const std::vector<Block>& blocks, double gamma,
                 VectorRef x);

// Natural residual ||x − prox_R(x − F(x))||², which is 0 exactly at solutions.
// `workspace` must have size dim(); nothing is allocated or counted.
double natural_residual_sq(const Problem& problem, ConstVectorRef x, VectorRef workspace);

}  // namespace sgda
