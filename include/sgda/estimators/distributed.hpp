// The mechanism shared by the distributed methods of Beznosikov et al. (2023), Sec. 5: W workers,
// each with an estimate g_m of its local operator F_m (exact, one local sample, or loopless SVRG),
// an unbiased compressor Q and optional DIANA shifts h_m:
//   worker m sends Q(g_m − h_m);  g = h + (1/W) Σ_m Q(g_m − h_m)
//   h_m ← h_m + α Q(g_m − h_m);   h ← h + α (1/W) Σ_m Q(g_m − h_m)        (α = 0: no shifts)
// QSGDA, DIANA-SGDA and VR-DIANA-SGDA are this mechanism with their own settings and theory
// (qsgda.hpp, diana_sgda.hpp, vr_diana_sgda.hpp; derivations in docs/theory.md).
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/estimators/compressor.hpp"
#include "sgda/estimators/identity_compressor.hpp"
#include "sgda/estimators/sparsifiers.hpp"
#include "sgda/estimators/workers.hpp"

namespace sgda {

enum class LocalOracle {
  kExact,   // g_m = F_m(x): m_loc sample evaluations
  kSample,  // g_m = F_mj(x), j uniform over the worker's samples
  kSvrg,    // g_m = F_mj(x) − F_mj(w_m) + F_m(w_m); w_m ← x with probability p
};
template <>
const std::vector<EnumValue<LocalOracle>>& enum_values<LocalOracle>();

struct DistributedSettings {
  Index workers = 1;
  LocalOracle local = LocalOracle::kExact;
  CompressorOptions compressor;
  double alpha = 0.0;        // shift step α; 0 = no shifts
  double probability = 0.0;  // SVRG snapshot probability; 0 = 1/m_loc
};

// Constants of a problem split over workers (docs/theory.md, "Distributed methods").
struct DistributedConstants {
  double ell = 0, ell_hat = 0;  // of the whole problem
  double ell_hat_workers = 0;   // ℓ̂_W: sup (1/W) Σ_m ||F_m(x) − F_m(x*)||² / Φ(x)
  double zeta_sq = 0;           // ζ*² = (1/W) Σ_m ||F_m(x*)||²
  double local_variance = 0;    // σ*²_loc = (1/W) Σ_m (1/m_loc) Σ_j ||F_mj(x*) − F_m(x*)||²
  double omega = 0;             // of the compressor
  Index workers = 1, local_samples = 1;
};

class DistributedEstimator : public Estimator {
 public:
  // `communicator` may be null: an in-process one is made at reset().
  DistributedEstimator(DistributedSettings settings,
                       std::shared_ptr<Communicator> communicator = nullptr);
  // Deep copy of the state (local problems and compressors are rebuilt); shares the communicator.
  DistributedEstimator(const DistributedEstimator& other);

  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  // Final: the solver's fused path calls estimate_with directly.
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) final {
    estimate_with<Problem>(*problem_, x, g, rng, counters);  // the virtual calls
  }
  // DIANA shifts part + SVRG snapshots part, whichever are on.
  double sigma_squared(ConstVectorRef x_star) const override;
  // Shifts h_m, h and snapshots w_m, F_m(w_m) of the local workers.
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

  const DistributedSettings& settings() const { return settings_; }
  // Constants for `problem` with this estimator's workers and compressor. NaN where unknown.
  DistributedConstants constants(const Problem& problem) const;
  // The effective α and p for `problem` (defaults resolved).
  double alpha(const Problem& problem) const;
  double probability(const Problem& problem) const;

  // True when every local problem is a P (the fused path checks this once before P-typed calls).
  template <class P>
  bool local_problems_are() const {
    for (const Worker& w : workers_)
      if (!dynamic_cast<const P*>(w.local.get())) return false;
    return true;
  }

  // estimate() on the problem it was reset with, the local problems seen as P (Problem, or the
  // concrete type that local_problems_are<P>() confirmed, so that their calls inline) and with
  // the caller's vector types. Same draws, same arithmetic.
  template <class P, class X, class G>
  void estimate_with(const P& /*problem*/, const X& x, G& g, Rng& rng, Counters& counters) {
    // With concrete local problems, the commonest compressors are typed too, so that their calls
    // inline; the others, and every compressor with P = Problem, go through the interface.
    if constexpr (std::is_same_v<P, Problem>) {
      estimate_as<P, Compressor>(x, g, rng, counters);
    } else {
      switch (compressor_kind_) {
        case CompressorKind::kIdentity:
          return estimate_as<P, IdentityCompressor>(x, g, rng, counters);
        case CompressorKind::kRandK:
          return estimate_as<P, RandK>(x, g, rng, counters);
        case CompressorKind::kOther:
          return estimate_as<P, Compressor>(x, g, rng, counters);
      }
    }
  }

 protected:
  // The defaults of a method, given m_loc and ω; QSGDA has none (α = 0).
  virtual double default_alpha(Index local_samples, double omega) const = 0;

 private:
  struct Worker {
    Index id = 0;
    std::unique_ptr<Problem> local;  // F_m = mean of the worker's samples
    std::unique_ptr<Compressor> compressor;
    Vector shift;                    // h_m
    Vector estimate;                 // g_m (then g_m − h_m, through the interface)
    Vector snapshot, snapshot_full;  // w_m and F_m(w_m) (SVRG)
    Vector workspace;
  };
  // estimate_with with the local problems seen as P and the compressors as C.
  template <class P, class C, class X, class G>
  void estimate_as(const X& x, G& g, Rng& rng, Counters& counters);
  // estimate ← g_m, the worker's estimate of its local operator (exact, sample or SVRG).
  template <class P, class X, class E>
  void local_estimate(Worker& w, const P& local, const X& x, E& estimate, Rng& worker_rng,
                      Counters& counters) const;
  void index_workers();  // local_worker_ from workers_

  enum class CompressorKind { kIdentity, kRandK, kOther };
  DistributedSettings settings_;
  CompressorKind compressor_kind_ = CompressorKind::kOther;
  std::shared_ptr<Communicator> communicator_;
  const Problem* problem_ = nullptr;
  WorkerPartition partition_;
  std::vector<Worker> workers_;        // the local ones
  std::vector<Worker*> local_worker_;  // by worker id: its entry of workers_, or null
  std::vector<Payload> payloads_;      // one per local worker
  Vector server_shift_;                // h = (1/W) Σ h_m
  Index local_samples_ = 1;            // m_loc, the same for every worker
  double alpha_ = 0.0, p_ = 1.0;
};

template <class P, class X, class E>
void DistributedEstimator::local_estimate(Worker& w, const P& local, const X& x, E& estimate,
                                          Rng& worker_rng, Counters& counters) const {
  if (settings_.local == LocalOracle::kExact) {
    full_of(local, x, estimate);
    counters.sample_evaluations += local_samples_;
    return;
  }
  const auto j = static_cast<Index>(worker_rng.index(static_cast<std::uint64_t>(local_samples_)));
  sample_of(local, j, x, estimate);
  counters.sample_evaluations += 1;
  if (settings_.local != LocalOracle::kSvrg) return;
  sample_of(local, j, w.snapshot, w.workspace);
  estimate -= w.workspace;
  estimate += w.snapshot_full;
  counters.sample_evaluations += 1;
  if (worker_rng.bernoulli(p_)) {  // w_m ← x
    w.snapshot = x;
    full_of(local, w.snapshot, w.snapshot_full);
    counters.sample_evaluations += local_samples_;
  }
}

template <class P, class C, class X, class G>
void DistributedEstimator::estimate_as(const X& x, G& g, Rng& rng, Counters& counters) {
  const bool shifted = alpha_ > 0.0;
  // Each worker's randomness this iteration is derived from the run's stream and its id alone,
  // whatever process runs it: distributed runs are reproducible for any backend and any W, and
  // workers keep no random state of their own. Rng::stream hashes (base, id), so that
  // neighbouring workers' states share no word.
  const std::uint64_t base = rng.next();
  // Locals, not members, so that they stay in registers across the local products' calls.
  Payload* payload = payloads_.data();
  for (Worker *w_it = workers_.data(), *end = w_it + workers_.size(); w_it != end;
       ++w_it, ++payload) {
    Worker& w = *w_it;
    Rng worker_rng = Rng::stream(base, static_cast<std::uint64_t>(w.id));
    const P& local = static_cast<const P&>(*w.local);
    const C& compressor = static_cast<const C&>(*w.compressor);
    if constexpr (std::is_same_v<C, IdentityCompressor>) {
      // Q(v) = v: the message g_m − h_m is computed in the payload itself, with no copy.
      auto message = compressor.message_to_write(*payload);
      local_estimate(w, local, x, message, worker_rng, counters);
      if (shifted) message -= w.shift;
    } else if constexpr (std::is_same_v<C, Compressor>) {
      local_estimate(w, local, x, w.estimate, worker_rng, counters);
      if (shifted) w.estimate -= w.shift;
      compressor.encode(w.estimate, worker_rng, *payload);
    } else {  // typed: g_m − h_m is read where the compressor reads it (rand-k: k coordinates)
      local_estimate(w, local, x, w.estimate, worker_rng, counters);
      if (shifted)
        compressor.encode_with(w.estimate - w.shift, worker_rng, *payload);
      else
        compressor.encode_with(w.estimate, worker_rng, *payload);
    }
  }

  // Server side, computed identically on every process. Payloads are added straight into the
  // sums (rand-k: k coordinates each), never decoded into dense vectors first; a local worker's
  // payload also moves its shift, h_m ← h_m + α Q(g_m − h_m), in the same read.
  const std::vector<Payload>& all = communicator_->allgather(payloads_);
  const C& decoder = static_cast<const C&>(*workers_.front().compressor);
  Worker* const* own_worker = local_worker_.data();  // by sender
  const double alpha = alpha_;
  std::int64_t bits = 0;
  g.setZero();
  for (const Payload& message : all) {
    Worker* own = shifted ? *own_worker++ : nullptr;
    if (own)
      decode_add_both(decoder, message, g, alpha, own->shift);
    else
      decode_add_of(decoder, message, 1.0, g);
    bits += message.bits();
  }
  counters.bits += bits;
  g /= static_cast<double>(all.size());  // (1/W) Σ_m Q(g_m − h_m)
  if (shifted) {
    g += server_shift_;                             // g = h + (1/W) Σ Q(·)
    server_shift_ += alpha_ * (g - server_shift_);  // h ← h + α (1/W) Σ Q(·)
  }
}

}  // namespace sgda
