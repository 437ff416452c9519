// One training step of the deep autoencoder 784-1000-500-250-30 (and its mirror; 2.8 million
// parameters) at batch 128 — a drawn batch's forward and reverse pass, then the step rule —
// for Adam, MBF and K-FAC at their defaults, on random pixels. The three alternate in blocks of
// steps that are a multiple of the statistics and refresh periods, so each block pays its
// share of them; medians of the blocks. The goal (issue 14): an MBF step costs at most twice
// an Adam step.
//
//   build/sgda_fisher_benchmark          (Release build)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "sgda/estimators/sampling.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/step.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sgda::Index;
using sgda::Vector;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main() {
  const Index batch = 128, examples = 4096;
  sgda::Rng rng(1);
  auto data = std::make_shared<sgda::Dataset>();
  data->name = "random";
  data->features.resize(784, examples);
  for (Index k = 0; k < data->features.size(); ++k)
    data->features(k) = static_cast<float>(rng.uniform());
  sgda::TrainingOptions o;  // 1000,500,250,30 and the mirror
  const sgda::TrainingProblem problem(sgda::TrainingTask::kAutoencoder, o, data);
  auto sampling = sgda::make_shuffled_sampling(examples, batch);
  sgda::SampleDraw draw;
  draw.indices.assign(std::size_t(batch), 0);
  draw.weights.assign(std::size_t(batch), 0.0);

  struct Rule {
    const char* name;
    std::unique_ptr<sgda::StepRule> rule;
    Vector x;
    std::vector<double> seconds;
  };
  std::vector<Rule> rules;
  sgda::StepRuleOptions defaults;
  for (const auto type :
       {sgda::StepRuleType::kAdam, sgda::StepRuleType::kMbf, sgda::StepRuleType::kKfac}) {
    sgda::StepRuleOptions r;
    r.rule = type;
    Rule rule{nullptr, sgda::make_step_rule(r), problem.initial_point(), {}};
    rule.rule->reset(problem);
    rule.name = type == sgda::StepRuleType::kAdam  ? "Adam"
                : type == sgda::StepRuleType::kMbf ? "MBF (row blocks of 16)"
                                                   : "K-FAC";
    rules.push_back(std::move(rule));
  }
  Vector next(problem.dim()), g(problem.dim()), ws(problem.dim());
  auto steps = [&](Rule& r, Index count) {
    for (Index s = 0; s < count; ++s) {
      sampling->draw(rng, draw);
      problem.sample_sum(draw, r.x, g, ws);
      r.rule->apply(1e-3, g, r.x, next);
      r.x.swap(next);
    }
  };
  // A block covers whole periods of the statistics and of the refresh.
  const Index block = std::max(defaults.update_every, defaults.refresh_every), repeats = 3;
  for (Rule& r : rules) steps(r, block);  // warm up: workspaces, the first statistics
  for (Index k = 0; k < repeats; ++k)
    for (Rule& r : rules) {
      const auto start = Clock::now();
      steps(r, block);
      r.seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count() /
                          double(block));
    }
  std::printf(
      "autoencoder 784-1000-500-250-30-250-500-1000-784 (%lld parameters), batch %lld,\n"
      "one training step (median of %lld blocks of %lld steps; statistics every %lld,\n"
      "factors every %lld steps)\n",
      static_cast<long long>(problem.dim()), static_cast<long long>(batch),
      static_cast<long long>(repeats), static_cast<long long>(block),
      static_cast<long long>(defaults.update_every),
      static_cast<long long>(defaults.refresh_every));
  const double adam = median(rules.front().seconds);
  for (Rule& r : rules)
    std::printf("%-24s %9.2f ms   %5.2f x Adam\n", r.name, 1e3 * median(r.seconds),
                median(r.seconds) / adam);
  std::printf("goal: MBF <= 2 x Adam\n");
  return 0;
}
