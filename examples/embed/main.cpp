// sgda embedded in another program: generate a strongly monotone quadratic game and solve it with
// L-SVRGDA at its theory step size. Exit code 0 only if the run converged.
#include <iostream>
#include <sgda/sgda.hpp>

int main() {
  sgda::QuadraticGameOptions game_options;  // n = 100 samples, d = 10 per player, μ = 1, ℓ = 10
  game_options.seed = 1;
  const sgda::AffineGame game = sgda::generate_quadratic_game(game_options);

  sgda::EstimatorOptions method;  // L-SVRGDA with snapshot probability p = 1/n
  method.method = sgda::Method::kLSvrgda;
  const auto estimator = sgda::make_estimator(method, game);

  sgda::ProxStep step;          // x ← prox_{γR}(x − γ g), here R = 0
  sgda::SolverOptions options;  // the step size defaults to the estimator's theory step size
  options.max_iterations = 200000;
  options.tolerance = 1e-10;  // stop at ||x − x*||² / ||x⁰ − x*||² ≤ 1e-10
  const sgda::Summary summary =
      sgda::solve(game, *estimator, step, options, sgda::Vector::Zero(game.dim()));
  std::cout << summary.BriefReport() << "\n";
  return summary.converged() ? 0 : 1;
}
