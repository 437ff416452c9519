// Gradients at initialization through depth (issue 15; Sun 2019, "Optimization for deep
// learning", Sec. 4; He et al. 2015, Sec. 2.2): in a plain ReLU MLP of width n, a layer drawn
// with Var W = v multiplies the second moment of the forward signal, and of the backward
// gradient, by n v / 2. He (v = 2/n) and orthogonal with gain √2 keep it at 1; Xavier on square
// layers (v = 1/n) halves it; the naive N(0, 1) multiplies it by n/2. ‖∂L/∂W_l‖ = ‖δ_l a_{l−1}ᵀ‖
// takes the factor once per other layer, so at depth L it scales like (n v / 2)^{(L−1)/2}:
// geometric in the depth.
//
// The factor reaches every layer's ‖∂L/∂W_l‖ alike (the forward part shrinks toward the output as
// the backward part grows toward the input), so inside one network the layers stay within a small
// factor of each other whatever the initialization: the explosion or vanishing is in the depth.
// Layer normalization after each hidden layer undoes the scale: every initialization then keeps
// the gradient's size through depth.
//
// Fixed seeds, 20-dimensional blobs, width 64, depths 2 and 20, the gradient on 256 examples.
// Measured growth ‖∂L/∂W_0‖ (depth 20) / ‖∂L/∂W_0‖ (depth 2): He 0.37, orthogonal 0.41, Xavier
// 6.7e-4 (predicted 2^-9 = 2e-3), N(0, 1) 1.6e13 (predicted 32^9 = 3.5e13); with layer norm
// 0.35 to 0.44 for all four. max/min over the 20 layers: 2.5 to 7.7. The bounds keep more than an
// order of magnitude of room.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "sgda/problems/training.hpp"
#include "training_data.hpp"

using namespace sgda;

namespace {

struct Gradients {
  std::vector<double> norms;  // ‖∂L/∂W_l‖, input layer first
  double spread() const {     // max/min over the layers
    return *std::max_element(norms.begin(), norms.end()) /
           *std::min_element(norms.begin(), norms.end());
  }
};

Gradients at_init(int depth, nn::Init init,
                  nn::Normalization normalization = nn::Normalization::kNone) {
  static const auto data = testing::blobs(256, 20, 4, 9);
  TrainingOptions o;
  o.hidden.clear();
  for (int l = 1; l < depth; ++l) o.hidden += (o.hidden.empty() ? "" : ",") + std::string("64");
  o.init = init;
  o.seed = 5;
  o.normalization = normalization;
  const TrainingProblem p(TrainingTask::kClassifier, o, data);
  return {p.layer_gradient_norms(p.initial_point())};
}

}  // namespace

TEST_CASE("depth: Xavier and naive gradients vanish or explode geometrically and He does not",
          "[training][init][depth]") {
  auto growth = [](nn::Init init, nn::Normalization normalization) {
    const Gradients shallow = at_init(2, init, normalization);
    const Gradients deep = at_init(20, init, normalization);
    INFO(to_string(init) << ", normalization " << to_string(normalization));
    CAPTURE(deep.spread());
    CHECK(deep.spread() < 50.0);  // inside one network: a small factor
    return deep.norms.front() / shallow.norms.front();
  };
  const auto none = nn::Normalization::kNone;
  const double he = growth(nn::Init::kHeNormal, none);
  const double orthogonal = growth(nn::Init::kOrthogonal, none);
  const double xavier = growth(nn::Init::kXavierNormal, none);
  const double naive = growth(nn::Init::kNormal, none);
  CAPTURE(he, orthogonal, xavier, naive);
  CHECK(he > 0.05);
  CHECK(he < 20.0);
  CHECK(orthogonal > 0.05);
  CHECK(orthogonal < 20.0);
  CHECK(xavier < 1e-2);
  CHECK(naive > 1e8);
  // Layer normalization: every initialization keeps the scale.
  for (const nn::Init init :
       {nn::Init::kHeNormal, nn::Init::kOrthogonal, nn::Init::kXavierNormal, nn::Init::kNormal}) {
    const double normalized = growth(init, nn::Normalization::kLayer);
    INFO(to_string(init));
    CAPTURE(normalized);
    CHECK(normalized > 0.05);
    CHECK(normalized < 20.0);
  }
}
