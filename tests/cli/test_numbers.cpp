// The numbers `sgda generate` and `sgda theory` print, read back from their output and checked
// against values this test computes itself from the game file (load_affine_game) with its own
// eigensolvers and the formulas of docs/theory.md — not against the library's ProblemConstants
// or TheoryParameters, which are what is being checked.
//
// Tolerances: a number printed with %.Ng (N significant digits) is within half a unit of its N-th
// digit of the value it prints; on top of that, two computations of the same eigenvalue in
// double precision (the library's, through S^{-1/2}, and this test's generalized eigensolver)
// agree to about 1e-13 relative on these well-conditioned games (κ(S) = ℓ/μ ≤ 40), and the
// generator's bisection for ℓ stops at a relative width of 1e-14 in its parameter: 1e-9 relative
// covers both with a wide margin and is still 5000 times below the print precision.
#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/problems/affine_game.hpp"

using namespace sgda;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

namespace {

constexpr double kNumeric = 1e-9;  // relative: independent eigensolvers and the bisection

// The number after `label` at the start of a line ("  mu       0.5"); NaN when absent.
double printed(const std::string& text, const std::string& label) {
  const std::string key = "\n" + label + " ";
  const auto at = ("\n" + text).find(key);
  if (at == std::string::npos) return NAN;
  const char* begin = text.c_str() + at + label.size();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  return end == begin ? NAN : v;
}

// The line that starts with `label`, for messages and "n/a" checks.
std::string line_of(const std::string& text, const std::string& label) {
  const auto at = ("\n" + text).find("\n" + label + " ");
  if (at == std::string::npos) return "";
  return text.substr(at, text.find('\n', at) - at);
}

// Half a unit of the last digit of `value` written with %.<digits>g.
double half_unit(double value, int digits) {
  if (value == 0.0) return 0.0;
  return 0.5 * std::pow(10.0, std::floor(std::log10(std::abs(value))) - (digits - 1));
}

// |shown − exact| within the print precision of %.<digits>g plus kNumeric relative.
void check_printed(const std::string& text, const std::string& label, double exact,
                   int digits = 6) {
  const double shown = printed(text, label);
  INFO(label << ": printed " << shown << " (line \"" << line_of(text, label) << "\"), computed "
             << exact);
  REQUIRE(std::isfinite(shown));
  CHECK(std::abs(shown - exact) <= half_unit(shown, digits) + kNumeric * std::abs(exact));
}

// The game's constants, computed here from its matrices (docs/theory.md, "Constants of affine
// games"): μ = λ_min(S), ℓ and ℓ̂ the largest generalized eigenvalues of (M̄ᵀM̄, S) and
// ((1/n)Σ M_iᵀM_i, S), L_i = ||M_i||₂; x* solves M̄x + q̄ = 0 (no regularizer).
struct Independent {
  double mu, ell, ell_hat, l_min, l_max;
  Vector x_star;
  double sigma_star_sq;  // (1/n) Σ ||F_i(x*) − F*||², F* = 0
  double sigma_zero_sq;  // (1/n) Σ ||F_i(0) − F_i(x*)||² = (1/n) Σ ||M_i x*||²
};

double largest_generalized(const Matrix& a, const Matrix& s) {
  Eigen::GeneralizedSelfAdjointEigenSolver<Matrix> solver(a, s, Eigen::EigenvaluesOnly);
  REQUIRE(solver.info() == Eigen::Success);
  return solver.eigenvalues().maxCoeff();
}

Independent independent_constants(const AffineGame& game) {
  const Index n = game.num_samples(), d = game.dim();
  Matrix mean = Matrix::Zero(d, d), second = Matrix::Zero(d, d);
  Vector mean_offset = Vector::Zero(d);
  Independent c{};
  c.l_min = INFINITY;
  c.l_max = 0.0;
  for (Index i = 0; i < n; ++i) {
    const Matrix& m = game.sample_matrix(i);
    mean += m / double(n);
    second += m.transpose() * m / double(n);
    mean_offset += game.offsets().col(i) / double(n);
    Eigen::SelfAdjointEigenSolver<Matrix> norm(m.transpose() * m, Eigen::EigenvaluesOnly);
    const double l = std::sqrt(norm.eigenvalues().maxCoeff());
    c.l_min = std::min(c.l_min, l);
    c.l_max = std::max(c.l_max, l);
  }
  const Matrix s = 0.5 * (mean + mean.transpose());
  Eigen::SelfAdjointEigenSolver<Matrix> sym(s, Eigen::EigenvaluesOnly);
  c.mu = sym.eigenvalues().minCoeff();
  c.ell = largest_generalized(mean.transpose() * mean, s);
  c.ell_hat = largest_generalized(second, s);
  c.x_star = mean.fullPivLu().solve(-mean_offset);
  c.sigma_star_sq = 0.0;
  c.sigma_zero_sq = 0.0;
  for (Index i = 0; i < n; ++i) {
    const Matrix& m = game.sample_matrix(i);
    c.sigma_star_sq += (m * c.x_star + game.offsets().col(i)).squaredNorm() / double(n);
    c.sigma_zero_sq += (m * c.x_star).squaredNorm() / double(n);
  }
  return c;
}

const char* kGenerate =
    "generate quadratic --samples 30 --dimension 4 --mu 0.5 --ell 20 --seed 3 -o game.h5";

}  // namespace

TEST_CASE("sgda generate prints the mu and ell it was asked for, and the game has them",
          "[cli][theory]") {
  TempDir dir("numbers");
  const Result r = run(kGenerate, dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  // What was asked for, within the print precision (and the generator's own precision).
  check_printed(r.out, "  mu", 0.5);
  check_printed(r.out, "  ell", 20.0);

  // The written game has these constants, computed here from its matrices; and its printed
  // ell_hat and L_i are those of its matrices too.
  const AffineGame game = load_affine_game(dir.file("game.h5"));
  REQUIRE(game.num_samples() == 30);
  REQUIRE(game.dim() == 8);
  const Independent c = independent_constants(game);
  CHECK(std::abs(c.mu - 0.5) <= kNumeric * 0.5);
  CHECK(std::abs(c.ell - 20.0) <= kNumeric * 20.0);
  check_printed(r.out, "  ell_hat", c.ell_hat);
  // "  L_i      [min, max] (min, max)"
  const std::string li = line_of(r.out, "  L_i");
  INFO(li);
  const auto open = li.find('['), comma = li.find(',', open);
  REQUIRE(open != std::string::npos);
  REQUIRE(comma != std::string::npos);
  const double l_min = std::strtod(li.c_str() + open + 1, nullptr),
               l_max = std::strtod(li.c_str() + comma + 1, nullptr);
  CHECK(std::abs(l_min - c.l_min) <= half_unit(l_min, 6) + kNumeric * c.l_min);
  CHECK(std::abs(l_max - c.l_max) <= half_unit(l_max, 6) + kNumeric * c.l_max);
  CHECK(c.ell <= c.ell_hat);  // Jensen: ℓ ≤ ℓ̂
}

TEST_CASE("sgda theory prints the constants, step size and rate of docs/theory.md",
          "[cli][theory]") {
  TempDir dir("numbers");
  REQUIRE(run(kGenerate, dir).status == 0);
  const AffineGame game = load_affine_game(dir.file("game.h5"));
  const Independent c = independent_constants(game);
  const double n = double(game.num_samples());
  const std::string problem = "[problem]\ntype = \"file\"\nfile = \"game.h5\"\n";

  SECTION("SGDA, uniform sampling: A = ell_hat, B = C = 0, rho = 1, D1 = 2 sigma*^2") {
    dir.write("sgda.toml", problem + "[method]\nname = \"sgda\"\n");
    const Result r = run("theory sgda.toml", dir);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    check_printed(r.out, "  mu", c.mu);
    check_printed(r.out, "  ell", c.ell);
    check_printed(r.out, "  ell_hat", c.ell_hat);
    check_printed(r.out, "  ||x*||", c.x_star.norm());
    const double a = c.ell_hat, d1 = 2.0 * c.sigma_star_sq;
    check_printed(r.out, "  A", a);
    CHECK(printed(r.out, "  B") == 0.0);
    CHECK(printed(r.out, "  C") == 0.0);
    check_printed(r.out, "  D1", d1);
    CHECK(printed(r.out, "  D2") == 0.0);
    CHECK(printed(r.out, "  rho") == 1.0);
    // B = 0: M → 0⁺, γ = min{1/μ, 1/(2A)}, contraction 1 − min{γμ, ρ}, neighbourhood
    // γ²D1/min{γμ, ρ} (Theorem 2.2).
    const double gamma = std::min(1.0 / c.mu, 1.0 / (2.0 * a));
    const double rate = std::min(gamma * c.mu, 1.0);
    check_printed(r.out, "  step size", gamma);
    check_printed(r.out, "  contraction", 1.0 - rate, 10);
    check_printed(r.out, "  neighbourhood", gamma * gamma * d1 / rate);
    CHECK(line_of(r.out, "  iterations to rel. dist^2 1e-10").find("n/a (D1 + M D2 > 0") !=
          std::string::npos);
  }

  SECTION("L-SVRGDA, p = 1/n: A = ell_hat, B = 2, C = p ell_hat / 2, rho = p, D1 = D2 = 0") {
    dir.write("svrg.toml", problem + "[method]\nname = \"l-svrgda\"\n");
    const Result r = run("theory svrg.toml", dir);
    INFO(r.out << r.err);
    REQUIRE(r.status == 0);
    const double p = 1.0 / n, a = c.ell_hat, b = 2.0, cc = p * c.ell_hat / 2.0;
    check_printed(r.out, "  A", a);
    CHECK(printed(r.out, "  B") == b);
    check_printed(r.out, "  C", cc);
    CHECK(printed(r.out, "  D1") == 0.0);
    CHECK(printed(r.out, "  D2") == 0.0);
    check_printed(r.out, "  rho", p);
    // M = 2B/ρ; γ = min{1/μ, 1/(2(A + CM))} = 1/(6ℓ̂) here; contraction 1 − min{γμ, ρ − B/M}.
    const double m = 2.0 * b / p;
    const double gamma = std::min(1.0 / c.mu, 1.0 / (2.0 * (a + cc * m)));
    CHECK(gamma == Approx(1.0 / (6.0 * c.ell_hat)).epsilon(1e-14));
    const double q = 1.0 - std::min(gamma * c.mu, p - b / m);
    check_printed(r.out, "  step size", gamma);
    check_printed(r.out, "  contraction", q, 10);
    check_printed(r.out, "  neighbourhood", 0.0);
    // From x0 = 0 with w0 = x0: V0 = ||x*||² + Mγ²σ0², σ0² = (1/n)Σ||F_i(0) − F_i(x*)||²; the
    // bound q^k V0 reaches 1e-10 ||x*||² at k = ⌈ln(1e-10 ||x*||²/V0) / ln q⌉.
    const double d0 = c.x_star.squaredNorm();
    const double v0 = d0 + m * gamma * gamma * c.sigma_zero_sq;
    const double k = std::log(1e-10 * d0 / v0) / std::log(q);
    const std::string label = "  iterations to rel. dist^2 1e-10";
    const double shown = printed(r.out, label);
    INFO(line_of(r.out, label) << "; computed k = " << k);
    // The ceiling of k, unless k is so close to an integer that last-bit differences in q could
    // move it across (then either neighbour).
    CHECK(shown >= std::ceil(k - 1e-6));
    CHECK(shown <= std::ceil(k + 1e-6));
    const auto ratio_at = line_of(r.out, label).find("V0 / ||x0 - x*||^2 = ");
    REQUIRE(ratio_at != std::string::npos);
    const double ratio = std::strtod(line_of(r.out, label).c_str() + ratio_at + 21, nullptr);
    CHECK(std::abs(ratio - v0 / d0) <= half_unit(ratio, 6) + kNumeric * v0 / d0);
  }
}
