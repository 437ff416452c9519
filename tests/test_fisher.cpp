// The curvature step rules (steps/fisher_step.hpp): MBF with every partition equals the block
// diagonal of the dense empirical Fisher built from per-example gradients computed one example
// at a time (one block per layer: the exact block natural gradient; single entries: the
// diagonal preconditioner); K-FAC on a linear network equals its closed form; the moving
// average and the refresh period act as documented; resume is exact; a small classifier learns.
#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "sgda/estimators/sgda.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/steps/fisher_step.hpp"
#include "training_data.hpp"

using namespace sgda;
using sgda::testing::blobs;

namespace {

constexpr double kGamma = 0.1;

// A small classifier (two dense layers: 3-4-3, tanh) and a minibatch with uneven weights.
struct Setup {
  TrainingProblem problem;
  SampleDraw draw;
  Vector x;
  Setup(TrainingTask task = TrainingTask::kClassifier, const std::string& hidden = "4",
        nn::Activation activation = nn::Activation::kTanh)
      : problem(
            task,
            [&] {
              TrainingOptions o;
              o.hidden = hidden;
              o.activation = activation;
              o.seed = 5;
              return o;
            }(),
            blobs(30, 3, 3, 2, task == TrainingTask::kRegression)) {
    draw.indices = {4, 11, 29, 0, 17, 8};
    draw.weights = {0.2, 0.1, 0.3, 0.15, 0.05, 0.4};
    x = problem.initial_point();
  }
  // F = Σ_k w_k g_k g_kᵀ over the whole variable, from one example at a time.
  Matrix dense_fisher() {
    Matrix f = Matrix::Zero(problem.dim(), problem.dim());
    Vector g(problem.dim());
    for (std::size_t k = 0; k < draw.indices.size(); ++k) {
      problem.sample(draw.indices[k], x, g);
      f += draw.weights[k] * g * g.transpose();
    }
    return f;
  }
  // The minibatch estimate, which leaves the batch for the rule.
  Vector estimate() {
    Vector g(problem.dim()), workspace(problem.dim());
    problem.sample_sum(draw, x, g, workspace);
    return g;
  }
};

StepRuleOptions fisher_options(StepRuleType rule) {
  StepRuleOptions o;
  o.rule = rule;
  o.momentum = 0.0;  // x − γ d: the preconditioned direction alone
  o.fisher_decay = 0.0;
  o.damping = 1e-3;
  o.update_every = 1;
  o.refresh_every = 1;
  return o;
}

// x − γ (F_BB + λI)⁻¹ g_B for each index set B.
Vector block_diagonal_step(const Matrix& f, const Vector& g, const Vector& x, double damping,
                           const std::vector<std::vector<Index>>& blocks) {
  Vector next = x;
  for (const std::vector<Index>& b : blocks) {
    const Index n = static_cast<Index>(b.size());
    Matrix fb(n, n);
    Vector gb(n);
    for (Index p = 0; p < n; ++p) {
      gb[p] = g[b[std::size_t(p)]];
      for (Index q = 0; q < n; ++q) fb(p, q) = f(b[std::size_t(p)], b[std::size_t(q)]);
    }
    fb.diagonal().array() += damping;
    const Vector d = fb.llt().solve(gb);
    for (Index p = 0; p < n; ++p) next[b[std::size_t(p)]] -= kGamma * d[p];
  }
  return next;
}

// The index sets of a partition: the entries (r, c) of each layer's [W b] (outputs × (inputs
// + 1), column-major in the variable) along rows or columns, in chunks of `size` (0: whole).
std::vector<std::vector<Index>> partition(const TrainingProblem& p, MiniBlocks blocks, Index size) {
  std::vector<std::vector<Index>> out;
  for (const nn::Dense& d : p.dense_layers()) {
    const Index rows = d.outputs, columns = d.inputs + 1;
    auto at = [&](Index r, Index c) { return d.offset + r + rows * c; };
    if (blocks == MiniBlocks::kLayer) {
      out.emplace_back();
      for (Index i = 0; i < rows * columns; ++i) out.back().push_back(d.offset + i);
      continue;
    }
    if (blocks == MiniBlocks::kDiagonal) size = 1;
    const bool by_row = blocks != MiniBlocks::kColumn;
    const Index lines = by_row ? rows : columns, length = by_row ? columns : rows;
    const Index chunk = size == 0 ? length : size;
    for (Index i = 0; i < lines; ++i)
      for (Index start = 0; start < length; start += chunk) {
        out.emplace_back();
        for (Index t = start; t < std::min(length, start + chunk); ++t)
          out.back().push_back(by_row ? at(i, t) : at(t, i));
      }
  }
  return out;
}

double relative_error(const Vector& a, const Vector& b) { return (a - b).norm() / b.norm(); }

}  // namespace

TEST_CASE("MBF equals the block diagonal of the empirical Fisher, for every partition",
          "[steps][fisher]") {
  Setup s;
  const Matrix f = s.dense_fisher();
  struct Case {
    MiniBlocks blocks;
    Index size;
  };
  for (const Case c :
       {Case{MiniBlocks::kLayer, 0}, Case{MiniBlocks::kDiagonal, 0}, Case{MiniBlocks::kRow, 0},
        Case{MiniBlocks::kRow, 2}, Case{MiniBlocks::kRow, 1}, Case{MiniBlocks::kColumn, 0},
        Case{MiniBlocks::kColumn, 3}}) {
    INFO(to_string(c.blocks) << ", block size " << c.size);
    StepRuleOptions o = fisher_options(StepRuleType::kMbf);
    o.mbf_blocks = c.blocks;
    o.mbf_block_size = c.size;
    auto rule = make_step_rule(o);
    rule->reset(s.problem);
    const Vector g = s.estimate();
    Vector next(s.x.size());
    rule->apply(kGamma, g, s.x, next);
    const Vector expected =
        block_diagonal_step(f, g, s.x, o.damping, partition(s.problem, c.blocks, c.size));
    CHECK(relative_error(next - s.x, expected - s.x) <= 1e-10);
  }
}

TEST_CASE("MBF with one block per layer and a vanishing damping is the natural gradient",
          "[steps][fisher]") {
  // More examples than a layer's parameters: F is invertible (for a regression; a classifier's
  // softmax gradients sum to 0 over the outputs, a null direction), and (F + λI)⁻¹g → F⁻¹g as
  // λ → 0.
  Setup s(TrainingTask::kRegression, "2");  // layers of 8 and 6 parameters
  s.draw.indices.clear(), s.draw.weights.clear();
  for (Index i = 0; i < 30; ++i) s.draw.indices.push_back(i), s.draw.weights.push_back(1.0 / 30);
  const Matrix f = s.dense_fisher();
  StepRuleOptions o = fisher_options(StepRuleType::kMbf);
  o.mbf_blocks = MiniBlocks::kLayer;
  o.damping = 1e-12;
  auto rule = make_step_rule(o);
  rule->reset(s.problem);
  const Vector g = s.estimate();
  Vector next(s.x.size());
  rule->apply(kGamma, g, s.x, next);
  Vector expected = s.x;
  for (const auto& b : partition(s.problem, MiniBlocks::kLayer, 0)) {
    const Index offset = b.front(), n = static_cast<Index>(b.size());
    expected.segment(offset, n) -=
        kGamma * f.block(offset, offset, n, n).ldlt().solve(g.segment(offset, n));
  }
  CHECK(relative_error(next - s.x, expected - s.x) <= 1e-6);
}

TEST_CASE("K-FAC on a linear network equals its closed form", "[steps][fisher]") {
  // A regression through two linear layers (3-2-2, identity activation): per example,
  // δ_out = (2/k)(p − t), δ_hidden = W_outᵀ δ_out, and the layers' inputs are a and W_in a + b_in.
  Setup s(TrainingTask::kRegression, "2", nn::Activation::kIdentity);
  const TrainingProblem& p = s.problem;
  const auto layers = p.dense_layers();
  REQUIRE(layers.size() == 2);
  const Dataset& data = p.data();
  const nn::Dense &in = layers[0], &out = layers[1];
  const auto w_in = in.weight(s.x), w_out = out.weight(s.x);
  const auto b_in = in.bias(s.x), b_out = out.bias(s.x);
  const double damping = 0.01;
  Vector expected = s.x;
  std::vector<Matrix> a(2), g(2), grad(2);
  for (std::size_t l = 0; l < 2; ++l) {
    a[l] = Matrix::Zero(layers[l].inputs + 1, layers[l].inputs + 1);
    g[l] = Matrix::Zero(layers[l].outputs, layers[l].outputs);
    grad[l] = Matrix::Zero(layers[l].outputs, layers[l].inputs + 1);
  }
  for (std::size_t k = 0; k < s.draw.indices.size(); ++k) {
    const Index i = s.draw.indices[k];
    const double w = s.draw.weights[k];
    const Vector input = data.features.col(i).cast<double>();
    const Vector hidden = w_in * input + b_in;
    const Vector prediction = w_out * hidden + b_out;
    const Vector delta_out = (2.0 / 2.0) * (prediction - data.targets.col(i).cast<double>());
    const Vector delta_in = w_out.transpose() * delta_out;
    const Vector inputs[2] = {input, hidden}, deltas[2] = {delta_in, delta_out};
    for (std::size_t l = 0; l < 2; ++l) {
      Vector augmented(inputs[l].size() + 1);
      augmented << inputs[l], 1.0;
      a[l] += w * augmented * augmented.transpose();
      g[l] += w * deltas[l] * deltas[l].transpose();
      grad[l] += w * deltas[l] * augmented.transpose();
    }
  }
  for (std::size_t l = 0; l < 2; ++l) {
    const double pi =
        std::sqrt((a[l].trace() / double(a[l].rows())) / (g[l].trace() / double(g[l].rows())));
    const Matrix a_damped =
        a[l] + pi * std::sqrt(damping) * Matrix::Identity(a[l].rows(), a[l].cols());
    const Matrix g_damped =
        g[l] + std::sqrt(damping) / pi * Matrix::Identity(g[l].rows(), g[l].cols());
    const Matrix direction = g_damped.inverse() * grad[l] * a_damped.inverse();
    expected.segment(layers[l].offset, direction.size()) -=
        kGamma * Eigen::Map<const Vector>(direction.data(), direction.size());
  }
  StepRuleOptions o = fisher_options(StepRuleType::kKfac);
  o.damping = damping;
  auto rule = make_step_rule(o);
  rule->reset(p);
  const Vector estimate = s.estimate();
  Vector next(s.x.size());
  rule->apply(kGamma, estimate, s.x, next);
  CHECK(relative_error(next - s.x, expected - s.x) <= 1e-10);
}

TEST_CASE("Fisher statistics: a moving average, factors refreshed on schedule", "[steps][fisher]") {
  // Two minibatches B1, B2 at the same x. β = 0.5: the second step preconditions with
  // ½F(B1) + ½F(B2); refresh_every = 2: it still uses the factors of F(B1).
  Setup s;
  const std::vector<Index> second = {1, 2, 3, 5, 7, 9};
  const Matrix f1 = s.dense_fisher();
  const Vector g1 = s.estimate();
  Setup t;
  t.draw.indices = second;
  const Matrix f2 = t.dense_fisher();
  const auto blocks = partition(s.problem, MiniBlocks::kRow, 2);
  for (const Index refresh : {1, 2}) {
    INFO("refresh every " << refresh);
    StepRuleOptions o = fisher_options(StepRuleType::kMbf);
    o.mbf_block_size = 2;
    o.fisher_decay = 0.5;
    o.refresh_every = refresh;
    auto rule = make_step_rule(o);
    rule->reset(s.problem);
    Vector next(s.x.size());
    s.draw.indices = {4, 11, 29, 0, 17, 8};
    rule->apply(kGamma, s.estimate(), s.x, next);
    s.draw.indices = second;
    const Vector g2 = s.estimate();
    rule->apply(kGamma, g2, s.x, next);
    const Matrix f = refresh == 1 ? Matrix(0.5 * f1 + 0.5 * f2) : f1;
    const Vector expected = block_diagonal_step(f, g2, s.x, o.damping, blocks);
    CHECK(relative_error(next - s.x, expected - s.x) <= 1e-10);
  }
  (void)g1;
}

TEST_CASE("MBF and K-FAC resume bit for bit and refuse problems without dense layers",
          "[steps][fisher]") {
  for (const StepRuleType type : {StepRuleType::kMbf, StepRuleType::kKfac}) {
    INFO(to_string(type));
    Setup s;
    StepRuleOptions o;
    o.rule = type;
    o.update_every = 2;
    o.refresh_every = 3;
    auto first = make_step_rule(o), second = make_step_rule(o);
    first->reset(s.problem);
    second->reset(s.problem);
    Vector x = s.x, next(x.size());
    auto run = [&](StepRule& rule, Vector& at, int steps, Index shift) {
      for (int k = 0; k < steps; ++k) {
        s.draw.indices = {Index(k + shift) % 30, Index(3 * k + 1) % 30, Index(7 * k + 2) % 30};
        s.draw.weights = {0.3, 0.3, 0.4};
        s.x = at;
        rule.apply(kGamma, s.estimate(), at, next);
        at = next;
      }
    };
    run(*first, x, 4, 0);
    StateArchive state;
    first->save_state(state);
    second->load_state(state);
    Vector y = x;
    run(*first, x, 5, 4);
    run(*second, y, 5, 4);
    CHECK(x == y);
  }
  Matrix a = Matrix::Identity(2, 2);
  const AffineGame game({a}, Matrix::Zero(2, 1), {Block{"z", 0, 2, false}});
  StepRuleOptions o;
  o.rule = StepRuleType::kMbf;
  auto rule = make_step_rule(o);
  CHECK_THROWS_WITH(rule->reset(game), Catch::Contains("StepRuleOptions::rule") &&
                                           Catch::Contains("accepted: classifier, regression"));
}

TEST_CASE("MBF and K-FAC train a small classifier", "[steps][fisher][training]") {
  // Three separable-ish blobs, batches of 16, three epochs; chance is 1/3.
  TrainingOptions options;
  options.hidden = "16";
  options.seed = 1;
  const TrainingProblem problem(TrainingTask::kClassifier, options, blobs(600, 4, 3, 7));
  for (const StepRuleType type : {StepRuleType::kMbf, StepRuleType::kKfac}) {
    INFO(to_string(type));
    EstimatorOptions e;
    e.batch_size = 16;
    e.sampling = SamplingType::kShuffle;
    auto estimator = make_estimator(e, problem);
    StepRuleOptions o;
    o.rule = type;
    o.damping = 0.1;
    auto rule = make_step_rule(o);
    SolverOptions s;
    s.max_iterations = 3 * 600 / 16;
    s.step_size.rule = StepSizeRule::kConstant;
    s.step_size.gamma = 0.01;
    s.seed = 3;
    const Vector x0 = problem.initial_point();
    const Summary summary = solve(problem, *estimator, *rule, s, x0);
    const double before = problem.evaluate_training(x0).loss;
    const TrainingProblem::Evaluation after = problem.evaluate_training(summary.x);
    INFO("loss " << before << " -> " << after.loss << ", accuracy " << after.accuracy);
    CHECK(after.loss <= 0.5 * before);
    CHECK(after.accuracy >= 0.9);
  }
}

TEST_CASE("MBF and K-FAC refuse estimators that evaluate other batches than the step's",
          "[steps][fisher][run_config]") {
  auto error = [](const std::string& method) {
    try {
      parse_run_config(
          "[problem]\ntype = \"classifier\"\n[method]\n" + method + "[step]\nrule = \"kfac\"\n",
          "x.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("name = \"sgda\"\nsampling = \"shuffle\"\nbatch_size = 32\n") == "no error");
  CHECK_THAT(error("name = \"sgda\"\nsampling = \"adaptive\"\nbatch_size = 32\n"),
             Catch::Contains("x.toml:5: method.sampling: the step rules mbf and kfac"));
  CHECK_THAT(error("name = \"l-svrgda\"\n"),
             Catch::Contains("x.toml:4: method.name: the step rules mbf and kfac"));
}
