// Builds estimators by name, so problem files and flags map onto the C++ API. Every method is one
// registration (methods() in estimators/registry.cpp): its enumerator, its name, a one-line
// summary and its factory. Its options are rows of EstimatorOptions::table() that say which
// methods they apply to.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/estimators/compressor.hpp"
#include "sgda/estimators/delayed.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/options.hpp"
#include "sgda/problem.hpp"

namespace sgda {

enum class Method { kSgda, kLSvrgda, kQsgda, kDianaSgda, kVrDianaSgda, kCoordinateSgda, kSegaSgda };
template <>
const std::vector<EnumValue<Method>>& enum_values<Method>();

// How SGDA draws its samples (estimators/sampling.hpp).
enum class SamplingType { kUniform, kNice, kImportance, kShuffle, kAdaptive };
template <>
const std::vector<EnumValue<SamplingType>>& enum_values<SamplingType>();

struct EstimatorOptions {
  Method method = Method::kSgda;
  SamplingType sampling = SamplingType::kUniform;  // sgda
  Index batch_size = 1;  // sgda with nice, shuffle or adaptive sampling: τ ∈ [1, n]
  // sgda with adaptive sampling: the weight of a sample's old norm estimate when it is drawn
  // again, and the share of uniform sampling mixed in (every π_i ≥ mixing·b/n).
  double adaptive_decay = 0.5;
  double adaptive_mixing = 0.1;
  // l-svrgda: snapshot probability p ∈ (0, 1], unset = 1/n; vr-diana-sgda: local p, unset =
  // 1/m_loc.
  std::optional<double> probability;
  Index workers = 1;                        // distributed methods: W, must divide n
  LocalOracle local = LocalOracle::kExact;  // qsgda, diana-sgda: exact | sample
  CompressorOptions compressor;             // distributed methods
  std::optional<double> alpha;  // diana-sgda, vr-diana-sgda: shift step; unset = theory's
  // Any method: estimates at the iterate of up to `delay` steps before (DelayedEstimator);
  // 0 = none.
  Index delay = 0;
  DelayModel delay_model = DelayModel::kFixed;
  Index delay_workers = 4;  // the workers delay model's P

  static const OptionTable<EstimatorOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// One registration per method.
struct MethodInfo {
  Method method;
  const char* name;
  const char* summary;
  // Builds the estimator for `problem`; options are valid, the problem-dependent checks
  // (workers divide n, k ≤ D, batch_size ≤ n) are the factory's.
  std::unique_ptr<Estimator> (*make)(const EstimatorOptions& options, const Problem& problem);
};
const std::vector<MethodInfo>& methods();

// The estimator of `options` for `problem`, bound to it (solve() refuses it on another problem).
// Throws InputError naming the EstimatorOptions field when an option is out of range for
// `problem`.
std::unique_ptr<Estimator> make_estimator(const EstimatorOptions& options, const Problem& problem);

}  // namespace sgda
