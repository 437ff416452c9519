// QSGDA and DIANA-SGDA with exact local operators and rand-k: a worker of an affine game
// evaluates only the k coordinates of F_m(x) it sends (rows of a row-major M̄_m), not all of
// M̄_m x. The draws, the payloads' sizes and the counted oracle calls must stay those of the full
// product; the iterates may differ from it by rounding only (a row's dot product sums its terms
// in another order than the column-major product).
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>

#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"

using namespace sgda;

namespace {

// An affine game whose coordinates are not cheap (Problem's default), nor are its workers':
// their F_m(x) are the game's own full products, so the distributed estimators take the path
// that computes all of F_m(x) and compresses it, the arithmetic before sparse rows.
class FullProducts final : public Problem {
 public:
  explicit FullProducts(std::shared_ptr<const Problem> game)
      : Problem(game->shared_regularizer()), game_(std::move(game)) {}
  std::string name() const override { return game_->name(); }
  Index dim() const override { return game_->dim(); }
  Index num_samples() const override { return game_->num_samples(); }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override { game_->sample(i, x, out); }
  void full(ConstVectorRef x, VectorRef out) const override { game_->full(x, out); }
  std::vector<Block> blocks() const override { return game_->blocks(); }
  std::optional<Vector> solution() const override { return game_->solution(); }
  std::unique_ptr<Problem> subproblem(const std::vector<Index>& samples) const override {
    return std::make_unique<FullProducts>(
        std::shared_ptr<const Problem>(game_->subproblem(samples)));
  }

 private:
  std::shared_ptr<const Problem> game_;
};

Summary run(const Problem& problem, const EstimatorOptions& e, const SolverOptions& o) {
  const std::unique_ptr<Estimator> estimator = make_estimator(e, problem);
  ProxStep step;
  return solve(problem, *estimator, step, o, Vector::Ones(problem.dim()));
}

}  // namespace

TEST_CASE("rand-k workers computing only the rows they send give the full products' run",
          "[estimators][distributed][sparse-rows]") {
  int differing = 0;  // runs whose iterates differ in some bit: the comparison is real
  // D = 6 and 26 are multiples of neither 4 nor 8 doubles (the vector widths), 40 of both.
  for (const Index d : {3, 13, 20}) {
    QuadraticGameOptions g;
    g.samples = 24;
    g.dimension = d;
    g.seed = 19 + static_cast<std::uint64_t>(d);
    RegularizerOptions r;
    r.type = d == 13 ? RegularizerType::kL1 : RegularizerType::kNone;
    r.lambda = 0.05;
    const auto game =
        std::make_shared<const AffineGame>(generate_quadratic_game(g, make_regularizer(r)));
    const FullProducts full_products(game);
    const Index dim = game->dim();
    for (const std::string method : {"qsgda", "diana-sgda"}) {
      for (const Index workers : {1, 3, 4}) {
        for (const Index k : {Index{1}, dim / 3, dim}) {
          INFO(method << ", D = " << dim << ", W = " << workers << ", k = " << k);
          EstimatorOptions e;
          e.method = parse_enum<Method>(method);
          e.workers = workers;
          e.local = LocalOracle::kExact;
          e.compressor.type = CompressorType::kRandK;
          e.compressor.k = k;
          SolverOptions o;
          o.max_iterations = 1;
          o.step_size.rule = StepSizeRule::kTheory;
          // The game's theory step, as a constant: FullProducts knows no constants.
          o.step_size.gamma = run(*game, e, o).initial_step_size;
          o.step_size.rule = StepSizeRule::kConstant;
          o.max_iterations = 400;
          o.log_every = 100;
          o.seed = 23;
          const Summary rows = run(*game, e, o), reference = run(full_products, e, o);
          CHECK(rows.reason == TerminationReason::kIterationLimit);
          // Same draws, same messages: the counted oracle calls (one exact local operator per
          // worker and iteration, m_loc sample evaluations, however few rows it needs) and the
          // bits sent are the full products' exactly.
          CHECK(rows.counters.iterations == reference.counters.iterations);
          CHECK(rows.counters.sample_evaluations == reference.counters.sample_evaluations);
          CHECK(rows.counters.sample_evaluations == rows.counters.iterations * game->num_samples());
          CHECK(rows.counters.coordinate_evaluations == reference.counters.coordinate_evaluations);
          CHECK(rows.counters.bits == reference.counters.bits);
          // Rounding: each coordinate sent differs by a few ulps of |M̄_m||x| per iteration, and
          // the iteration contracts; 1e-12 is ~5000 ulps of the iterates' scale.
          const double scale = 1.0 + reference.x.norm();
          CHECK((rows.x - reference.x).norm() <= 1e-12 * scale);
          if (std::memcmp(rows.x.data(), reference.x.data(), sizeof(double) * dim) != 0)
            ++differing;
        }
      }
    }
  }
  CHECK(differing > 0);
}
