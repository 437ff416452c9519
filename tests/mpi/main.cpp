// The MPI tests' main (ctest runs it under mpirun -np 4): every rank runs every test, since the
// solves in them are collective; the job fails when a test fails on any rank.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "mpi_session.hpp"

namespace sgda::testing {
sgda::mpi::Session* mpi_session = nullptr;
}

int main(int argc, char** argv) {
  sgda::mpi::Session session;
  sgda::testing::mpi_session = &session;
  const int failed = Catch::Session().run(argc, argv);
  return session.first_failing(failed != 0) >= 0 ? 1 : 0;
}
