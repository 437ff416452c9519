// A game file split over the ranks: each rank holds its workers' samples only, and a run on the
// parts is the in-process run on the whole game, bit for bit (iterates, distances, residuals).
// Run under `mpirun -np 4` (tests/CMakeLists.txt).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "mpi_session.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/mpi/game_part.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;
using sgda::testing::mpi_session;

namespace {

// One file for all ranks: rank 0 writes it, the others wait.
std::string shared_game_file(const AffineGame& game) {
  const std::string path = "/tmp/sgda_mpi_game_part_" + std::to_string(getppid()) + ".h5";
  if (mpi_session->rank() == 0) save_affine_game(path, game);
  mpi_session->barrier();
  return path;
}

Summary run(const Problem& problem, const std::string& method, Index workers, bool over_mpi) {
  EstimatorOptions e;
  e.method = parse_enum<Method>(method);
  e.workers = workers;
  e.local = parse_enum<LocalOracle>(method == "vr-diana-sgda" ? "svrg" : "exact");
  e.compressor.type = CompressorType::kRandK;
  e.compressor.k = 3;
  auto estimator = make_estimator(e, problem);
  SolverOptions o;
  o.max_iterations = 200;
  o.log_every = 20;
  o.seed = 3;
  o.checkpoint_seconds = 0.0;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.02;
  if (over_mpi) {
    dynamic_cast<DistributedEstimator&>(*estimator)
        .set_communicator(mpi_session->communicator(workers));
    o.processes = &mpi_session->processes();
  }
  ProxStep step;
  return solve(problem, *estimator, step, o, Vector::Zero(problem.dim()));
}

}  // namespace

TEST_CASE("a game split over the ranks runs as the whole game bit for bit", "[mpi]") {
  QuadraticGameOptions g;
  g.samples = 48;
  g.dimension = 6;
  g.noise = 0.3;
  g.offset_noise = 0.3;
  g.seed = 9;
  const AffineGame whole = generate_quadratic_game(g);
  const std::string path = shared_game_file(whole);
  const AffineGame loaded = load_affine_game(path);
  for (const char* method : {"qsgda", "diana-sgda", "vr-diana-sgda"})
    for (Index workers : {4, 8, 12}) {
      INFO(method << " workers=" << workers);
      const auto part = mpi::load_game_part(*mpi_session, path, workers, nullptr);
      CHECK(part->held_samples() == 12);  // 48 samples over 4 ranks
      CHECK(part->num_samples() == 48);
      const Summary split = run(*part, method, workers, true);
      const Summary alone = run(loaded, method, workers, false);
      CHECK(split.x == alone.x);
      CHECK(split.trace.relative_distance_sq == alone.trace.relative_distance_sq);
      CHECK(split.trace.residual_sq == alone.trace.residual_sq);
      CHECK(split.trace.bits == alone.trace.bits);
    }
  mpi_session->barrier();
  if (mpi_session->rank() == 0) std::remove(path.c_str());
}

TEST_CASE("a split game refuses what needs every sample", "[mpi]") {
  QuadraticGameOptions g;
  g.samples = 8;
  g.dimension = 2;
  const std::string path = shared_game_file(generate_quadratic_game(g));
  const auto part = mpi::load_game_part(*mpi_session, path, 4, nullptr);
  CHECK_THROWS_WITH(part->constants(), Catch::Contains("need every sample"));
  Vector out(part->dim());
  const Index other = (mpi_session->rank() + 1) % 4 * 2;  // a sample of the next rank
  CHECK_THROWS_WITH(part->sample(other, Vector::Zero(part->dim()), out),
                    Catch::Contains("held by another MPI rank"));
  // A file that is not there: every rank fails, with its own error.
  CHECK_THROWS_WITH(mpi::load_game_part(*mpi_session, path + ".missing", 4, nullptr),
                    Catch::Contains(".missing"));
  mpi_session->barrier();
  if (mpi_session->rank() == 0) std::remove(path.c_str());
}
