#include "sgda/problems/noisy_xor_data.hpp"

#include "sgda/rng.hpp"

namespace sgda {

namespace {

constexpr std::uint64_t kTestStreams = std::uint64_t{1} << 62;
constexpr std::uint64_t kMeansStream = ~std::uint64_t{0};

// One example from its own stream: the cluster (0: +μ₁, 1: −μ₁, 2: +μ₂, 3: −μ₂), the noise,
// then whether its label is flipped.
void draw_example(const NoisyXorDataSpec& spec, const NoisyXorData& data, std::uint64_t stream,
                  Eigen::Ref<Vector> x, double& label, double& clean_label) {
  Rng rng = Rng::stream(spec.seed, stream);
  const std::uint64_t cluster = rng.index(4);
  const Vector& mean = cluster < 2 ? data.mean1 : data.mean2;
  const double sign = cluster % 2 == 0 ? 1.0 : -1.0;
  for (Index j = 0; j < x.size(); ++j) x[j] = sign * mean[j] + rng.normal();
  clean_label = cluster < 2 ? 1.0 : -1.0;
  label = rng.bernoulli(spec.flip) ? -clean_label : clean_label;
}

}  // namespace

NoisyXorData generate_noisy_xor(const NoisyXorDataSpec& spec) {
  const Index p = spec.dimension;
  NoisyXorData data;
  Rng rng = Rng::stream(spec.seed, kMeansStream);
  Vector g1(p), g2(p);
  for (Index j = 0; j < p; ++j) g1[j] = rng.normal();
  for (Index j = 0; j < p; ++j) g2[j] = rng.normal();
  const Vector u1 = g1.normalized();
  g2 -= g2.dot(u1) * u1;
  data.mean1 = spec.mean_norm * u1;
  data.mean2 = spec.mean_norm * g2.normalized();

  data.features.resize(p, spec.samples);
  data.labels.resize(spec.samples);
  data.clean_labels.resize(spec.samples);
  for (Index i = 0; i < spec.samples; ++i)
    draw_example(spec, data, static_cast<std::uint64_t>(i), data.features.col(i), data.labels[i],
                 data.clean_labels[i]);
  data.test_features.resize(p, spec.test_samples);
  data.test_labels.resize(spec.test_samples);
  data.test_clean_labels.resize(spec.test_samples);
  for (Index i = 0; i < spec.test_samples; ++i)
    draw_example(spec, data, kTestStreams + static_cast<std::uint64_t>(i),
                 data.test_features.col(i), data.test_labels[i], data.test_clean_labels[i]);
  return data;
}

}  // namespace sgda
