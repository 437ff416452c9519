// Per-block step counts (Adam's, AdaGrad's, NAdam's, LAMB's t) in checkpoints: one vector of
// doubles under a key, exact below 2^53.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sgda/error.hpp"
#include "sgda/state.hpp"

namespace sgda::detail {

inline void put_block_counts(StateArchive& out, const std::string& key,
                             const std::vector<std::int64_t>& counts) {
  Vector values(static_cast<Index>(counts.size()));
  for (std::size_t b = 0; b < counts.size(); ++b)
    values[static_cast<Index>(b)] = static_cast<double>(counts[b]);
  out.put(key, values);
}

// counts ← the vector under `key`; throws InputError unless it has one entry per block the rule
// moves (counts.size(), sized at bind).
inline void get_block_counts(const StateArchive& in, const std::string& key,
                             std::vector<std::int64_t>& counts) {
  const Vector& values = in.vector(key);
  if (values.size() != static_cast<Index>(counts.size()))
    throw InputError("checkpoint: step state '" + key + "' has " + std::to_string(values.size()) +
                     " block counts, the step rule moves " + std::to_string(counts.size()) +
                     " blocks");
  for (std::size_t b = 0; b < counts.size(); ++b)
    counts[b] = static_cast<std::int64_t>(values[static_cast<Index>(b)]);
}

}  // namespace sgda::detail
