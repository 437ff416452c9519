// The reduced parameter space of ReLU networks (nn/reduced_space.hpp): the transform to unit
// incoming weights keeps the network's outputs (positive homogeneity), and the neuron-sphere
// regularizer projects onto unit rows and clamped thresholds, block by block, in every step.
#include <H5Cpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/nn/reduced_space.hpp"
#include "sgda/problems/constant_target.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;

namespace {

// He-initialized weights and random biases, so that no neuron is trivially unit.
Vector random_parameters(const nn::Network& net, std::uint64_t seed) {
  Rng rng(seed);
  Vector params(net.num_parameters());
  net.initialize(params, nn::Init::kHeNormal, rng);
  for (Index l = 0; l < net.num_layers(); ++l)
    for (auto& b : net.layer(l).mutable_bias(params)) b = 0.5 * rng.normal();
  return params;
}

Matrix outputs(const nn::Network& net, const Vector& params, const Matrix& inputs) {
  nn::Tape tape;
  return net.forward(params, inputs, tape);
}

// Every hidden row of unit norm and every hidden bias within [−bound, bound].
bool in_reduced_space(const nn::Network& net, const Vector& params, double bound) {
  for (Index l = 0; l + 1 < net.num_layers(); ++l) {
    const auto w = net.layer(l).weight(params);
    for (Index j = 0; j < w.rows(); ++j)
      if (std::abs(w.row(j).norm() - 1.0) > 1e-12) return false;
    if (net.layer(l).bias(params).cwiseAbs().maxCoeff() > bound) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the reduced space network computes the same outputs", "[reduced-space]") {
  // 3 hidden layers, relu and leaky-relu (both positively homogeneous), two outputs.
  for (const nn::Activation activation : {nn::Activation::kRelu, nn::Activation::kLeakyRelu}) {
    INFO(to_string(activation));
    const nn::Network net({4, 7, 6, 5, 2}, activation);
    const Vector params = random_parameters(net, 11);
    const Vector reduced = nn::to_reduced_space(net, params);
    CHECK(in_reduced_space(net, reduced, INFINITY));
    CHECK(!in_reduced_space(net, params, INFINITY));
    Rng rng(12);
    Matrix inputs(4, 200);
    for (auto& v : inputs.reshaped()) v = 3.0 * rng.normal();
    const Matrix before = outputs(net, params, inputs), after = outputs(net, reduced, inputs);
    CHECK((after - before).cwiseAbs().maxCoeff() <= 1e-12 * before.cwiseAbs().maxCoeff());
    CHECK(before.cwiseAbs().maxCoeff() > 0.1);  // not vacuous
  }
  // A zero row (a constant neuron) is folded into the next layer's bias.
  const nn::Network net({3, 4, 1}, nn::Activation::kRelu);
  Vector params = random_parameters(net, 13);
  net.layer(0).mutable_weight(params).row(2).setZero();
  net.layer(0).mutable_bias(params)[2] = 0.8;
  const Vector reduced = nn::to_reduced_space(net, params);
  CHECK(in_reduced_space(net, reduced, INFINITY));
  Matrix inputs = Matrix::Random(3, 50);
  CHECK(outputs(net, reduced, inputs).isApprox(outputs(net, params, inputs), 1e-12));
  // tanh is not positively homogeneous: refused.
  const nn::Network tanh_net({3, 4, 1}, nn::Activation::kTanh);
  CHECK_THROWS_AS(nn::to_reduced_space(tanh_net, Vector::Zero(tanh_net.num_parameters())),
                  InputError);
}

TEST_CASE("the neuron-sphere projection gives unit rows and clamped biases", "[reduced-space]") {
  const nn::Network net({3, 5, 4, 2}, nn::Activation::kRelu);
  const Vector params = random_parameters(net, 21);
  const nn::NeuronSphere sphere(net, 0.3);
  CHECK(sphere.value(params) == INFINITY);
  Vector x = params;
  sphere.prox(0.1, x);
  CHECK(in_reduced_space(net, x, 0.3));
  CHECK(sphere.value(x) == 0.0);
  // The rows keep their directions; biases inside the bound stay; the output layer is untouched.
  for (Index l = 0; l < 2; ++l) {
    const auto w = net.layer(l).weight(params), p = net.layer(l).weight(x);
    for (Index j = 0; j < w.rows(); ++j) CHECK(p.row(j).isApprox(w.row(j) / w.row(j).norm()));
    const auto b = net.layer(l).bias(params), q = net.layer(l).bias(x);
    for (Index j = 0; j < b.size(); ++j)
      CHECK(q[j] == (std::abs(b[j]) <= 0.3 ? b[j] : std::copysign(0.3, b[j])));
  }
  const nn::Dense& out = net.layer(2);
  CHECK(x.segment(out.offset, out.num_parameters()) ==
        params.segment(out.offset, out.num_parameters()));
  // Idempotent, up to the rounding of dividing by a norm of 1 ± 1 ulp.
  Vector again = x;
  sphere.prox(0.1, again);
  CHECK((again - x).lpNorm<Eigen::Infinity>() <= 1e-15);
  // Block by block, as step rules apply it, the same projection.
  Vector by_block = params;
  for (const Block& b : net.blocks()) sphere.prox_block(0.1, b, by_block.segment(b.offset, b.size));
  CHECK(by_block == x);
}

TEST_CASE("a run with neuron-sphere stays in the reduced space", "[reduced-space]") {
  ConstantTargetOptions o;
  o.hidden = "6,5";
  o.eval_samples = 500;
  const ConstantTarget p(
      o, std::make_shared<const nn::NeuronSphere>(ConstantTarget::network_for(o), 0.5));
  CHECK(p.regularizer().name() == "neuron-sphere");
  // It starts from the network equivalent to the standard initialization: the same risk.
  const ConstantTarget standard(o);
  CHECK(in_reduced_space(p.network(), p.initial_point(), INFINITY));
  Vector none;
  CHECK(p.risk(p.initial_point(), none) ==
        Approx(standard.risk(standard.initial_point(), none)).epsilon(1e-12));
  for (const std::string rule : {"prox", "momentum", "adam"}) {
    INFO(rule);
    StepRuleOptions r;
    r.rule = parse_enum<StepRuleType>(rule);
    auto step = make_step_rule(r);
    auto estimator = make_estimator(EstimatorOptions{}, p);
    SolverOptions s;
    s.max_iterations = 2000;
    s.log_every = 1000;
    s.step_size.rule = StepSizeRule::kConstant;
    s.step_size.gamma = 0.01;
    const Summary summary = solve(p, *estimator, *step, s, p.initial_point());
    REQUIRE(summary.reason != TerminationReason::kNonFinite);
    CHECK(in_reduced_space(p.network(), summary.x, 0.5));
    CHECK(p.regularizer().value(summary.x) == 0.0);
    CHECK((summary.x - p.initial_point()).norm() > 0.01);  // it moved
  }
}

TEST_CASE("the reduced space is a key of network problems only", "[reduced-space][io]") {
  const std::string reduced = "parameter_space = \"reduced\"\nthreshold_bound = 2\n";
  const std::string sgd = "[method]\nname = \"sgda\"\n";
  const auto ok = make_problem(
      parse_run_config("[problem]\ntype = \"constant-target\"\n" + reduced + sgd, "p.toml"));
  CHECK(ok->regularizer().describe() == "neuron-sphere(threshold_bound=2)");
  // Without it, no regularizer.
  CHECK(make_problem(parse_run_config("[problem]\ntype = \"constant-target\"\n" + sgd, "p.toml"))
            ->regularizer()
            .is_zero());
  CHECK_THROWS_WITH(
      parse_run_config(
          "[problem]\ntype = \"quadratic\"\nsamples = 5\ndimension = 2\n" + reduced + sgd,
          "p.toml"),
      Catch::Contains("parameter_space"));
  CHECK_THROWS_WITH(parse_run_config("[problem]\ntype = \"constant-target\"\nparameter_space = "
                                     "\"reduced\"\nthreshold_bound = 0\n" +
                                         sgd,
                                     "p.toml"),
                    Catch::Contains("threshold_bound"));
  // threshold_bound belongs to the reduced space only.
  CHECK_THROWS_WITH(
      parse_run_config("[problem]\ntype = \"constant-target\"\nthreshold_bound = 2\n" + sgd,
                       "p.toml"),
      Catch::Contains("threshold_bound") && Catch::Contains("reduced"));
  CHECK_THROWS_WITH(
      parse_run_config("[problem]\ntype = \"constant-target\"\n" + reduced +
                           "[regularizer]\ntype = \"l1\"\nlambda = 0.1\n" + sgd,
                       "p.toml"),
      Catch::Contains("problem.parameter_space") && Catch::Contains("regularizer.type = \"none\""));
  // tanh is not positively homogeneous: the regularizer is refused, naming the key.
  nn::Network tanh_net({2, 3, 1}, nn::Activation::kTanh);
  CHECK_THROWS_WITH(
      nn::NeuronSphere(tanh_net, 1.0),
      Catch::Contains("ReducedSpaceOptions::parameter_space") && Catch::Contains("tanh"));
}

TEST_CASE("a classifier in the reduced space starts from the same function",
          "[reduced-space][io]") {
  // A small HDF5 classification set (X: n x d floats, y: labels), as TrainingProblem reads it.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("sgda_reduced_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path data = dir / "blobs.h5";
  {
    H5::H5File file(data.string(), H5F_ACC_TRUNC);
    std::vector<float> x(40 * 3);
    Rng rng(7);
    for (auto& v : x) v = float(rng.normal());
    std::vector<std::int32_t> y(40);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = std::int32_t(i % 3);
    const hsize_t xs[2] = {40, 3}, ys[1] = {40};
    file.createDataSet("/X", H5::PredType::NATIVE_FLOAT, H5::DataSpace(2, xs))
        .write(x.data(), H5::PredType::NATIVE_FLOAT);
    file.createDataSet("/y", H5::PredType::NATIVE_INT32, H5::DataSpace(1, ys))
        .write(y.data(), H5::PredType::NATIVE_INT32);
  }
  const std::string head = "[problem]\ntype = \"classifier\"\ndata = \"hdf5\"\npath = \"" +
                           data.string() + "\"\nhidden = \"6,5\"\n";
  const std::string sgd = "[method]\nname = \"sgda\"\n";
  const auto standard = make_problem(parse_run_config(head + sgd, "p.toml"));
  const auto reduced =
      make_problem(parse_run_config(head + "parameter_space = \"reduced\"\n" + sgd, "p.toml"));
  CHECK(reduced->regularizer().name() == "neuron-sphere");
  const auto& net = dynamic_cast<const TrainingProblem&>(*reduced).network();
  CHECK(in_reduced_space(net, reduced->initial_point(), INFINITY));
  CHECK(!in_reduced_space(net, standard->initial_point(), INFINITY));
  CHECK(reduced->metrics(reduced->initial_point())[0].second ==
        Approx(standard->metrics(standard->initial_point())[0].second).epsilon(1e-12));
  // tanh hidden layers are not positively homogeneous: refused, naming the key.
  CHECK_THROWS_WITH(
      make_problem(parse_run_config(
          head + "activation = \"tanh\"\nparameter_space = \"reduced\"\n" + sgd, "p.toml")),
      Catch::Contains("parameter_space") && Catch::Contains("tanh"));
  fs::remove_all(dir);
}
