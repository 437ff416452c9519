// How close the step core gets to the machine's memory bandwidth: one Adam step over 10^7
// parameters against a STREAM-like triad a = b + s·c measured in the same run; and the cost of
// one forward + backward pass of a 784-256-256-10 ReLU MLP on a batch of 128 (softmax
// cross-entropy), with its rate in GFLOP/s (6 flops per weight and example: 2 forward, 4 back).
//
//   build/sgda_step_benchmark            (Release build)
//   build/sgda_step_benchmark 1e6        (another parameter count)
//
// Bandwidth is counted as bytes the kernel must move, without write-allocate traffic, as
// STREAM does: triad 3 arrays (b, c read; a written); Adam 7 (g, x, m, v read; m, v, next
// written). Medians of repeated runs; the goal is Adam ≥ 70% of the triad.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sgda/nn/loss.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/problem.hpp"
#include "sgda/steps/adam_step.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// A problem only to carry the one block the step rule acts on.
class Parameters final : public sgda::Problem {
 public:
  explicit Parameters(sgda::Index n) : n_(n) {}
  std::string name() const override { return "parameters"; }
  sgda::Index dim() const override { return n_; }
  sgda::Index num_samples() const override { return 1; }
  void sample(sgda::Index, sgda::ConstVectorRef, sgda::VectorRef out) const override {
    out.setZero();
  }

 private:
  sgda::Index n_;
};

template <class F>
double median_seconds(int repeats, F&& f) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const auto n = static_cast<sgda::Index>(argc > 1 ? std::atof(argv[1]) : 1e7);
  const int repeats = 15;
  sgda::Vector a = sgda::Vector::Zero(n), b = sgda::Vector::Constant(n, 1.0),
               c = sgda::Vector::Constant(n, 2.0);
  const double scalar = 3.0;
  const double triad = median_seconds(repeats, [&] { a.noalias() = b + scalar * c; });

  const Parameters problem(n);
  sgda::AdamStep adam(0.9, 0.999, 1e-8, 0.0, false);
  adam.reset(problem);
  sgda::Vector x = sgda::Vector::Constant(n, 0.5), g = sgda::Vector::Constant(n, 0.1), next(n);
  const double step = median_seconds(repeats, [&] {
    adam.apply(1e-3, g, x, next);
    x.swap(next);
  });

  const double gb = 1e-9 * 8.0 * static_cast<double>(n);
  const double triad_bandwidth = 3 * gb / triad, adam_bandwidth = 7 * gb / step;
  std::printf("parameters                 %.3g\n", static_cast<double>(n));
  std::printf("STREAM-like triad          %8.2f ms  %6.2f GB/s\n", 1e3 * triad, triad_bandwidth);
  std::printf("Adam step (fused, double)  %8.2f ms  %6.2f GB/s\n", 1e3 * step, adam_bandwidth);
  std::printf("Adam / triad bandwidth     %8.2f    (goal >= 0.70)\n",
              adam_bandwidth / triad_bandwidth);

  const sgda::nn::Network mlp({784, 256, 256, 10}, sgda::nn::Activation::kRelu);
  sgda::Rng rng(1);
  sgda::Vector params(mlp.num_parameters()), grad(mlp.num_parameters());
  mlp.initialize(params, sgda::nn::Init::kHeNormal, rng);
  const sgda::Index batch = 128;
  sgda::Matrix input(784, batch), logits_grad(10, batch);
  for (sgda::Index j = 0; j < batch; ++j)
    for (sgda::Index i = 0; i < 784; ++i) input(i, j) = rng.uniform();
  std::vector<sgda::Index> labels(static_cast<std::size_t>(batch));
  for (auto& l : labels) l = static_cast<sgda::Index>(rng.index(10));
  sgda::nn::Tape tape;
  mlp.prepare(tape, batch);
  double loss = 0.0;
  const double pass = median_seconds(repeats, [&] {
    const sgda::Matrix& logits = mlp.forward(params, input, tape);
    loss += sgda::nn::softmax_cross_entropy(logits, labels, logits_grad);
    mlp.backward(params, logits_grad, tape, grad);
  });
  const double weights = 784.0 * 256 + 256.0 * 256 + 256.0 * 10;
  std::printf("MLP 784-256-256-10, B=128  %8.2f ms  %6.2f GFLOP/s (forward + backward)\n",
              1e3 * pass, 6.0 * weights * batch * 1e-9 / pass);
  if (!std::isfinite(loss)) return 1;
  return a[0] + x[0] > 0 ? 0 : 1;  // keeps the work observable
}
