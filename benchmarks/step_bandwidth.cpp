// How close the step core gets to the machine's memory bandwidth: one Adam, LAMB and LARS step
// over 10^7 parameters (one weight block) against a STREAM-like triad a = b + s·c measured in the
// same run; and the cost of
// one forward + backward pass of a 784-256-256-10 ReLU MLP on a batch of 128 (softmax
// cross-entropy), with its rate in GFLOP/s (6 flops per weight and example: 2 forward, 4 back).
//
//   build/sgda_step_benchmark            (Release build)
//   build/sgda_step_benchmark 1e6        (another parameter count)
//
// Bandwidth is counted as bytes the kernel must move, without write-allocate traffic, as
// STREAM does: triad 3 arrays (b, c read; a written); Adam 7 (g, x, m, v read; m, v, next
// written). LAMB and LARS need the block's norms before any entry moves, so two passes: LAMB 10
// (g, x, m, v read, m, v and r = next written; then x, next read, next written), LARS 7 (g, x
// read for the norms; then g, x, v read, v, next written). Their "/ triad" ratio counts those
// bytes (the floor of a two-pass kernel); "one-pass equivalent" counts only the 7 (LAMB) or 5
// (LARS) arrays a one-pass rule would move, i.e. the time against an ideal single pass.
// Medians of repeated runs; the goals are Adam ≥ 70% and LAMB, LARS ≥ 80% of the triad.
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
#include "sgda/steps/lamb_step.hpp"
#include "sgda/steps/lars_step.hpp"

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

  // LAMB and LARS on one weight block (not a bias: the trust ratio and both passes run).
  sgda::LambStep lamb(sgda::LambStep::Options{});
  lamb.reset(problem);
  const double lamb_step = median_seconds(repeats, [&] {
    lamb.apply(1e-3, g, x, next);
    x.swap(next);
  });
  sgda::LarsStep lars(0.9, 1e-3, 1e-4);
  lars.reset(problem);
  const double lars_step = median_seconds(repeats, [&] {
    lars.apply(1e-1, g, x, next);
    x.swap(next);
  });
  // The triad again, after the rules: the machine is shared, and the ratio is to the nearer one.
  const double triad_after = median_seconds(repeats, [&] { a.noalias() = b + scalar * c; });
  const double triad_best = std::min(triad, triad_after);

  const double gb = 1e-9 * 8.0 * static_cast<double>(n);
  const double triad_bandwidth = 3 * gb / triad_best, adam_bandwidth = 7 * gb / step;
  const double lamb_bandwidth = 10 * gb / lamb_step, lars_bandwidth = 7 * gb / lars_step;
  std::printf("parameters                 %.3g\n", static_cast<double>(n));
  std::printf("STREAM-like triad          %8.2f ms  %6.2f GB/s  (before %.2f ms, after %.2f ms)\n",
              1e3 * triad_best, triad_bandwidth, 1e3 * triad, 1e3 * triad_after);
  std::printf("Adam step (fused, double)  %8.2f ms  %6.2f GB/s\n", 1e3 * step, adam_bandwidth);
  std::printf("Adam / triad bandwidth     %8.2f    (goal >= 0.70)\n",
              adam_bandwidth / triad_bandwidth);
  std::printf("LAMB step (two passes)     %8.2f ms  %6.2f GB/s  (10 arrays)\n", 1e3 * lamb_step,
              lamb_bandwidth);
  std::printf("LAMB / triad bandwidth     %8.2f    (goal >= 0.80; one-pass equivalent %.2f)\n",
              lamb_bandwidth / triad_bandwidth, 0.7 * lamb_bandwidth / triad_bandwidth);
  std::printf("LARS step (two passes)     %8.2f ms  %6.2f GB/s  (7 arrays)\n", 1e3 * lars_step,
              lars_bandwidth);
  std::printf("LARS / triad bandwidth     %8.2f    (goal >= 0.80; one-pass equivalent %.2f)\n",
              lars_bandwidth / triad_bandwidth, 5.0 / 7.0 * lars_bandwidth / triad_bandwidth);

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
