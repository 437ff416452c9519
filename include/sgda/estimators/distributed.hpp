// The mechanism shared by the distributed methods of Beznosikov et al. (2023), Sec. 5: W workers,
// each with an estimate g_m of its local operator F_m (exact, one local sample, or loopless SVRG),
// an unbiased compressor Q and optional DIANA shifts h_m:
//   worker m sends Q(g_m − h_m);  g = h + (1/W) Σ_m Q(g_m − h_m)
//   h_m ← h_m + α Q(g_m − h_m);   h ← h + α (1/W) Σ_m Q(g_m − h_m)        (α = 0: no shifts)
// QSGDA, DIANA-SGDA and VR-DIANA-SGDA are this mechanism with their own settings and theory
// (qsgda.hpp, diana_sgda.hpp, vr_diana_sgda.hpp; derivations in docs/theory.md).
#pragma once

#include <memory>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/estimators/compressor.hpp"
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
  // `communicator` may be null: an in-process one is made at reset(). Its number of workers
  // must be settings.workers.
  DistributedEstimator(DistributedSettings settings,
                       std::shared_ptr<Communicator> communicator = nullptr);
  // Deep copy of the state (local problems and compressors are rebuilt); shares the communicator.
  DistributedEstimator(const DistributedEstimator& other);

  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  // Final: the solver's fused path calls estimate_with directly.
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) final;
  // DIANA shifts part + SVRG snapshots part, whichever are on.
  double sigma_squared(ConstVectorRef x_star) const override;
  // Shifts h_m, h and snapshots w_m, F_m(w_m) of the local workers.
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

  const DistributedSettings& settings() const { return settings_; }
  // How the workers talk from the next reset() on (an MPI one: sgda/mpi/session.hpp).
  void set_communicator(std::shared_ptr<Communicator> communicator) {
    communicator_ = std::move(communicator);
  }
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
  // the caller's vector types. Same draws, same arithmetic. Defined in the library's private
  // estimators/distributed_step.hpp, for its own source and the solver's fused path.
  template <class P, class X, class G>
  void estimate_with(const P& problem, const X& x, G& g, Rng& rng, Counters& counters);

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
  // Exact local operators with cheap coordinates (affine games: a row of a row-major M̄_m) and
  // rand-k: a worker evaluates only the k coordinates of F_m(x) it sends, O(kD) for O(D²).
  bool sent_rows_only_ = false;
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

}  // namespace sgda
