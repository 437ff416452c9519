#include "sgda/registry.hpp"

#include "sgda/error.hpp"
#include "sgda/estimators/coordinate_sgda.hpp"
#include "sgda/estimators/diana_sgda.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/qsgda.hpp"
#include "sgda/estimators/sega_sgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/estimators/vr_diana_sgda.hpp"

namespace sgda {
namespace {

// Runs `build`; an option error of a lower-level factory (its argument `name`, or a
// DistributedSettings field) is reported as the EstimatorOptions field that set it.
template <class Build>
auto as_option(const std::string& field, Build build) {
  try {
    return build();
  } catch (const InputError& e) {
    if (!e.field()) throw;
    throw InputError(FieldError{"EstimatorOptions::" + field, e.field()->problem});
  }
}

DistributedSettings distributed_settings(const EstimatorOptions& o, const Problem& problem) {
  const bool sparse =
      o.compressor.type == CompressorType::kRandK || o.compressor.type == CompressorType::kTopK;
  if (sparse && o.compressor.k > problem.dim())
    throw InputError(FieldError{"EstimatorOptions::compressor.k",
                                "must be at most the dimension " + std::to_string(problem.dim()) +
                                    ", got " + std::to_string(o.compressor.k)});
  as_option("workers", [&] { return resolve_partition(problem, o.workers); });
  DistributedSettings s;
  s.workers = o.workers;
  s.compressor = o.compressor;
  return s;
}

std::unique_ptr<Estimator> make_sgda(const EstimatorOptions& o, const Problem& problem) {
  const Index n = problem.num_samples();
  std::unique_ptr<Sampling> sampling;
  switch (o.sampling) {
    case SamplingType::kNice:
      sampling = as_option("batch_size", [&] { return make_nice_sampling(n, o.batch_size); });
      break;
    case SamplingType::kShuffle:
      sampling = as_option("batch_size", [&] { return make_shuffled_sampling(n, o.batch_size); });
      break;
    case SamplingType::kImportance:
      sampling = as_option("sampling", [&] { return make_lipschitz_importance_sampling(problem); });
      break;
    case SamplingType::kUniform:
      sampling = make_uniform_sampling(n);
      break;
    case SamplingType::kAdaptive:
      sampling = as_option("batch_size", [&] {
        return make_adaptive_sampling(n, o.batch_size, o.adaptive_decay, o.adaptive_mixing);
      });
      break;
  }
  return std::make_unique<SgdaEstimator>(std::move(sampling));
}

}  // namespace

const std::vector<MethodInfo>& methods() {
  // One row per method: a new estimator is its header, its source and a row here (with its
  // enumerator in registry.hpp and, for options of its own, rows in EstimatorOptions::table()).
  static const std::vector<MethodInfo> rows = {
      {Method::kSgda, "sgda", "SGDA with arbitrary sampling: g = F_xi(x)", make_sgda},
      {Method::kLSvrgda, "l-svrgda", "loopless SVRG: g = F_j(x) - F_j(w) + F(w), w <- x w.p. p",
       [](const EstimatorOptions& o, const Problem&) -> std::unique_ptr<Estimator> {
         return std::make_unique<LSvrgdaEstimator>(o.probability.value_or(0.0));
       }},
      {Method::kQsgda, "qsgda", "W workers send Q(g_m); g = mean of Q(g_m)",
       [](const EstimatorOptions& o, const Problem& p) -> std::unique_ptr<Estimator> {
         DistributedSettings s = distributed_settings(o, p);
         s.local = o.local;
         return std::make_unique<QsgdaEstimator>(s);
       }},
      {Method::kDianaSgda, "diana-sgda", "QSGDA with learned shifts h_m (compresses g_m - h_m)",
       [](const EstimatorOptions& o, const Problem& p) -> std::unique_ptr<Estimator> {
         DistributedSettings s = distributed_settings(o, p);
         s.local = o.local;
         s.alpha = o.alpha.value_or(0.0);
         return std::make_unique<DianaSgdaEstimator>(s);
       }},
      {Method::kVrDianaSgda, "vr-diana-sgda", "DIANA shifts over loopless-SVRG local estimators",
       [](const EstimatorOptions& o, const Problem& p) -> std::unique_ptr<Estimator> {
         DistributedSettings s = distributed_settings(o, p);
         s.alpha = o.alpha.value_or(0.0);
         s.probability = o.probability.value_or(0.0);
         return std::make_unique<VrDianaSgdaEstimator>(s);
       }},
      {Method::kCoordinateSgda, "coordinate-sgda", "g = d [F(x)]_j e_j, j uniform",
       [](const EstimatorOptions&, const Problem&) -> std::unique_ptr<Estimator> {
         return std::make_unique<CoordinateSgdaEstimator>();
       }},
      {Method::kSegaSgda, "sega-sgda", "g = h + d([F(x)]_j - h_j) e_j; h_j <- [F(x)]_j",
       [](const EstimatorOptions&, const Problem&) -> std::unique_ptr<Estimator> {
         return std::make_unique<SegaSgdaEstimator>();
       }},
  };
  return rows;
}

template <>
const std::vector<EnumValue<Method>>& enum_values<Method>() {
  static const std::vector<EnumValue<Method>> values = [] {
    std::vector<EnumValue<Method>> out;
    for (const MethodInfo& m : methods()) out.push_back({m.method, m.name, m.summary});
    return out;
  }();
  return values;
}

template <>
const std::vector<EnumValue<SamplingType>>& enum_values<SamplingType>() {
  static const std::vector<EnumValue<SamplingType>> values = {
      {SamplingType::kUniform, "uniform", "one sample uniformly at random, weight 1"},
      {SamplingType::kNice, "nice", "tau distinct samples uniformly at random, weight 1/tau each"},
      {SamplingType::kImportance, "importance",
       "one sample w.p. p_i proportional to L_i, weight 1/(n p_i)"},
      {SamplingType::kShuffle, "shuffle",
       "shuffled epochs: a random permutation per epoch cut into batches of batch_size, "
       "weight 1/batch (random reshuffling; not covered by Theorem 2.2)"},
      {SamplingType::kAdaptive, "adaptive",
       "minimal-variance adaptive: batch_size distinct samples w.p. pi_i proportional to "
       "learned norms ||F_i||, clipped at 1 and mixed with uniform, weight 1/(n pi_i)"},
  };
  return values;
}

const OptionTable<EstimatorOptions>& EstimatorOptions::table() {
  using O = EstimatorOptions;
  static const OptionTable<O> table = [] {
    const std::vector<std::string> distributed = {
        to_string(Method::kQsgda), to_string(Method::kDianaSgda), to_string(Method::kVrDianaSgda)};
    return OptionTable<O>(
        "EstimatorOptions",
        {
            field("name", &O::method, "the method")
                .member_name("method")
                .must_be_given()
                .with_flag("--method"),
            field("sampling", &O::sampling, "how SGDA draws its samples")
                .when("name", {Method::kSgda}),
            field("batch_size", &O::batch_size,
                  "tau, the samples of a nice, shuffled or adaptive batch, at most n")
                .at_least(1)
                .when("name", {Method::kSgda})
                .when("sampling",
                      {SamplingType::kNice, SamplingType::kShuffle, SamplingType::kAdaptive}),
            field("adaptive_decay", &O::adaptive_decay,
                  "weight of a sample's old norm estimate when it is drawn again")
                .bounds(0, false, 1, true)
                .when("name", {Method::kSgda})
                .when("sampling", {SamplingType::kAdaptive}),
            field("adaptive_mixing", &O::adaptive_mixing,
                  "share of uniform sampling mixed in: every pi_i >= mixing * batch_size / n")
                .bounds(0, true, 1, false)
                .when("name", {Method::kSgda})
                .when("sampling", {SamplingType::kAdaptive}),
            field("probability", &O::probability,
                  "snapshot probability p of l-svrgda; the local p of vr-diana-sgda")
                .bounds(0, true, 1, false)
                .defaults_to("1/n (l-svrgda), 1/m_loc (vr-diana-sgda)")
                .when("name", {Method::kLSvrgda, Method::kVrDianaSgda}),
            field("workers", &O::workers, "W, the workers; W divides n")
                .at_least(1)
                .when("name", distributed),
            field("local", &O::local, "each worker's local operator: all its samples, or one")
                .only({LocalOracle::kExact, LocalOracle::kSample})
                .when("name", {Method::kQsgda, Method::kDianaSgda}),
            nest(&O::compressor, "compressor", CompressorOptions::table(), {{"name", distributed}}),
            field("alpha", &O::alpha, "the DIANA shift step")
                .bounds(0, true, 1, false)
                .defaults_to("1/(1+omega) (diana-sgda), min{1/(3 m_loc), 1/(1+omega)} "
                             "(vr-diana-sgda)")
                .when("name", {Method::kDianaSgda, Method::kVrDianaSgda}),
            field("delay", &O::delay,
                  "tau: each estimate at the iterate of up to tau steps before (0 = none)")
                .at_least(0),
            field("delay_model", &O::delay_model, "how the delays tau_k <= delay are made"),
            field("delay_workers", &O::delay_workers, "P, the simulated workers of the delays")
                .at_least(1)
                .when("delay_model", {DelayModel::kWorkers}),
        });
  }();
  return table;
}

std::unique_ptr<Estimator> make_estimator(const EstimatorOptions& options, const Problem& problem) {
  if (const auto error = options.Check()) throw InputError(*error);
  for (const MethodInfo& m : methods()) {
    if (m.method != options.method) continue;
    std::unique_ptr<Estimator> estimator = m.make(options, problem);
    DelaySettings delay;
    delay.delay = options.delay;
    delay.model = options.delay_model;
    delay.workers = options.delay_workers;
    estimator = as_option("delay", [&] { return make_delayed(std::move(estimator), delay); });
    estimator->bind(problem);
    return estimator;
  }
  throw InputError(FieldError{"EstimatorOptions::method", "is not a registered method"});
}

}  // namespace sgda
