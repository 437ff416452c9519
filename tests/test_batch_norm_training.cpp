// Networks and training problems with batch normalization (normalization = "batch"): the whole
// network's reverse pass in training mode (the minibatch objective) and in evaluation mode
// against central differences, the running statistics against torch's formula (Ioffe & Szegedy
// 2015; momentum 0.1, unbiased variance), evaluation mode against a hand-computed normalization,
// the run file's refusals, and a run resumed from a checkpoint bit for bit.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "cli_helpers.hpp"
#include "gradient_check.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "training_data.hpp"

using namespace sgda;
using namespace sgda::nn;

namespace {

using sgda::testing::numeric_gradient;
using sgda::testing::random_matrix;
using sgda::testing::relative_error;
constexpr double kTolerance = sgda::testing::kGradientTolerance;

// Σ_k w_k (logsumexp(s_k) − s_{k, y_k}): the weighted minibatch loss of TrainingProblem.
double weighted_cross_entropy(const Matrix& logits, const std::vector<Index>& labels,
                              const std::vector<double>& weights) {
  double loss = 0.0;
  for (Index k = 0; k < logits.cols(); ++k) {
    const double shift = logits.col(k).maxCoeff();
    const double lse = shift + std::log((logits.col(k).array() - shift).exp().sum());
    loss += weights[static_cast<std::size_t>(k)] *
            (lse - logits(labels[static_cast<std::size_t>(k)], k));
  }
  return loss;
}

TrainingOptions batch_options(const std::string& hidden) {
  TrainingOptions o;
  o.hidden = hidden;
  o.seed = 3;
  o.normalization = Normalization::kBatch;
  return o;
}

// The columns `indices` of the data set's features, as doubles.
Matrix gather(const Dataset& d, const std::vector<Index>& indices) {
  Matrix m(d.dimension(), static_cast<Index>(indices.size()));
  for (std::size_t k = 0; k < indices.size(); ++k)
    m.col(static_cast<Index>(k)) = d.features.col(indices[k]).cast<double>();
  return m;
}

}  // namespace

TEST_CASE("networks with batch norm: the reverse pass matches finite differences in both modes",
          "[nn][norm]") {
  Rng rng(3);
  const Index batch = 5;
  for (const Activation hidden : {Activation::kRelu, Activation::kTanh}) {
    INFO(to_string(hidden));
    const Network net({3, 6, 5, 4}, hidden, Activation::kIdentity, 0.1, Normalization::kBatch);
    CHECK(net.normalized(0));
    CHECK(net.batch_norm(1).features == 5);
    CHECK_FALSE(net.normalized(2));
    Vector params(net.num_parameters());
    net.initialize(params, Init::kXavierNormal, rng);
    params += 0.3 * Vector(random_matrix(net.num_parameters(), 1, rng));  // γ ≠ 1, β ≠ 0
    const Matrix x = random_matrix(3, batch, rng);
    const std::vector<Index> labels = {0, 3, 1, 2, 1};
    Network::RunningStatistics running = net.initial_statistics();
    for (auto& r : running)
      if (r.mean.size() > 0) {
        r.mean = random_matrix(r.mean.size(), 1, rng, 0.5);
        r.variance = random_matrix(r.mean.size(), 1, rng).cwiseAbs().array() + 0.5;
      }
    for (const bool training : {true, false}) {
      INFO((training ? "training" : "evaluation"));
      auto forward = [&](const Vector& p, const Matrix& in, Tape& tape) -> const Matrix& {
        return training ? net.forward(p, in, tape) : net.forward_evaluation(p, in, tape, running);
      };
      Tape tape;
      Matrix grad_out(4, batch);
      softmax_cross_entropy(forward(params, x, tape), labels, grad_out);
      Vector grad(net.num_parameters());
      const Matrix grad_x = net.backward(params, grad_out, tape, grad, true);
      Tape scratch_tape;
      Matrix scratch(4, batch);
      const Matrix numeric_params = numeric_gradient(
          [&](const Matrix& p) {
            return softmax_cross_entropy(forward(Vector(p), x, scratch_tape), labels, scratch);
          },
          Matrix(params));
      const Matrix numeric_x = numeric_gradient(
          [&](const Matrix& in) {
            return softmax_cross_entropy(forward(params, in, scratch_tape), labels, scratch);
          },
          x);
      const double error_params = relative_error(Matrix(grad), numeric_params);
      const double error_x = relative_error(grad_x, numeric_x);
      CAPTURE(error_params, error_x);
      CHECK(error_params < kTolerance);
      CHECK(error_x < kTolerance);
    }
  }
}

TEST_CASE("training with batch norm: the minibatch gradient is that of the weighted batch loss",
          "[training][norm]") {
  const auto data = testing::blobs(30, 4, 3, 2);
  const TrainingProblem p(TrainingTask::kClassifier, batch_options("8,8"), data);
  CHECK(p.dim() == (4 * 8 + 8 + 16) + (8 * 8 + 8 + 16) + (8 * 3 + 3));
  CHECK(p.blocks()[2].name == "layer0.norm.gain");
  Rng rng(4);
  const Vector x = p.initial_point() + 0.2 * Vector(random_matrix(p.dim(), 1, rng));
  SampleDraw draw;
  draw.indices = {3, 17, 9, 22};
  draw.weights = {0.5, 1.0, 2.0, 0.25};
  Vector g(p.dim()), workspace(p.dim());
  p.sample_sum(draw, x, g, workspace);
  const Matrix input = gather(*data, draw.indices);
  std::vector<Index> labels;
  for (Index i : draw.indices) labels.push_back(data->labels[static_cast<std::size_t>(i)]);
  Tape tape;
  const Matrix numeric = numeric_gradient(
      [&](const Matrix& params) {
        return weighted_cross_entropy(p.network().forward(Vector(params), input, tape), labels,
                                      draw.weights);
      },
      Matrix(x));
  CHECK(relative_error(Matrix(g), numeric) < kTolerance);
  // Not a weighted sum of per-example gradients: one example alone is refused.
  Vector one(p.dim());
  CHECK_THROWS_WITH(p.sample(3, x, one), Catch::Contains("normalization"));
  SampleDraw single;
  single.indices = {3};
  single.weights = {1.0};
  CHECK_THROWS_WITH(p.sample_sum(single, x, one, workspace),
                    Catch::Contains("at least 2 examples"));
}

TEST_CASE("training with batch norm: running statistics follow the torch update",
          "[training][norm]") {
  const auto data = testing::blobs(20, 3, 2, 5);
  const TrainingProblem p(TrainingTask::kClassifier, batch_options("4,3"), data);
  const Network& net = p.network();
  Rng rng(6);
  const Vector x = p.initial_point() + 0.3 * Vector(random_matrix(p.dim(), 1, rng));
  // By hand: z_l = W_l a + b_l, batch mean and biased variance per feature, the running
  // statistics' update with the unbiased variance, then ReLU(γ ẑ + β) into the next layer.
  Network::RunningStatistics expected = net.initial_statistics();
  const std::vector<std::vector<Index>> batches = {{0, 4, 7}, {1, 2, 3, 9, 11}, {5, 19}};
  Vector g(p.dim()), workspace(p.dim());
  for (const auto& indices : batches) {
    SampleDraw draw;
    draw.indices = indices;
    draw.weights.assign(indices.size(), 1.0 / double(indices.size()));
    p.sample_sum(draw, x, g, workspace);
    Matrix a = gather(*data, indices);
    const double b = double(indices.size());
    for (Index l = 0; l < 2; ++l) {
      const Dense& d = net.layer(l);
      const Matrix z = (d.weight(x) * a).colwise() + Vector(d.bias(x));
      const Vector mean = z.rowwise().sum() / b;
      const Matrix centered = z.colwise() - mean;
      const Vector variance = centered.rowwise().squaredNorm() / b;
      auto& r = expected[static_cast<std::size_t>(l)];
      r.mean = 0.9 * r.mean + 0.1 * mean;
      r.variance = 0.9 * r.variance + 0.1 * variance * b / (b - 1.0);
      const LayerNorm& n = net.layer_norm(l);
      Matrix y(z.rows(), z.cols());
      for (Index i = 0; i < z.rows(); ++i)
        y.row(i) = n.gain(x)[i] * centered.row(i) / std::sqrt(variance[i] + 1e-5) +
                   Matrix::Constant(1, z.cols(), n.bias(x)[i]);
      a = y.cwiseMax(0.0);
    }
  }
  for (Index l = 0; l < 2; ++l) {
    const auto& got = p.running_statistics()[static_cast<std::size_t>(l)];
    const auto& want = expected[static_cast<std::size_t>(l)];
    CHECK((got.mean - want.mean).cwiseAbs().maxCoeff() < 1e-12);
    CHECK((got.variance - want.variance).cwiseAbs().maxCoeff() < 1e-12);
  }
  CHECK(p.running_statistics()[2].mean.size() == 0);  // the output layer has none

  // Evaluation mode normalizes by the running statistics: a batch's outputs differ from
  // training mode's, and equal the hand computation with the running statistics.
  const std::vector<Index> indices = {0, 1, 2, 3};
  const Matrix input = gather(*data, indices);
  Tape tape;
  const Matrix training = net.forward(x, input, tape);
  const Matrix evaluation = net.forward_evaluation(x, input, tape, p.running_statistics());
  CHECK((training - evaluation).cwiseAbs().maxCoeff() > 1e-3);
  Matrix a = input;
  for (Index l = 0; l < 3; ++l) {
    const Dense& d = net.layer(l);
    Matrix z = (d.weight(x) * a).colwise() + Vector(d.bias(x));
    if (l == 2) {
      a = z;
      break;
    }
    const auto& r = expected[static_cast<std::size_t>(l)];
    const LayerNorm& n = net.layer_norm(l);
    for (Index i = 0; i < z.rows(); ++i)
      z.row(i) = n.gain(x)[i] * (z.row(i).array() - r.mean[i]) / std::sqrt(r.variance[i] + 1e-5) +
                 n.bias(x)[i];
    a = z.cwiseMax(0.0);
  }
  CHECK((evaluation - a).cwiseAbs().maxCoeff() < 1e-12);
  // The metrics use evaluation mode, and leave the running statistics as they were.
  const Network::RunningStatistics before = p.running_statistics();
  const std::vector<Index> all = [&] {
    std::vector<Index> v;
    for (Index i = 0; i < data->size(); ++i) v.push_back(i);
    return v;
  }();
  const Matrix logits = net.forward_evaluation(x, gather(*data, all), tape, before);
  const std::vector<double> mean_weights(all.size(), 1.0 / double(all.size()));
  const double loss = weighted_cross_entropy(logits, data->labels, mean_weights);
  CHECK(std::abs(p.evaluate_training(x).loss - loss) < 1e-12);
  p.full(x, g);
  CHECK(p.metrics(x).front().second == p.evaluate_training(x).loss);
  CHECK(p.running_statistics()[0].mean == before[0].mean);
  CHECK(p.running_statistics()[1].variance == before[1].variance);
}

TEST_CASE("run files refuse batch norm with methods that evaluate single examples",
          "[training][norm][run_config]") {
  auto error = [](const std::string& method) {
    try {
      parse_run_config(
          "[problem]\ntype = \"classifier\"\nnormalization = \"batch\"\n[method]\n" + method,
          "x.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("name = \"sgda\"\nsampling = \"shuffle\"\nbatch_size = 32\n") == "no error");
  CHECK(error("name = \"sgda\"\nsampling = \"nice\"\nbatch_size = 2\n") == "no error");
  CHECK_THAT(error("name = \"sgda\"\n"), Catch::Contains("x.toml: method.sampling: problem."
                                                         "normalization = \"batch\""));
  CHECK_THAT(error("name = \"sgda\"\nsampling = \"adaptive\"\nbatch_size = 32\n"),
             Catch::Contains("x.toml:6: method.sampling: problem.normalization = \"batch\""));
  CHECK_THAT(error("name = \"sgda\"\nsampling = \"nice\"\nbatch_size = 1\n"),
             Catch::Contains("x.toml:7: method.batch_size:"));
  CHECK_THAT(error("name = \"l-svrgda\"\n"),
             Catch::Contains("x.toml:5: method.name: problem.normalization = \"batch\""));
  CHECK_THAT(error("name = \"diana-sgda\"\nworkers = 2\n"), Catch::Contains("method.name:"));
}

TEST_CASE("training with batch norm resumes from a checkpoint bit for bit", "[training][norm]") {
  const auto data = testing::blobs(40, 4, 3, 7);
  const TrainingProblem p(TrainingTask::kClassifier, batch_options("6,5"), data);
  EstimatorOptions e;
  e.sampling = SamplingType::kShuffle;
  e.batch_size = 6;  // 40 = 6·6 + 4: an epoch's last batch is smaller
  SolverOptions o;
  o.max_iterations = 60;
  o.log_every = 5;
  o.seed = 9;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.05;
  const Vector x0 = p.initial_point();
  ProxStep step;
  auto reference_estimator = make_estimator(e, p);
  const Summary reference = solve(p, *reference_estimator, step, o, x0);
  const Network::RunningStatistics uninterrupted = p.running_statistics();
  REQUIRE(uninterrupted[0].mean != p.network().initial_statistics()[0].mean);

  for (const std::int64_t stop_at : {std::int64_t{23}, std::int64_t{30}}) {
    CAPTURE(stop_at);
    Checkpoint last;
    CheckpointHooks save;
    save.save = [&](const Checkpoint& c, bool final) {
      if (final) last = c;
    };
    SolverOptions first_part = o;
    first_part.max_iterations = stop_at;
    auto first = make_estimator(e, p);
    solve(p, *first, step, first_part, x0, {}, save);
    REQUIRE(last.counters.iterations == stop_at);
    REQUIRE(last.problem.has_vector("batch_norm.layer1.variance"));
    CHECK(last.problem.vector("batch_norm.layer0.mean") == p.running_statistics()[0].mean);
    // Another run in between (a fresh start resets the statistics), then the resumed one.
    auto other = make_estimator(e, p);
    solve(p, *other, step, first_part, p.initial_point() * 0.5);
    // Through a run file (HDF5): the statistics in /checkpoint/problem, bit for bit.
    testing::TempDir dir("batch_norm");
    const std::string path = dir.file("run.h5");
    save_checkpoint(path, last, {});
    const RunRecord record = load_run(path);
    REQUIRE(record.checkpoint);
    CHECK(record.checkpoint->problem.vector("batch_norm.layer1.mean") ==
          last.problem.vector("batch_norm.layer1.mean"));
    CheckpointHooks resume;
    resume.resume = &*record.checkpoint;
    auto second = make_estimator(e, p);
    const Summary resumed = solve(p, *second, step, o, x0, {}, resume);
    CHECK(resumed.x == reference.x);
    CHECK(resumed.trace.iteration == reference.trace.iteration);
    CHECK(resumed.trace.residual_sq == reference.trace.residual_sq);
    REQUIRE(resumed.trace.extra.size() == reference.trace.extra.size());
    for (std::size_t c = 0; c < reference.trace.extra.size(); ++c)
      CHECK(resumed.trace.extra[c].values == reference.trace.extra[c].values);
    CHECK(p.running_statistics()[0].mean == uninterrupted[0].mean);
    CHECK(p.running_statistics()[1].variance == uninterrupted[1].variance);
  }
  // A checkpoint without the statistics (another problem's) is refused, naming the state.
  Checkpoint last;
  CheckpointHooks save;
  save.save = [&](const Checkpoint& c, bool final) {
    if (final) last = c;
  };
  auto first = make_estimator(e, p);
  solve(p, *first, step, o, x0, {}, save);
  last.problem = StateArchive();
  CheckpointHooks resume;
  resume.resume = &last;
  auto second = make_estimator(e, p);
  CHECK_THROWS_WITH(solve(p, *second, step, o, x0, {}, resume),
                    Catch::Contains("batch_norm.layer0.mean"));
}
