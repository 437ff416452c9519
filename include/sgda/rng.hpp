// A small, fully specified random number generator (xoshiro256**, seeded by splitmix64).
// Every distribution is written out here, not taken from <random>, so a seed gives the same
// stream on every platform and standard library: runs are bitwise reproducible.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace sgda {

__extension__ using Uint128 = unsigned __int128;  // GCC/Clang; silences -Wpedantic

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

  void reseed(std::uint64_t seed) {
    std::uint64_t z = seed;
    for (auto& word : state_) word = splitmix64(z);
    has_spare_normal_ = false;
  }

  // An independent stream for a sub-component (a worker, a generator), derived from this one:
  // Rng(next() ^ 0x9e3779b97f4a7c15). Spends one word of this stream.
  Rng split() { return Rng(next() ^ 0x9e3779b97f4a7c15ULL); }

  // Stream number `index` of the family of streams keyed by `seed` (worker m of an iteration of
  // a distributed method: seed = one word of the run's stream, index = m). seed and index are
  // hashed through splitmix64 into the new stream's seed,
  //   a = mix(seed + G),  stream seed = mix((a ^ index) + G),
  // with G = 0x9e3779b97f4a7c15 and mix splitmix64's output function; the xoshiro state is then
  // four successive splitmix64 outputs from that seed, as for Rng(seed). Distinct indices give
  // distinct seeds (mix is a bijection), and two streams share a state word only if their
  // seeds differ by ±G, ±2G or ±3G: probability 6·2^-64 per pair. Seeds seed + c·index with
  // c = G would not do: splitmix64 advances its state by G, so neighbouring indices' states
  // would share three of their four words.
  static Rng stream(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t z = seed;
    const std::uint64_t a = splitmix64(z);  // mix(seed + G)
    z = a ^ index;
    return Rng(splitmix64(z));  // mix((a ^ index) + G)
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform on {0, ..., n-1}, unbiased (Lemire's multiply-and-reject).
  std::uint64_t index(std::uint64_t n) {
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal by the Marsaglia polar method.
  double normal() {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_normal_ = v * factor;
    has_spare_normal_ = true;
    return u * factor;
  }

  // The complete state, for checkpoints.
  struct State {
    std::array<std::uint64_t, 4> words;
    bool has_spare_normal;
    double spare_normal;
  };
  State state() const { return {state_, has_spare_normal_, spare_normal_}; }
  void set_state(const State& s) {
    state_ = s.words;
    has_spare_normal_ = s.has_spare_normal;
    spare_normal_ = s.spare_normal;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& z) {
    std::uint64_t r = (z += 0x9e3779b97f4a7c15ULL);
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
    r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
    return r ^ (r >> 31);
  }

  std::array<std::uint64_t, 4> state_{};
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace sgda
