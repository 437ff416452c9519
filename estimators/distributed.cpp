#include "sgda/estimators/distributed.hpp"

#include "distributed_step.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<LocalOracle>>& enum_values<LocalOracle>() {
  static const std::vector<EnumValue<LocalOracle>> values = {
      {LocalOracle::kExact, "exact", "g_m = F_m(x), all of the worker's samples"},
      {LocalOracle::kSample, "sample", "g_m = F_mj(x), one local sample j uniformly at random"},
      {LocalOracle::kSvrg, "svrg", "loopless SVRG over the local samples (vr-diana-sgda)"},
  };
  return values;
}

DistributedEstimator::DistributedEstimator(DistributedSettings settings,
                                           std::shared_ptr<Communicator> communicator)
    : settings_(std::move(settings)), communicator_(std::move(communicator)) {
  if (settings_.workers < 1)
    throw InputError(FieldError{"DistributedSettings::workers", "must be an integer >= 1"});
  if (const auto error = settings_.compressor.Check()) throw InputError(*error);
}

DistributedEstimator::DistributedEstimator(const DistributedEstimator& other)
    : Estimator(other),
      settings_(other.settings_),
      compressor_kind_(other.compressor_kind_),
      sent_rows_only_(other.sent_rows_only_),
      communicator_(other.communicator_),
      problem_(other.problem_),
      partition_(other.partition_),
      payloads_(other.payloads_),
      server_shift_(other.server_shift_),
      local_samples_(other.local_samples_),
      alpha_(other.alpha_),
      p_(other.p_) {
  for (const Worker& w : other.workers_) {
    Worker copy;
    copy.id = w.id;
    copy.local = problem_->subproblem(partition_[static_cast<std::size_t>(w.id)]);
    copy.compressor = make_compressor(settings_.compressor, problem_->dim());
    copy.shift = w.shift;
    copy.estimate = w.estimate;
    copy.snapshot = w.snapshot;
    copy.snapshot_full = w.snapshot_full;
    copy.workspace = w.workspace;
    workers_.push_back(std::move(copy));
  }
  index_workers();
}

void DistributedEstimator::index_workers() {
  local_worker_.assign(static_cast<std::size_t>(settings_.workers), nullptr);
  for (Worker& w : workers_) local_worker_[static_cast<std::size_t>(w.id)] = &w;
}

void DistributedEstimator::estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) {
  estimate_with<Problem>(*problem_, x, g, rng, counters);  // the virtual calls
}

std::string DistributedEstimator::describe() const {
  std::ostringstream out;
  out << name() << "(workers=" << settings_.workers << ", local=" << to_string(settings_.local)
      << ", compressor=" << to_string(settings_.compressor.type);
  if (settings_.compressor.type == CompressorType::kRandK ||
      settings_.compressor.type == CompressorType::kTopK)
    out << ", k=" << settings_.compressor.k;
  if (settings_.compressor.type == CompressorType::kQsgd)
    out << ", levels=" << settings_.compressor.levels;
  if (problem_ && alpha_ > 0.0) out << ", alpha=" << alpha_;
  if (problem_ && settings_.local == LocalOracle::kSvrg) out << ", p=" << p_;
  out << ")";
  return out.str();
}

double DistributedEstimator::alpha(const Problem& problem) const {
  if (settings_.alpha > 0.0) return settings_.alpha;
  const Index local = problem.num_samples() / settings_.workers;
  const double omega = make_compressor(settings_.compressor, problem.dim())->omega(problem.dim());
  return default_alpha(local, omega);
}

double DistributedEstimator::probability(const Problem& problem) const {
  if (settings_.probability > 0.0) return settings_.probability;
  return static_cast<double>(settings_.workers) / static_cast<double>(problem.num_samples());
}

DistributedConstants DistributedEstimator::constants(const Problem& problem) const {
  DistributedConstants c;
  const WorkerPartition partition = resolve_partition(problem, settings_.workers);
  const ProblemConstants pc = problem.constants();
  c.workers = settings_.workers;
  c.local_samples = static_cast<Index>(partition.front().size());
  c.ell = pc.ell;
  c.ell_hat = pc.ell_hat;
  c.ell_hat_workers = problem.grouped_star_cocoercivity(
      partition, Vector::Constant(c.workers, 1.0 / static_cast<double>(c.workers)));
  c.omega = make_compressor(settings_.compressor, problem.dim())->omega(problem.dim());
  const auto x_star = problem.solution();
  if (!x_star) {
    c.zeta_sq = c.local_variance = std::nan("");
    return c;
  }
  Vector local_mean(problem.dim()), term(problem.dim());
  for (const auto& samples : partition) {
    local_mean.setZero();
    for (Index i : samples) {
      problem.sample(i, *x_star, term);
      local_mean += term;
    }
    local_mean /= static_cast<double>(samples.size());
    c.zeta_sq += local_mean.squaredNorm();
    for (Index i : samples) {
      problem.sample(i, *x_star, term);
      c.local_variance += (term - local_mean).squaredNorm() / static_cast<double>(samples.size());
    }
  }
  c.zeta_sq /= static_cast<double>(c.workers);
  c.local_variance /= static_cast<double>(c.workers);
  return c;
}

void DistributedEstimator::reset(const Problem& problem, ConstVectorRef x0, Rng&,
                                 Counters& counters) {
  problem_ = &problem;
  const Index d = problem.dim(), big_w = settings_.workers;
  partition_ = resolve_partition(problem, big_w);
  local_samples_ = static_cast<Index>(partition_.front().size());
  if (!communicator_) communicator_ = make_in_process_communicator(big_w);
  if (communicator_->num_workers() != big_w)
    throw InputError(FieldError{"workers", "the communicator runs " +
                                               std::to_string(communicator_->num_workers()) +
                                               " workers, the method " + std::to_string(big_w)});
  alpha_ = alpha(problem);
  p_ = probability(problem);
  if (!(alpha_ >= 0.0 && alpha_ <= 1.0))
    throw InputError(FieldError{"DistributedSettings::alpha", "must be in [0, 1]"});
  if (!(p_ > 0.0 && p_ <= 1.0))
    throw InputError(FieldError{"DistributedSettings::probability", "must be in (0, 1]"});

  workers_.clear();
  payloads_.clear();
  for (Index m : communicator_->local_workers()) {
    Worker w;
    w.id = m;
    w.local = problem.subproblem(partition_[static_cast<std::size_t>(m)]);
    w.compressor = make_compressor(settings_.compressor, d);
    w.shift = Vector::Zero(d);
    w.estimate.resize(d);
    w.workspace.resize(d);
    if (settings_.local == LocalOracle::kSvrg) {
      w.snapshot = x0;
      w.snapshot_full.resize(d);
      w.local->full(w.snapshot, w.snapshot_full);
    }
    payloads_.emplace_back();
    payloads_.back().reserve(w.compressor->max_bits(d));
    workers_.push_back(std::move(w));
  }
  // Every worker's first snapshot, F_m(w_m) over its samples: all n samples, whichever
  // process evaluated them.
  if (settings_.local == LocalOracle::kSvrg) counters.sample_evaluations += problem.num_samples();
  server_shift_ = Vector::Zero(d);
  index_workers();
  const Compressor* compressor = workers_.front().compressor.get();
  compressor_kind_ = dynamic_cast<const IdentityCompressor*>(compressor) ? CompressorKind::kIdentity
                     : dynamic_cast<const RandK*>(compressor)            ? CompressorKind::kRandK
                                                                         : CompressorKind::kOther;
  sent_rows_only_ = settings_.local == LocalOracle::kExact &&
                    compressor_kind_ == CompressorKind::kRandK &&
                    std::all_of(workers_.begin(), workers_.end(),
                                [](const Worker& w) { return w.local->coordinates_are_cheap(); });
  // An affine game makes its row-major copy of M̄_m on the first coordinate: here, in set-up,
  // rather than in the first iteration.
  if (sent_rows_only_)
    for (const Worker& w : workers_) w.local->coordinate(0, x0);
}

// The state of every worker, the ones other processes run included (gathered: a collective
// call), so that the process writing the checkpoint holds it all.
void DistributedEstimator::save_state(StateArchive& out) const {
  out.put("server_shift", server_shift_);
  auto put_all = [&](const char* name, Vector Worker::*member) {
    std::vector<Vector> local;
    for (const Worker& w : workers_) local.push_back(w.*member);
    const std::vector<Vector> all = communicator_->allgather_vectors(local);
    for (std::size_t m = 0; m < all.size(); ++m)
      out.put("worker" + std::to_string(m) + "." + name, all[m]);
  };
  put_all("shift", &Worker::shift);
  if (settings_.local == LocalOracle::kSvrg) {
    put_all("snapshot", &Worker::snapshot);
    put_all("snapshot_full", &Worker::snapshot_full);
  }
}

void DistributedEstimator::load_state(const StateArchive& in) {
  server_shift_ = in.vector("server_shift");
  for (Worker& w : workers_) {
    const std::string prefix = "worker" + std::to_string(w.id) + ".";
    w.shift = in.vector(prefix + "shift");
    if (settings_.local == LocalOracle::kSvrg) {
      w.snapshot = in.vector(prefix + "snapshot");
      w.snapshot_full = in.vector(prefix + "snapshot_full");
    }
  }
}

double DistributedEstimator::sigma_squared(ConstVectorRef x_star) const {
  const Index d = problem_->dim();
  // Each worker's two parts (shift, snapshots), gathered and summed in worker order: the same
  // number on every process.
  std::vector<Vector> local;
  Vector at_x_star(d), at_snapshot(d);
  for (const Worker& w : workers_) {
    const Problem& local_problem = *w.local;
    Vector parts = Vector::Zero(2);
    if (alpha_ > 0.0) {
      local_problem.full(x_star, at_x_star);
      parts[0] = (w.shift - at_x_star).squaredNorm();
    }
    if (settings_.local == LocalOracle::kSvrg) {
      for (Index j = 0; j < local_problem.num_samples(); ++j) {
        local_problem.sample(j, w.snapshot, at_snapshot);
        local_problem.sample(j, x_star, at_x_star);
        parts[1] += (at_snapshot - at_x_star).squaredNorm() / double(local_problem.num_samples());
      }
    }
    local.push_back(std::move(parts));
  }
  double shifts = 0.0, snapshots = 0.0;
  for (const Vector& parts : communicator_->allgather_vectors(local)) {
    shifts += parts[0];
    snapshots += parts[1];
  }
  return (shifts + snapshots) / static_cast<double>(settings_.workers);
}

}  // namespace sgda
