// The step rules that the generic step-rule tests run on games: every rule but the Fisher rules
// (mbf, kfac), which precondition a network's dense layers and refuse other problems; their
// tests are tests/test_fisher.cpp.
#pragma once

#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda::testing {

inline std::vector<std::string> game_step_rules() {
  std::vector<std::string> names;
  for (const std::string& name : enum_names<StepRuleType>())
    if (name != "mbf" && name != "kfac") names.push_back(name);
  return names;
}

}  // namespace sgda::testing
