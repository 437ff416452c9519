// The MPI session of the test binary (main.cpp), for the tests.
#pragma once

#include "sgda/mpi/session.hpp"

namespace sgda::testing {
extern sgda::mpi::Session* mpi_session;
}
