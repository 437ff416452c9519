// The solver's fused path: for the commonest configurations (an affine game, or a game split over
// MPI ranks for the distributed methods; SGDA, L-SVRGDA, coordinate SGDA, SEGA-SGDA or a
// distributed method; the prox step; simultaneous updates) the solver's loop is instantiated
// with the concrete types, so that the estimator's and the step's code inline into it (a
// distributed method's workers also see their local problems and the identity and rand-k
// compressors as concrete types).
// Through the interfaces an iteration makes about six indirect calls around Ref-typed Eigen loops,
// which at D = 20 costs as much as a third of the arithmetic. The draws and the arithmetic are the
// estimator's and the step's own code, so the fused and generic loops agree bit for bit
// (tests/test_fused_path).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../estimators/distributed_step.hpp"
#include "sgda/estimators/coordinate_sgda.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/sega_sgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/sharded_game.hpp"
#include "sgda/step.hpp"

namespace sgda {

// ‖g‖∞ ≤ slope·X + offset for the estimates at any x with ‖x‖∞ ≤ X, from what the problem and
// the estimator know without reading x, rounding included (AffineGame::sample_bound). kKnown
// false where there is none: the move then tests g. stale(): the bound has changed since it
// was last given (read it again before the next move).
template <class P, class E>
struct EstimateBound {
  static constexpr bool kKnown = false;
  AffineGame::LinearBound operator()(const P&, const E&, const Counters&) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    return {kInf, kInf};  // none known: renew() then gives up on the bounds
  }
  bool stale(const Counters&) const { return false; }
};

// Uniform SGDA on an affine game: g = F_i(x) = q_i + M_i x.
template <>
struct EstimateBound<AffineGame, SgdaEstimator> {
  static constexpr bool kKnown = true;
  AffineGame::LinearBound operator()(const AffineGame& game, const SgdaEstimator& estimator,
                                     const Counters&) const {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    return estimator.uniform() ? game.sample_bound() : AffineGame::LinearBound{kInf, kInf};
  }
  bool stale(const Counters&) const { return false; }
};

// L-SVRGDA on an affine game: g = M_j(x − w) + F(w), so ‖g‖∞ ≤ slope·(X + ‖w‖∞) + ‖F(w)‖∞
// (rounded up); it changes with the snapshot, and a new snapshot is a full evaluation.
template <>
struct EstimateBound<AffineGame, LSvrgdaEstimator> {
  static constexpr bool kKnown = true;
  std::int64_t snapshot_at = -1;  // counters.full_evaluations when last given
  AffineGame::LinearBound operator()(const AffineGame& game, const LSvrgdaEstimator& estimator,
                                     const Counters& counters) {
    snapshot_at = counters.full_evaluations;
    const double slope = game.sample_bound().slope;
    const double offset = slope * estimator.snapshot().lpNorm<Eigen::Infinity>() +
                          estimator.snapshot_full().lpNorm<Eigen::Infinity>();
    return {slope, offset * (1.0 + 1e-12)};
  }
  bool stale(const Counters& counters) const { return counters.full_evaluations != snapshot_at; }
};

// How many moves x ← prox(x − γ_k g_k) from an x with ‖x‖∞ ≤ X are certainly finite while
// every γ_k ≤ Γ, given ‖g_k‖∞ ≤ sX_k + t and a prox with Regularizer::prox_limit() c. A move
// gives X_{k+1} ≤ aX_k + b with a = (1 + Γs)(1 + 1e-12), b = Γt(1 + 1e-12) + c, so for k ≤ K,
// X_k and ‖g_k‖∞ are at most a^K·(X + Kb)·max(1, s) + t; while that is ≤ 1e300 every entry is
// finite (overflow starts at 1.8e308: the factor 1e8 between them covers the bounds' rounding).
// At most 2^20, after which X is read again; 0 when the bound is infinite or NaN.
inline std::int64_t moves_shown_finite(double x_bound, double gamma, AffineGame::LinearBound g,
                                       double prox_limit) {
  constexpr std::int64_t kMost = std::int64_t{1} << 20;
  const double a = (1.0 + gamma * g.slope) * (1.0 + 1e-12);
  const double b = gamma * g.offset * (1.0 + 1e-12) + prox_limit;
  const double reach = (x_bound + double(kMost) * b) * std::max(1.0, g.slope) + g.offset;
  if (!(reach <= 1e300)) return 0;
  const double moves = std::log(1e300 / reach) / std::log(a);  // +∞ when a = 1
  if (!(moves >= 1.0)) return 0;
  return moves >= double(kMost) ? kMost : static_cast<std::int64_t>(moves);
}

// One simultaneous move, g = estimate(x) then x ← prox(x − γg), with P and E known. While the
// bounds show the moves finite (moves_shown_finite), in place and untested, as a hand-written
// loop's move; else into next and tested (ProxStep::checked_whole_step). Both give the bits of
// the generic loop. Hidden: internal to the library, so that the loop calls it directly (not
// through the PLT).
template <class P, class E>
struct [[gnu::visibility("hidden")]] FusedMove {
  const P& problem;
  E& estimator;
  ProxStep& step;
  double prox_limit = step.prox_limit();
  EstimateBound<P, E> estimate_bound{};
  bool bounded = EstimateBound<P, E>::kKnown;  // false once a bound was found infinite
  std::int64_t finite_moves = 0;               // moves left that the bounds show finite
  double finite_gamma = 0.0;                   // Γ, the largest γ they hold for

  // flatten: the estimator's and the step's code inline, whatever the inliner's size limits.
  [[gnu::flatten]] StepOutcome operator()(double gamma, Vector& x, Vector& g, Vector& next,
                                          Rng& rng, Counters& counters) {
    if (shown_finite(gamma, x, counters)) {
      --finite_moves;
      move_in_place(gamma, x, g, rng, counters);
      return StepOutcome::kFiniteInPlace;
    }
    estimator.estimate_with(problem, x, g, rng, counters);
    return step.checked_whole_step(gamma, g, x, next);
  }

  // Up to `moves` moves back to back at step γ, those the bounds show finite; returns how many
  // it made (0: the next move is operator()'s). Stops after a move that changed the bounds.
  [[gnu::flatten]] std::int64_t stretch(std::int64_t moves, double gamma, Vector& x, Vector& g,
                                        Rng& rng, Counters& counters) {
    if (moves <= 0 || !shown_finite(gamma, x, counters)) return 0;
    const std::int64_t shown = std::min(moves, finite_moves);
    std::int64_t made = 0;
    while (made < shown) {
      move_in_place(gamma, x, g, rng, counters);
      ++made;
      if (estimate_bound.stale(counters)) break;
    }
    finite_moves -= made;
    return made;
  }

 private:
  // Whether the next move at γ is shown finite, the bounds read anew (a pass over x) when they
  // are spent, were for a smaller γ or have changed.
  bool shown_finite(double gamma, const Vector& x, const Counters& counters) {
    if (!bounded) return false;
    if (finite_moves <= 0 || gamma > finite_gamma || estimate_bound.stale(counters))
      renew(gamma, x, counters);
    return finite_moves > 0;
  }
  void move_in_place(double gamma, Vector& x, Vector& g, Rng& rng, Counters& counters) {
    estimator.estimate_with(problem, x, g, rng, counters);
    step.step_in_place(gamma, g, x);
  }
  [[gnu::noinline]] void renew(double gamma, const Vector& x, const Counters& counters) {
    const AffineGame::LinearBound g = estimate_bound(problem, estimator, counters);
    bounded = std::isfinite(g.slope) && std::isfinite(g.offset) && std::isfinite(prox_limit);
    finite_gamma = gamma;
    finite_moves = moves_shown_finite(x.lpNorm<Eigen::Infinity>(), gamma, g, prox_limit);
  }
};

// From this dimension on, a coordinate move without a regularizer updates x in place: the
// vectors a move streams (x and next alternating, h for SEGA, and a row of M̄) no longer fit in
// L1 together, and two of them cost less than three (at D = 2000, 1.0-1.06x the hand loop in
// place, 1.1-1.4x through next). Below it the move through next is the faster one (at D = 20,
// 1.02-1.08x against 1.2x in place): a store into x followed at once by the next coordinate
// evaluation's loads of x stalls them.
inline constexpr Index kInPlaceDim = 1024;

// Coordinate SGDA: g = v e_j, so without a regularizer the move changes coordinate j alone:
// O(1) beside the coordinate evaluation, in x itself from kInPlaceDim on. Below, next is kept
// equal to x except at the coordinate of the last move (after the solver's swap, and after a
// refused step). With a regularizer, next = prox(x − γg) as in the generic loop.
template <class P>
struct [[gnu::visibility("hidden")]] FusedMove<P, CoordinateSgdaEstimator> {
  const P& problem;
  CoordinateSgdaEstimator& estimator;
  ProxStep& step;
  Index stale = -1;  // where next may differ from x; −1: anywhere (the first move)

  [[gnu::flatten]] StepOutcome operator()(double gamma, Vector& x, Vector& g, Vector& next,
                                          Rng& rng, Counters& counters) {
    (void)g;
    const auto [j, value] = estimator.draw_with(problem, x, rng, counters);
    if (x.size() >= kInPlaceDim && !step.regularized()) {
      const double x_j = x[j] - gamma * value;  // x is finite: the step is iff x_j is
      if (!std::isfinite(x_j)) return non_finite(value);
      x[j] = x_j;
      stale = -1;  // next was not kept equal to x
      return StepOutcome::kFiniteInPlace;
    }
    if (stale < 0 || step.regularized())
      next = x;
    else
      next[stale] = x[stale];
    stale = j;
    next[j] = x[j] - gamma * value;
    if (!std::isfinite(next[j])) return non_finite(value);
    step.prox(gamma, next);
    return StepOutcome::kFinite;
  }
  static StepOutcome non_finite(double value) {
    return std::isfinite(value) ? StepOutcome::kNonFiniteIterate : StepOutcome::kNonFiniteEstimate;
  }
};

// SEGA-SGDA: g = h + d(f_j − h_j) e_j, so next = x − γh in one pass, then coordinate j; g itself
// is written only to tell a non-finite estimate from a non-finite iterate.
//
// Without a regularizer the pass needs no finiteness test: bounds X ≥ ‖x‖∞ and H ≥ ‖h‖∞ make
// every |x_i − γh_i| ≤ (X + γH)(1 + 2ε) finite while X + γH ≤ 1e300, and only x_j is tested.
// X grows by γH per move, so the bounds are recomputed (a pass each) only after a move that could
// not use them. From kInPlaceDim on the pass runs in place in x, as a hand-written loop's does;
// the solver keeps x when a step is not finite, so there x_j is tested before x is touched.
template <class P>
struct [[gnu::visibility("hidden")]] FusedMove<P, SegaSgdaEstimator> {
  const P& problem;
  SegaSgdaEstimator& estimator;
  ProxStep& step;
  double x_bound = -1.0;  // X; negative: to be computed
  double h_bound = 0.0;   // H

  [[gnu::flatten]] StepOutcome operator()(double gamma, Vector& x, Vector& g, Vector& next,
                                          Rng& rng, Counters& counters) {
    const auto [j, f_j] = estimator.coordinate_with(problem, x, rng, counters);
    const Vector& h = estimator.shift();
    if (!step.regularized() && bounded(gamma, x)) {
      if (x.size() >= kInPlaceDim) {
        const double x_j = x[j] - gamma * estimator.coordinate_estimate(j, f_j);
        if (std::isfinite(x_j)) {
          x.noalias() -= gamma * h;
          x[j] = x_j;
          advance(gamma, x_j, f_j);
          estimator.take(j, f_j);
          return StepOutcome::kFiniteInPlace;
        }
      } else {
        next.noalias() = x - gamma * h;  // finite, by the bounds
        const double g_j = estimator.take(j, f_j);
        next[j] = x[j] - gamma * g_j;
        if (std::isfinite(next[j])) {
          advance(gamma, next[j], f_j);
          return StepOutcome::kFinite;
        }
        x_bound = -1.0;
        return classify(j, g_j, g, next);
      }
    }
    x_bound = -1.0;  // x and h move below without the bounds
    const bool finite = detail::subtract_scaled_checked(x, gamma, h, next);
    const double g_j = estimator.take(j, f_j);
    next[j] = x[j] - gamma * g_j;
    if (!(finite && std::isfinite(next[j]))) {  // rare
      const StepOutcome outcome = classify(j, g_j, g, next);
      if (outcome != StepOutcome::kFinite) return outcome;
    }
    step.prox(gamma, next);
    return StepOutcome::kFinite;
  }

  // True when X + γH ≤ 1e300 (after computing X and H if they are not known).
  bool bounded(double gamma, const Vector& x) {
    if (x_bound < 0.0) {
      x_bound = x.lpNorm<Eigen::Infinity>();
      h_bound = estimator.shift().lpNorm<Eigen::Infinity>();
    }
    return x_bound + gamma * h_bound <= 1e300;  // false when either is NaN
  }
  // The bounds after a move to x_j at coordinate j, where h_j became f_j.
  void advance(double gamma, double x_j, double f_j) {
    x_bound = std::max((x_bound + gamma * h_bound) * (1.0 + 1e-12), std::abs(x_j));
    h_bound = std::max(h_bound, std::abs(f_j));
  }
  // The outcome the generic loop reports for g = h^k + (g_j − h_j) e_j and this next.
  StepOutcome classify(Index j, double g_j, Vector& g, const Vector& next) {
    g = estimator.shift();
    g[j] = g_j;
    return step_outcome(g, next);
  }
};

// body(FusedMove<AffineGame, E>{...}) when the estimator is an E; false (nothing called) if not.
template <class E, class Body>
bool fused_as(const AffineGame& game, Estimator& estimator, ProxStep& prox, Body& body) {
  auto* typed = dynamic_cast<E*>(&estimator);
  if (!typed) return false;
  if constexpr (std::is_same_v<E, DistributedEstimator>)  // the workers' problems are subsets
    if (!typed->template local_problems_are<AffineGame>()) return false;
  body(FusedMove<AffineGame, E>{game, *typed, prox});
  return true;
}

// Calls body(FusedMove<P, E>{...}) and returns true when the problem, estimator and step rule
// are types it knows; returns false (and calls nothing) otherwise. The estimator classes are
// final, and DistributedEstimator's estimate() is: a cast that succeeds found the exact code.
template <class Body>
bool with_fused_move(const Problem& problem, Estimator& estimator, StepRule& step, Body&& body) {
  auto* prox = dynamic_cast<ProxStep*>(&step);
  if (!prox || !prox->covers_all()) return false;
  // A game split over MPI ranks: its workers' local problems are affine games (of its held
  // samples), so a distributed method runs as on the whole AffineGame in one process, the
  // same code and bits (docs/mpi.md).
  if (auto* sharded = dynamic_cast<const ShardedGame*>(&problem))
    return fused_as<DistributedEstimator>(sharded->held(), estimator, *prox, body);
  auto* game = dynamic_cast<const AffineGame*>(&problem);
  if (!game) return false;
  return fused_as<SgdaEstimator>(*game, estimator, *prox, body) ||
         fused_as<LSvrgdaEstimator>(*game, estimator, *prox, body) ||
         fused_as<CoordinateSgdaEstimator>(*game, estimator, *prox, body) ||
         fused_as<SegaSgdaEstimator>(*game, estimator, *prox, body) ||
         fused_as<DistributedEstimator>(*game, estimator, *prox, body);
}

}  // namespace sgda
