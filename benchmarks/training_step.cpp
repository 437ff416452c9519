// One training step of the 784-256-256-10 ReLU MLP classifier at batch 128 (softmax
// cross-entropy): the library's (TrainingProblem::sample_sum on a drawn batch — gather, one
// forward and reverse pass — then an Adam step) against the floor, the same matrix products
// written directly with Eigen on a batch already in place, with a plain SGD update. Both
// alternate, medians of repeated blocks; the goal is library / floor <= 1.3.
//
//   build/sgda_training_benchmark          (Release build)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "sgda/estimators/sampling.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/step.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sgda::Index;
using sgda::Matrix;
using sgda::Vector;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The floor: the MLP's products and elementwise passes, by hand.
struct Floor {
  Matrix w1, w2, w3, dw1, dw2, dw3;
  Vector b1, b2, b3;
  Matrix x, z1, a1, z2, a2, z3, d3, d2, d1;
  std::vector<Index> labels;

  explicit Floor(Index batch, sgda::Rng& rng)
      : w1(256, 784),
        w2(256, 256),
        w3(10, 256),
        b1(Vector::Zero(256)),
        b2(Vector::Zero(256)),
        b3(Vector::Zero(10)),
        x(784, batch) {
    for (Matrix* m : {&w1, &w2, &w3, &x})
      for (Index k = 0; k < m->size(); ++k) (*m)(k) = 0.05 * rng.normal();
    for (Index j = 0; j < batch; ++j) labels.push_back(j % 10);
  }
  void step(double lr) {
    z1.noalias() = w1 * x;
    z1.colwise() += b1;
    a1 = z1.cwiseMax(0.0);
    z2.noalias() = w2 * a1;
    z2.colwise() += b2;
    a2 = z2.cwiseMax(0.0);
    z3.noalias() = w3 * a2;
    z3.colwise() += b3;
    d3 = (z3.rowwise() - z3.colwise().maxCoeff()).array().exp().matrix();
    d3.array().rowwise() /= d3.colwise().sum().array();
    for (Index j = 0; j < d3.cols(); ++j) d3(labels[std::size_t(j)], j) -= 1.0;
    d3 /= double(d3.cols());
    dw3.noalias() = d3 * a2.transpose();
    d2.noalias() = w3.transpose() * d3;
    d2 = (z2.array() > 0.0).select(d2, 0.0);
    dw2.noalias() = d2 * a1.transpose();
    d1.noalias() = w2.transpose() * d2;
    d1 = (z1.array() > 0.0).select(d1, 0.0);
    dw1.noalias() = d1 * x.transpose();
    w1 -= lr * dw1;
    w2 -= lr * dw2;
    w3 -= lr * dw3;
    b1 -= lr * d1.rowwise().sum();
    b2 -= lr * d2.rowwise().sum();
    b3 -= lr * d3.rowwise().sum();
  }
};

}  // namespace

int main() {
  const Index batch = 128, examples = 4096;
  sgda::Rng rng(1);
  auto data = std::make_shared<sgda::Dataset>();
  data->name = "random";
  data->classes = 10;
  data->features.resize(784, examples);
  for (Index k = 0; k < data->features.size(); ++k)
    data->features(k) = static_cast<float>(rng.uniform());
  for (Index i = 0; i < examples; ++i) data->labels.push_back(i % 10);
  sgda::TrainingOptions o;
  o.hidden = "256,256";
  const sgda::TrainingProblem problem(sgda::TrainingTask::kClassifier, o, data);
  auto sampling = sgda::make_shuffled_sampling(examples, batch);
  sgda::SampleDraw draw;
  draw.indices.assign(std::size_t(batch), 0);
  draw.weights.assign(std::size_t(batch), 0.0);
  sgda::StepRuleOptions r;
  r.rule = sgda::StepRuleType::kAdam;
  const auto adam = sgda::make_step_rule(r);
  adam->reset(problem);
  Vector x = problem.initial_point(), next(problem.dim()), g(problem.dim()), ws(problem.dim());
  Floor floor(batch, rng);

  auto library_steps = [&](int steps) {
    for (int s = 0; s < steps; ++s) {
      sampling->draw(rng, draw);
      problem.sample_sum(draw, x, g, ws);
      adam->apply(1e-3, g, x, next);
      x.swap(next);
    }
  };
  auto floor_steps = [&](int steps) {
    for (int s = 0; s < steps; ++s) floor.step(1e-3);
  };
  library_steps(5);  // warm up: workspaces, caches
  floor_steps(5);
  const int block = 20, repeats = 15;
  std::vector<double> lib, hand;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    library_steps(block);
    lib.push_back(std::chrono::duration<double>(Clock::now() - start).count() / block);
    start = Clock::now();
    floor_steps(block);
    hand.push_back(std::chrono::duration<double>(Clock::now() - start).count() / block);
  }
  const double l = median(lib), h = median(hand);
  const double flops = 6.0 * double(batch) * (784 * 256 + 256 * 256 + 256 * 10);
  std::printf("784-256-256-10 ReLU MLP, batch %lld, one training step (median of %d x %d)\n",
              static_cast<long long>(batch), repeats, block);
  std::printf("library (sample_sum + Adam)   %8.3f ms  %6.2f GFLOP/s\n", 1e3 * l, flops / l * 1e-9);
  std::printf("floor (Eigen products + SGD)  %8.3f ms  %6.2f GFLOP/s\n", 1e3 * h, flops / h * 1e-9);
  std::printf("library / floor               %8.2f    (goal <= 1.3)\n", l / h);
  return 0;
}
