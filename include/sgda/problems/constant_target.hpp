// A deep ReLU network regressing a constant from fresh samples, the setting of Jentzen et al.'s
// analysis of SGD for ReLU networks with a constant target: minimize the risk
//   L(x) = E_X (net_x(X) − ξ)²,   X ~ U[0, 1]^d,
// of an MLP d-h_1-...-h_m-1 (ReLU hidden layers, biases on, a linear output), so
//   F_i(x) = ∇_x (net_x(X_i) − ξ)²,
// the generalized gradient with ReLU'(0) = 0 (nn::activation_backward). Whether SGD reaches
// risk 0 depends on the step sizes: with Σγ_n = ∞ (γ_n ∝ (n+1)^{−1/2}) the risk falls towards 0;
// with summable steps (γ_n ∝ (n+1)^{−2}) the iterates stop moving at a positive risk.
//
// The stream, as streaming PCA's (streaming_pca.hpp): num_samples() is 2^62 and X_i is drawn
// from the counter-based stream Rng::stream(seed, i), so sample(i) is a pure function of
// (seed, i) and uniform sampling draws fresh samples, reproducibly and checkpoint-safe. The
// option `seed` fixes the samples, the evaluation sample and the initial network (He normal,
// biases 0); a run's own seed (SolverOptions::seed, experiment.seeds) picks which indices i are
// drawn, so runs with different seeds see different fresh samples from the same initial
// network.
//
// The risk is not computed exactly: metrics() and full() use a FIXED evaluation sample of
// eval_samples points X̃_1, ..., X̃_M (drawn from a stream of its own), so "risk" is the Monte
// Carlo estimate (1/M) Σ_k (net(X̃_k) − ξ)² and full(x) is its gradient.
//
// blocks() are the network's weights and biases ("layer0.weight", ...). Not safe to share
// across threads (workspaces in const methods), as TrainingProblem.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sgda/nn/network.hpp"
#include "sgda/options.hpp"
#include "sgda/problem.hpp"

namespace sgda {

struct ConstantTargetOptions {
  Index dimension = 2;         // d of the inputs X ~ U[0, 1]^d
  std::string hidden = "8,8";  // hidden widths, comma-separated (ReLU layers)
  double target = 0.7;         // ξ, the constant the network regresses
  std::uint64_t seed = 0;      // the samples X_i, the evaluation sample, the initial network
  Index eval_samples = 10000;  // M, the evaluation sample of the risk metric and of full()

  static const OptionTable<ConstantTargetOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges; hidden parses
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

class ConstantTarget final : public Problem {
 public:
  ConstantTarget(const ConstantTargetOptions& options,
                 std::shared_ptr<const Regularizer> regularizer = nullptr);
  // The network of `options` (d-hidden-1, ReLU, linear output), before any problem is built:
  // a regularizer for its layers (nn::NeuronSphere) is made from it. Throws InputError naming
  // the field when the options are invalid.
  static nn::Network network_for(const ConstantTargetOptions& options);

  std::string name() const override { return "constant-target"; }
  Index dim() const override { return network_.num_parameters(); }
  Index num_samples() const override { return Index{1} << 62; }
  // ∇(net(X_i) − ξ)², through the batched path with one column.
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  // Σ_k w_k ∇(net(X_{i_k}) − ξ)² by one batched forward and reverse pass; `workspace` unused.
  void sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                  VectorRef workspace) const override;
  // The gradient of the evaluation sample's risk (1/M) Σ_k (net(X̃_k) − ξ)², in chunks;
  // remembers the risk for metrics().
  void full(ConstVectorRef x, VectorRef out) const override;
  std::vector<Block> blocks() const override { return network_.blocks(); }
  Vector initial_point() const override { return initial_; }
  // {"risk", (1/M) Σ_k (net(X̃_k) − ξ)²}: the Monte Carlo estimate of the risk.
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;

  // The sample X_i ~ U[0, 1]^d.
  void draw(Index i, VectorRef out) const;
  // The evaluation sample's risk at x, with its gradient when `gradient` is not empty.
  double risk(ConstVectorRef x, VectorRef gradient) const;
  const nn::Network& network() const { return network_; }
  const ConstantTargetOptions& options() const { return options_; }
  // Evaluation points per chunk of full() and the metric (bounded memory).
  static constexpr Index kChunk = 1024;

 private:
  struct Workspace {
    nn::Tape tape;
    Matrix input, grad;
  };
  Workspace& workspace(Index batch) const;
  // Σ_k w_k (net(a_k) − ξ)² over the columns of work.input (first `count`), and into
  // `gradient` (when not empty) its gradient.
  double evaluate(Index count, const double* weights, double weight, ConstVectorRef x,
                  VectorRef gradient, Workspace& work) const;

  ConstantTargetOptions options_;
  nn::Network network_;
  Vector initial_;
  Matrix evaluation_;                        // d × M, the X̃_k
  mutable std::map<Index, Workspace> work_;  // by batch size: no allocation once seen
  mutable Vector part_;                      // full(): one chunk's gradient
  mutable SampleDraw single_;                // sample(): one pair
  mutable Vector cached_x_;                  // the x of the last full(), and its risk
  mutable double cached_risk_ = 0.0;
};

}  // namespace sgda
