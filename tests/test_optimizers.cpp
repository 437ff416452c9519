// The deep-network step rules against torch.optim's algorithms: golden trajectories computed
// independently (tests/golden/optimizers.py, plain Python re-implementing torch's documented
// algorithms), on a weight block and a bias block, to 1e-12; LARS's and LAMB's trust ratios;
// parameter groups; gradient clipping; the maximize convention; checkpointed state.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "sgda/problem.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/clipped_step.hpp"
#include "sgda/steps/lamb_step.hpp"
#include "sgda/steps/lars_step.hpp"
#include "step_rules.hpp"

using namespace sgda;

namespace {

struct GoldenCase {
  std::string name, options;
  double gamma;
  bool maximize;  // the blocks maximize: the rule sees F = −grad
  std::vector<std::vector<double>> iterates;
};

#include "golden/optimizers_golden.inc"

// A problem only to carry blocks: a weight and a bias block, as nn::Network names them.
class Blocks final : public Problem {
 public:
  explicit Blocks(std::vector<Block> blocks) : blocks_(std::move(blocks)) {
    for (const Block& b : blocks_) dim_ = std::max(dim_, b.offset + b.size);
  }
  std::string name() const override { return "blocks"; }
  Index dim() const override { return dim_; }
  Index num_samples() const override { return 1; }
  void sample(Index, ConstVectorRef, VectorRef out) const override { out.setZero(); }
  std::vector<Block> blocks() const override { return blocks_; }

 private:
  std::vector<Block> blocks_;
  Index dim_ = 0;
};

Blocks layer(Index weights, Index biases, bool maximize = false) {
  return Blocks(
      {{"layer0.weight", 0, weights, maximize}, {"layer0.bias", weights, biases, maximize}});
}

// StepRuleOptions from "key=value key=value" through the option table, as a file sets them.
StepRuleOptions options_from(const std::string& text) {
  std::vector<GivenValue> given;
  std::istringstream in(text);
  std::string pair;
  while (in >> pair) {
    const auto eq = pair.find('=');
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    given.push_back(
        {key, key, [value](FieldType type, const std::string& accepted, std::string* problem) {
           return parse_text(type, value, accepted, problem);
         }});
  }
  StepRuleOptions o;
  apply_values(StepRuleOptions::table(), o, given,
               [](const GivenValue& g, const std::string& problem) {
                 return InputError(g.key + ": " + problem);
               });
  return o;
}

Vector vec(const std::vector<double>& v) {
  return Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size()));
}

double max_relative_error(const Vector& a, const Vector& b) {
  double worst = 0.0;
  for (Index i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  return worst;
}

}  // namespace

TEST_CASE("each rule follows torch.optim's algorithm on a weight and a bias block",
          "[steps][optimizers]") {
  REQUIRE(kGoldenCases.size() >= 25);
  for (const GoldenCase& c : kGoldenCases) {
    INFO(c.name << ": " << c.options);
    const Blocks problem = layer(3, 2, c.maximize);
    auto rule = make_step_rule(options_from(c.options));
    rule->reset(problem);
    Vector x = vec(kGoldenX0), next(5);
    REQUIRE(x == vec(c.iterates[0]));
    for (std::size_t k = 0; k < kGoldenGrads.size(); ++k) {
      INFO("step " << k + 1);
      const Vector g = (c.maximize ? -1.0 : 1.0) * vec(kGoldenGrads[k]);  // F carries the sign
      rule->apply(c.gamma, g, x, next);
      x = next;
      CHECK(max_relative_error(x, vec(c.iterates[k + 1])) <= 1e-12);
    }
  }
}

TEST_CASE("the default step sizes are torch.optim's", "[steps][optimizers]") {
  auto gamma = [](const std::string& rule) {
    return make_step_rule(options_from("rule=" + rule))->default_step_size().gamma;
  };
  CHECK(std::isnan(gamma("sgd")));  // torch ≥ 2 has none for SGD
  CHECK(std::isnan(gamma("momentum")));
  CHECK(std::isnan(gamma("lars")));
  CHECK(gamma("adagrad") == 1e-2);
  CHECK(gamma("rmsprop") == 1e-2);
  CHECK(gamma("adam") == 1e-3);
  CHECK(gamma("adamw") == 1e-3);
  CHECK(gamma("nadam") == 2e-3);
  CHECK(gamma("lamb") == 1e-3);
  const StepRuleOptions d;
  CHECK(d.epsilon == 1e-8);
  CHECK(d.adagrad_epsilon == 1e-10);
  CHECK(d.lamb_epsilon == 1e-6);
  CHECK(d.alpha == 0.99);
  CHECK(d.momentum_decay == 0.004);
  CHECK(d.trust_coefficient == 1e-3);
  CHECK(options_from("rule=rmsprop").rmsprop_momentum == 0.0);
  CHECK(options_from("rule=rmsprop momentum=0.5").rmsprop_momentum == 0.5);
  CHECK(options_from("rule=lamb epsilon=1e-5").lamb_epsilon == 1e-5);
  // AdamW decays by torch's 0.01 unless told otherwise; the other rules by nothing.
  CHECK(d.weight_decay == 0.0);
  CHECK(options_from("rule=adamw").adamw_weight_decay == 0.01);
  CHECK(options_from("rule=adamw weight_decay=0.2").adamw_weight_decay == 0.2);
  const Blocks problem = layer(3, 2);
  auto adamw = make_step_rule(options_from("rule=adamw"));
  auto same =
      make_step_rule(options_from("rule=adam decoupled_weight_decay=true weight_decay=0.01"));
  auto adam = make_step_rule(options_from("rule=adam"));
  Vector x = vec(kGoldenX0), a(5), b(5), c(5);
  for (auto* rule : {&adamw, &same, &adam}) (*rule)->reset(problem);
  adamw->apply(0.1, vec(kGoldenGrads[0]), x, a);
  same->apply(0.1, vec(kGoldenGrads[0]), x, b);
  adam->apply(0.1, vec(kGoldenGrads[0]), x, c);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("LARS and LAMB move a weight block by gamma phi(|x|) and a bias block without a ratio",
          "[steps][optimizers]") {
  const Index n = 40, biases = 7;
  const Blocks problem = layer(n, biases);
  Vector x(n + biases), g(n + biases), next(n + biases);
  for (Index i = 0; i < n + biases; ++i) {
    x[i] = std::sin(1.0 + 0.7 * double(i)) * 3.0;
    g[i] = std::cos(0.3 * double(i)) * 1e-2 * (1.0 + double(i % 5));
  }
  const double gamma = 0.1;
  auto weight = [&](const Vector& v) { return v.head(n); };
  auto bias = [&](const Vector& v) { return v.tail(biases); };

  SECTION("LARS: the first step of a weight block has norm gamma eta |x|") {
    for (const double lambda : {0.0, 0.5}) {
      StepRuleOptions o = options_from("rule=lars trust_coefficient=0.01");
      o.weight_decay = lambda;
      auto lars = make_step_rule(o);
      lars->reset(problem);
      lars->apply(gamma, g, x, next);
      CHECK((weight(x) - weight(next)).norm() ==
            Approx(gamma * 0.01 * weight(x).norm()).epsilon(1e-13));
      // The update is along g + λx; the bias block: q = 1 and no decay, a plain step γg.
      const Vector d = weight(g) + lambda * weight(x);
      CHECK((weight(x) - weight(next)).normalized().isApprox(d.normalized(), 1e-13));
      CHECK(bias(next).isApprox(bias(x) - gamma * bias(g), 1e-15));
    }
  }
  SECTION("LAMB: every step of a weight block has norm gamma phi(|x|)") {
    for (const std::string variant :
         {"rule=lamb", "rule=lamb weight_decay=0.3 bias_correction=false",
          "rule=lamb phi=clip phi_min=0.1 phi_max=2",
          "rule=lamb phi=clip phi_min=100 phi_max=200"}) {
      INFO(variant);
      const StepRuleOptions o = options_from(variant);
      auto lamb = make_step_rule(o);
      lamb->reset(problem);
      const LambStep& typed = dynamic_cast<const LambStep&>(*lamb);
      Vector z = x;
      for (int k = 0; k < 4; ++k) {
        const Vector gk = g * double(k + 1) * (k % 2 ? -1.0 : 1.0);
        lamb->apply(gamma, gk, z, next);
        const double phi = typed.phi(weight(z).norm());
        if (o.phi == TrustNorm::kClip) CHECK(phi != weight(z).norm());  // the clip is active
        CHECK((weight(z) - weight(next)).norm() == Approx(gamma * phi).epsilon(1e-13));
        z = next;
      }
    }
    // The bias block: Adam without decay, whatever λ (t = 1: γ g/(|g| + ε)).
    auto lamb = make_step_rule(options_from("rule=lamb weight_decay=0.5"));
    lamb->reset(problem);
    lamb->apply(gamma, g, x, next);
    const Vector adam = bias(g).array() / (bias(g).array().abs() + 1e-6);
    CHECK(bias(next).isApprox(bias(x) - gamma * adam, 1e-14));
  }
  SECTION("a norm of 0 gives ratio 1") {
    Vector zero = x;
    zero.head(n).setZero();
    auto lars = make_step_rule(options_from("rule=lars"));
    lars->reset(problem);
    lars->apply(gamma, g, zero, next);
    CHECK(weight(next).isApprox(-gamma * weight(g), 1e-15));
    auto lamb = make_step_rule(options_from("rule=lamb"));
    lamb->reset(problem);
    lamb->apply(gamma, Vector::Zero(n + biases), x, next);  // r = 0
    CHECK(next == x);
  }
}

TEST_CASE("parameter groups: patterns, none, and a predicate of the C++ API",
          "[steps][optimizers]") {
  const Blocks problem({{"generator.layer0.weight", 0, 2, false},
                        {"generator.layer0.bias", 2, 1, false},
                        {"discriminator.layer1.bias", 3, 1, true},
                        {"discriminator.norm.scale", 4, 1, true}});
  const Vector x = Vector::Constant(5, 2.0), g = Vector::Zero(5);
  Vector next(5);
  auto decayed = [&](const std::string& options, BlockPredicate predicate = nullptr) {
    auto rule = make_step_rule(options_from(options), std::move(predicate));
    rule->reset(problem);
    rule->apply(0.1, g, x, next);
    std::vector<bool> out;
    for (Index i = 0; i < 5; ++i) out.push_back(next[i] != x[i]);  // g = 0: only decay moves x
    return out;
  };
  using V = std::vector<bool>;
  for (const std::string rule :
       {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam"}) {
    INFO(rule);
    const std::string o = "rule=" + rule + " weight_decay=0.1";
    CHECK(decayed(o) == V{true, true, false, false, true});
    CHECK(decayed(o + " no_decay=") == V{true, true, true, true, true});
    CHECK(decayed(o + " no_decay=bias,norm.scale") == V{true, true, false, false, false});
    CHECK(decayed(o, [](const Block& b) { return b.name.rfind("generator.", 0) == 0; }) ==
          V{false, false, false, true, true});
  }
  CHECK(name_ends_with("") == nullptr);
  CHECK(name_ends_with(" , ") == nullptr);
}

TEST_CASE("clipping by global norm, block norm and value, before the rule sees g",
          "[steps][optimizers]") {
  const Blocks problem = layer(3, 2);
  const Vector g = (Vector(5) << 3.0, -4.0, 0.0, 1.0, -2.0).finished();  // norms 5, √5; total √30
  const Vector x = Vector::Zero(5);
  Vector out(5), next(5);
  auto clipper = [&](ClippedStep::Clip clip) {
    ClippedStep c(make_step_rule(options_from("rule=prox")), clip);
    c.reset(problem);
    return c;
  };
  SECTION("global norm: scaled to the threshold exactly, over all blocks") {
    ClippedStep c = clipper({.norm = 2.0});
    c.clip(g, out, nullptr);
    CHECK(out.norm() == Approx(2.0).epsilon(1e-15));
    CHECK(out.isApprox(g * (2.0 / std::sqrt(30.0)), 1e-15));
    ClippedStep loose = clipper({.norm = 6.0});  // under the threshold: unchanged
    loose.clip(g, out, nullptr);
    CHECK(out == g);
  }
  SECTION("per block norm") {
    ClippedStep c = clipper({.block_norm = 2.5});
    c.clip(g, out, nullptr);
    CHECK(out.head(3).norm() == Approx(2.5).epsilon(1e-15));
    CHECK(out.head(3).isApprox(g.head(3) * 0.5, 1e-15));
    CHECK(out.tail(2) == g.tail(2));  // √5 < 2.5
  }
  SECTION("value") {
    ClippedStep c = clipper({.value = 1.5});
    c.clip(g, out, nullptr);
    CHECK(out == (Vector(5) << 1.5, -1.5, 0.0, 1.0, -1.5).finished());
    ClippedStep loose = clipper({.value = 10.0});
    loose.clip(g, out, nullptr);
    CHECK(out == g);
  }
  SECTION("the options wrap any rule; its state sees the clipped g") {
    StepRuleOptions o = options_from("rule=adam clip_norm=0.5");
    auto clipped = make_step_rule(o);
    clipped->reset(problem);
    AdamStep plain(0.9, 0.999, 1e-8, 0.0, false);
    plain.reset(problem);
    Vector z = x, w = x, next2(5);
    for (int k = 0; k < 3; ++k) {
      const Vector gk = g * double(k + 1);
      clipped->apply(0.1, gk, z, next);
      plain.apply(0.1, gk * (0.5 / gk.norm()), w, next2);
      z = next, w = next2;
    }
    CHECK(z == w);
    CHECK(clipped->name() == "adam");
  }
  SECTION("a player's step clips over that player's blocks only") {
    const Blocks two({{"x", 0, 2, false}, {"y", 2, 2, true}});
    const Vector h = (Vector(4) << 3.0, 4.0, 30.0, 40.0).finished();
    ClippedStep c(make_step_rule(options_from("rule=prox")), {.norm = 1.0});
    c.reset(two);
    const Player y = two.players()[1];
    Vector o = Vector::Constant(4, 7.0);
    c.clip(h, o, &y);
    CHECK(o.head(2) == Vector::Constant(2, 7.0));  // not moved: untouched
    CHECK(o.tail(2).isApprox((Vector(2) << 0.6, 0.8).finished(), 1e-15));
    Vector from = Vector::Ones(4), to(4);
    c.step(0.5, h, from, to, &y);
    CHECK(to.head(2) == from.head(2));
    CHECK(to.tail(2).isApprox(from.tail(2) - 0.5 * o.tail(2), 1e-15));
  }
}

TEST_CASE("every rule is odd: from -x on -g it moves to minus its iterates",
          "[steps][optimizers]") {
  // F carries each player's sign, so a maximizing player's rule sees −∇h, and ascent on h from
  // x mirrors descent on −h from −x: every rule, its state, weight decay, trust ratio and
  // clipping included, maps (−g, −x) to minus its move, bit for bit (rounding is symmetric).
  // With λ = 0 and no trust ratio this is plain sign-equivariance: the move on −g is minus the
  // move on g. (The golden cases "maximize ..." check the same against torch's maximize flag.)
  const Vector x = vec(kGoldenX0);
  for (const std::string& name : sgda::testing::game_step_rules()) {
    INFO(name);
    const Blocks descent = layer(3, 2, false), ascent = layer(3, 2, true);
    const std::string decay =
        name == "prox" || name == "optimistic" ? "" : " weight_decay=0.1 clip_value=2";
    auto down = make_step_rule(options_from("rule=" + name + decay + " clip_norm=3"));
    auto up = make_step_rule(options_from("rule=" + name + decay + " clip_norm=3"));
    down->reset(descent);
    up->reset(ascent);
    Vector a = x, b = -x, next_a(5), next_b(5);
    for (const auto& grad : kGoldenGrads) {
      down->apply(0.05, vec(grad), a, next_a);
      up->apply(0.05, -vec(grad), b, next_b);
      a = next_a, b = next_b;
      CHECK(b == -a);
    }
    CHECK(a != x);
  }
}

TEST_CASE("every rule's state round-trips through a checkpoint bit for bit",
          "[steps][optimizers][checkpoint]") {
  const std::vector<std::string> variants = {
      "rule=sgd weight_decay=0.1",
      "rule=momentum dampening=0.3 weight_decay=0.1",
      "rule=nesterov decoupled_weight_decay=true weight_decay=0.1",
      "rule=adagrad lr_decay=0.1 initial_accumulator_value=0.2",
      "rule=rmsprop",
      "rule=rmsprop centered=true momentum=0.5",
      "rule=adam amsgrad=true",
      "rule=adamw weight_decay=0.1",
      "rule=nadam weight_decay=0.1",
      "rule=lars weight_decay=0.1",
      "rule=lamb weight_decay=0.1",
      "rule=lamb phi=clip bias_correction=false clip_value=1",
      "rule=optimistic",
  };
  const Blocks problem = layer(3, 2);
  for (const std::string& v : variants) {
    INFO(v);
    auto first = make_step_rule(options_from(v));
    first->reset(problem);
    Vector x = vec(kGoldenX0), next(5);
    for (std::size_t k = 0; k < 3; ++k) {
      first->apply(0.05, vec(kGoldenGrads[k]), x, next);
      x = next;
    }
    StateArchive state;
    first->save_state(state);
    auto second = make_step_rule(options_from(v));
    second->reset(problem);
    second->load_state(state);
    Vector y = x, next_y(5);
    for (std::size_t k = 3; k < kGoldenGrads.size(); ++k) {
      first->apply(0.05, vec(kGoldenGrads[k]), x, next);
      second->apply(0.05, vec(kGoldenGrads[k]), y, next_y);
      x = next, y = next_y;
      CHECK(x == y);
    }
  }
}

TEST_CASE("bad step options name the field", "[steps][optimizers]") {
  CHECK_THROWS_WITH(make_step_rule(options_from("rule=lamb phi=clip phi_min=2 phi_max=1")),
                    Catch::Contains("StepRuleOptions::phi_max") && Catch::Contains(">= phi_min"));
  CHECK_THROWS_WITH(options_from("rule=adam dampening=0.1"),
                    Catch::Contains("applies only to rule = \"momentum\" or \"nesterov\""));
  CHECK_THROWS_WITH(options_from("rule=sgd clip_norm=-1"), Catch::Contains("clip_norm"));
  CHECK_THROWS_WITH(options_from("rule=rmsprop alpha=1"), Catch::Contains("[0, 1)"));
}
