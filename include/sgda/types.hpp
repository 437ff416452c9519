// Basic types shared by every part of sgda.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace sgda {

using Index = Eigen::Index;
using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;
// Interfaces take views so callers can pass whole vectors or segments without copies.
using VectorRef = Eigen::Ref<Vector>;
using ConstVectorRef = Eigen::Ref<const Vector>;

// A named slice of the variable x: a player of a game, a layer of a network.
// `maximize` records that this player maximizes the game objective; the operator F already
// carries the sign (F = (∇_{x1} f, −∇_{x2} f)), so every step rule moves along −F.
// Every entry finite. A sum with a ±inf or NaN term is never finite, so a finite sum settles it
// in one cheap vectorized pass; otherwise v_i − v_i is +0 for finite v_i and NaN for the others
// (the sum may just have overflowed). Eigen's allFinite() branches per entry, which costs more
// than the rest of a cheap iteration.
inline bool all_finite(const Eigen::Ref<const Eigen::VectorXd>& v) {
  return std::isfinite(v.sum()) || (v - v).sum() == 0.0;
}

struct Block {
  std::string name;
  Index offset = 0;
  Index size = 0;
  bool maximize = false;
};

// A player of a game: the blocks whose names share the part before the first '.'
// ("generator" owns generator.layer0.weight, generator.layer0.bias, ...; a name without a '.'
// is a player of its own), in the order of the problem's blocks. Players are derived from the
// block names (players_of, Problem::players), the same rule by which a per-player step rule
// (BlockwiseStep) matches "generator" to every generator.* block. The alternating scheme moves
// one player at a time: all its blocks together, from one estimate.
struct Player {
  std::string name;
  std::vector<Block> blocks;
  // Whether `block` is one of this player's blocks (same offset and size). No allocation.
  bool contains(const Block& block) const {
    for (const Block& b : blocks)
      if (b.offset == block.offset && b.size == block.size) return true;
    return false;
  }
};

// Exact, cheap oracle counters. Metrics computed for logging are never counted.
struct Counters {
  std::int64_t iterations = 0;
  std::int64_t sample_evaluations = 0;      // F_i calls; a full F counts as n of them
  std::int64_t full_evaluations = 0;        // full F calls (also included above)
  std::int64_t coordinate_evaluations = 0;  // single coordinates [F(x)]_j
  std::int64_t bits = 0;                    // bits sent uplink, summed over workers
};

}  // namespace sgda
