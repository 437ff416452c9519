// Data-parallel training over MPI: each rank evaluates its share of every minibatch and the
// shares are summed in rank order, so the ranks take one step; against the same training in one
// process, the iterates agree to rounding (the minibatch sum is added in another order). Run
// under `mpirun -np 4` (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include "../training_data.hpp"
#include "mpi_session.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;
using sgda::testing::mpi_session;

namespace {

Summary train(StepRuleType rule, SamplingType sampling, bool data_parallel) {
  TrainingOptions t;
  t.hidden = "16,8";
  t.seed = 3;
  TrainingProblem problem(TrainingTask::kClassifier, t, sgda::testing::blobs(120, 6, 3, 1));
  if (data_parallel) problem.set_data_parallel(&mpi_session->processes());
  EstimatorOptions e;
  e.sampling = sampling;
  e.batch_size = 30;  // 7 or 8 examples a rank
  auto estimator = make_estimator(e, problem);
  StepRuleOptions r;
  r.rule = rule;
  auto step = make_step_rule(r);
  SolverOptions o;
  o.max_iterations = 80;
  o.log_every = 20;
  o.seed = 11;
  o.checkpoint_seconds = 0.0;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = rule == StepRuleType::kLars ? 0.5 : 0.01;
  if (data_parallel) o.processes = &mpi_session->processes();
  return solve(problem, *estimator, *step, o, problem.initial_point());
}

}  // namespace

TEST_CASE("data-parallel training over MPI takes the steps of one process", "[mpi][training]") {
  for (const StepRuleType rule : {StepRuleType::kAdam, StepRuleType::kLamb, StepRuleType::kLars})
    for (const SamplingType sampling : {SamplingType::kNice, SamplingType::kShuffle}) {
      INFO(to_string(rule) << " " << to_string(sampling));
      const Summary parallel = train(rule, sampling, true);
      const Summary alone = train(rule, sampling, false);
      CHECK(parallel.counters.sample_evaluations == alone.counters.sample_evaluations);
      CHECK((parallel.x - alone.x).norm() <= 1e-10 * alone.x.norm());
      CHECK((parallel.x - alone.x).norm() > 0.0);  // the sum was split: not one process's bits
      // Every rank holds the same iterate, bit for bit.
      Vector first = parallel.x;
      Vector sum = parallel.x;
      mpi_session->processes().sum_in_rank_order(sum);
      CHECK(sum == 4.0 * first);
      CHECK(parallel.trace.relative_distance_sq.size() == alone.trace.relative_distance_sq.size());
    }
}

TEST_CASE("data-parallel training refuses batch normalization", "[mpi][training]") {
  TrainingOptions t;
  t.hidden = "8";
  t.normalization = nn::Normalization::kBatch;
  TrainingProblem problem(TrainingTask::kClassifier, t, sgda::testing::blobs(40, 6, 3, 1));
  CHECK_THROWS_WITH(problem.set_data_parallel(&mpi_session->processes()),
                    Catch::Contains("data-parallel training over MPI"));
}
