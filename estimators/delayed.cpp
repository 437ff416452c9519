#include "sgda/estimators/delayed.hpp"

#include <algorithm>
#include <cmath>

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<DelayModel>>& enum_values<DelayModel>() {
  static const std::vector<EnumValue<DelayModel>> values = {
      {DelayModel::kFixed, "fixed", "tau_k = delay"},
      {DelayModel::kUniform, "uniform", "tau_k uniform on {0, ..., delay}"},
      {DelayModel::kWorkers, "workers",
       "delay_workers simulated workers with random speeds; delays capped at delay"},
  };
  return values;
}

DelayedEstimator::DelayedEstimator(std::unique_ptr<Estimator> inner, DelaySettings settings)
    : inner_(std::move(inner)), settings_(settings) {}

DelayedEstimator::DelayedEstimator(const DelayedEstimator& other)
    : Estimator(other),
      inner_(other.inner_->clone()),
      settings_(other.settings_),
      history_(other.history_),
      step_(other.step_),
      last_delay_(other.last_delay_),
      mean_time_(other.mean_time_),
      read_step_(other.read_step_),
      finish_time_(other.finish_time_) {}

std::string DelayedEstimator::describe() const {
  std::string out = inner_->describe() + " delayed(delay=" + std::to_string(settings_.delay) +
                    ", model=" + to_string(settings_.model);
  if (settings_.model == DelayModel::kWorkers)
    out += ", workers=" + std::to_string(settings_.workers);
  return out + ")";
}

namespace {
// An exponential time of mean 1.
double exponential(Rng& rng) { return -std::log1p(-rng.uniform()); }
}  // namespace

void DelayedEstimator::reset(const Problem& problem, ConstVectorRef x0, Rng& rng,
                             Counters& counters) {
  inner_->reset(problem, x0, rng, counters);
  history_.resize(problem.dim(), settings_.delay + 1);
  history_.colwise() = x0;
  step_ = 0;
  last_delay_ = -1;
  if (settings_.model == DelayModel::kWorkers) {
    const Index p = settings_.workers;
    mean_time_.resize(p);
    read_step_ = Vector::Zero(p);
    finish_time_.resize(p);
    for (Index w = 0; w < p; ++w) mean_time_[w] = 0.5 + rng.uniform();
    for (Index w = 0; w < p; ++w) finish_time_[w] = mean_time_[w] * exponential(rng);
  } else {
    mean_time_.resize(0), read_step_.resize(0), finish_time_.resize(0);
  }
}

Index DelayedEstimator::next_delay(Rng& rng) {
  const Index tau = settings_.delay;
  Index delay = 0;
  switch (settings_.model) {
    case DelayModel::kFixed:
      delay = tau;
      break;
    case DelayModel::kUniform:
      delay = static_cast<Index>(rng.index(static_cast<std::uint64_t>(tau + 1)));
      break;
    case DelayModel::kWorkers: {
      Index w = 0;  // the first to finish (the lowest index on a tie)
      for (Index v = 1; v < finish_time_.size(); ++v)
        if (finish_time_[v] < finish_time_[w]) w = v;
      delay = static_cast<Index>(static_cast<double>(step_) - read_step_[w]);
      read_step_[w] = static_cast<double>(step_ + 1);  // it reads the next iterate
      finish_time_[w] += mean_time_[w] * exponential(rng);
      break;
    }
  }
  return std::min<Index>({delay, tau, static_cast<Index>(step_)});
}

void DelayedEstimator::estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) {
  const Index slots = settings_.delay + 1;
  history_.col(static_cast<Index>(step_ % slots)) = x;
  last_delay_ = next_delay(rng);
  const Index stale = static_cast<Index>((step_ - last_delay_) % slots);
  ++step_;
  inner_->estimate(history_.col(stale), g, rng, counters);
}

TheoryParameters DelayedEstimator::parameters(const Problem& problem) const {
  TheoryParameters t = inner_->parameters(problem);
  if (settings_.delay > 0)
    t.not_covered = "delayed gradients (delay = " + std::to_string(settings_.delay) + ", " +
                    to_string(settings_.model) +
                    "): Theorem 2.2 assumes the estimate at the current iterate";
  return t;
}

void DelayedEstimator::save_state(StateArchive& out) const {
  StateArchive inner;
  inner_->save_state(inner);
  out.put_all("inner.", inner);
  out.put("history", Eigen::Map<const Vector>(history_.data(), history_.size()));
  out.put_integer("step", step_);
  out.put_integer("last_delay", last_delay_);
  if (settings_.model == DelayModel::kWorkers) {
    out.put("mean_time", mean_time_);
    out.put("read_step", read_step_);
    out.put("finish_time", finish_time_);
  }
}

void DelayedEstimator::load_state(const StateArchive& in) {
  inner_->load_state(in.under("inner."));
  const Vector& history = in.vector("history");
  if (history.size() != history_.size())
    throw InputError("checkpoint: the delayed estimator's iterates do not fit delay = " +
                     std::to_string(settings_.delay));
  history_ = Eigen::Map<const Matrix>(history.data(), history_.rows(), history_.cols());
  step_ = in.integer("step");
  last_delay_ = static_cast<Index>(in.integer("last_delay"));
  if (settings_.model == DelayModel::kWorkers) {
    const Vector &mean = in.vector("mean_time"), &read = in.vector("read_step"),
                 &finish = in.vector("finish_time");
    if (mean.size() != settings_.workers || read.size() != settings_.workers ||
        finish.size() != settings_.workers)
      throw InputError("checkpoint: the delayed estimator's workers do not fit workers = " +
                       std::to_string(settings_.workers));
    mean_time_ = mean, read_step_ = read, finish_time_ = finish;
  }
}

std::unique_ptr<Estimator> make_delayed(std::unique_ptr<Estimator> inner,
                                        const DelaySettings& settings) {
  if (settings.delay < 0)
    throw InputError(FieldError{"delay", "must be >= 0, got " + std::to_string(settings.delay)});
  if (settings.workers < 1)
    throw InputError(
        FieldError{"delay_workers", "must be >= 1, got " + std::to_string(settings.workers)});
  if (settings.delay == 0) return inner;
  return std::make_unique<DelayedEstimator>(std::move(inner), settings);
}

}  // namespace sgda
