// A small synthetic data set that the training and curvature tests share.
#pragma once

#include <cmath>
#include <memory>

#include "sgda/problems/training.hpp"
#include "sgda/rng.hpp"

namespace sgda::testing {

// A small synthetic data set: two Gaussian blobs per class in R^d.
inline std::shared_ptr<const Dataset> blobs(Index n, Index d, Index classes, std::uint64_t seed,
                                            bool regression = false) {
  Rng rng(seed);
  auto d_set = std::make_shared<Dataset>();
  d_set->name = "blobs";
  d_set->classes = regression ? 0 : classes;
  d_set->features.resize(d, n);
  if (regression) d_set->targets.resize(2, n);
  for (Index i = 0; i < n; ++i) {
    const Index c = i % classes;
    for (Index j = 0; j < d; ++j)
      d_set->features(j, i) = float((j == c ? 1.5 : 0.0) + 0.5 * rng.normal());
    if (regression) {
      d_set->targets(0, i) = float(d_set->features(0, i) - 0.5 * d_set->features(1, i));
      d_set->targets(1, i) = float(std::sin(d_set->features(2, i)));
    } else {
      d_set->labels.push_back(c);
    }
  }
  d_set->test_features = d_set->features.leftCols(n / 2);
  if (regression)
    d_set->test_targets = d_set->targets.leftCols(n / 2);
  else
    d_set->test_labels.assign(d_set->labels.begin(), d_set->labels.begin() + n / 2);
  return d_set;
}

}  // namespace sgda::testing
