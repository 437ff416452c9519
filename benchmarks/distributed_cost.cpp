// Per-iteration cost of the distributed and coordinate methods against hand-written loops, and
// the cost of each compressor per coordinate. (Being written; the target exists so that the
// top-level CMakeLists.txt is touched once.)
#include <cstdio>

int main() {
  std::printf("sgda_distributed_benchmark: not written yet\n");
  return 0;
}
