// [step], [step.<player>], scheme and averaging in problem files: parsing, errors, round trip.
#include <catch2/catch.hpp>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/steps/blockwise_step.hpp"

using namespace sgda;

namespace {

const std::string kHead =
    "[problem]\ntype = \"quadratic\"\nsamples = 4\ndimension = 2\n[method]\nname = \"sgda\"\n";

}  // namespace

TEST_CASE("step tables: a rule for every player, or per player with a scale", "[steps][config]") {
  const RunConfig config = parse_run_config(kHead +
                                                "[step]\nrule = \"adam\"\nbeta1 = 0.5\n"
                                                "[step.y]\nrule = \"momentum\"\nmomentum = 0.8\n"
                                                "scale = 4\n[run]\nscheme = \"alternating\"\n"
                                                "averaging = \"ema\"\nema_decay = 0.9\n",
                                            "t.toml");
  CHECK(config.step.all.rule.rule == sgda::StepRuleType::kAdam);
  CHECK(config.step.all.rule.beta1 == 0.5);
  REQUIRE(config.step.players.size() == 1);
  CHECK(config.step.players[0].player == "y");
  CHECK(config.step.players[0].settings.rule.rule == sgda::StepRuleType::kMomentum);
  CHECK(config.step.players[0].settings.rule.momentum == 0.8);
  CHECK(config.step.players[0].settings.scale == 4.0);
  CHECK(config.solver.scheme == sgda::Scheme::kAlternating);
  CHECK(config.solver.averaging == sgda::Averaging::kEma);
  CHECK(config.solver.ema_decay == 0.9);
  CHECK(dynamic_cast<BlockwiseStep*>(build_step(config).get()) != nullptr);
  // The effective configuration written into run files reads back to the same settings.
  CHECK(to_settings(parse_run_config(to_toml(config), "t.toml")) == to_settings(config));
  // Without player tables the rule itself is used.
  const RunConfig plain = parse_run_config(kHead + "[step]\nrule = \"optimistic\"\n", "p.toml");
  CHECK(build_step(plain)->name() == "optimistic");
}

TEST_CASE("bad step tables name the field and what is accepted", "[steps][config]") {
  struct Case {
    std::string toml, expected;
  };
  const std::vector<Case> cases = {
      {"[step]\nrule = \"adamm\"\n", "step.rule: unknown \"adamm\" (did you mean \"adam\"?)"},
      {"[step]\nrule = \"adam\"\nmomentum = 0.5\n",
       "step.momentum: applies only to rule = \"momentum\" or \"nesterov\" or \"lars\" or "
       "\"mbf\" or \"kfac\" or \"rmsprop\" (here rule = \"adam\", whose keys are beta1, beta2, "
       "epsilon, weight_decay, "
       "decoupled_weight_decay, amsgrad, no_decay)"},
      {"[step]\nrule = \"momentum\"\nbeta2 = 0.5\n",
       "step.beta2: applies only to rule = \"adam\" or \"adamw\" or \"nadam\" or \"lamb\" (here "
       "rule = \"momentum\""},
      {"[step]\nrule = \"adam\"\nbeta1 = 1.5\n", "step.beta1: must be a number in [0, 1), got 1.5"},
      {"[step]\nscale = -1\n", "step.scale: must be a number > 0"},
      {"[step]\nlr = 0.1\n", "step.lr: unknown key"},
      {"[step.y]\nrule = \"adam\"\n[step.y.z]\nrule = \"prox\"\n", "do not nest"},
      {"[step.y]\nepsilon = 0\nrule = \"adam\"\n", "step.y.epsilon: must be a number > 0, got 0"},
      {"[run]\nscheme = \"extra\"\n", "run.scheme: unknown \"extra\""},
      {"[run]\naveraging = \"mean\"\n", "run.averaging: unknown \"mean\""},
      {"[run]\nema_decay = 1\n",
       "run.ema_decay: applies only to averaging = \"ema\" (here averaging = \"none\")"},
      {"[run]\naveraging = \"ema\"\nema_decay = 1\n",
       "run.ema_decay: must be a number in (0, 1), got 1"},
  };
  for (const Case& c : cases) {
    INFO(c.toml);
    CHECK_THROWS_WITH(parse_run_config(kHead + c.toml, "bad.toml"),
                      Catch::Contains("bad.toml:") && Catch::Contains(c.expected));
  }
}
