// Private to the library: the distributed estimator's iteration as templates over the local
// problems' type P and the compressors' type C, for estimators/distributed.cpp (its virtual
// estimate(), P = Problem) and the solver's fused path (solvers/fused_move.hpp, P = AffineGame
// with the identity and rand-k compressors typed, so that their calls inline).
#pragma once

#include <type_traits>

#include "identity_compressor.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sparsifiers.hpp"

namespace sgda {

template <class P, class X, class G>
void DistributedEstimator::estimate_with(const P& /*problem*/, const X& x, G& g, Rng& rng,
                                         Counters& counters) {
  // With concrete local problems, the commonest compressors are typed too, so that their calls
  // inline; the others, and every compressor with P = Problem, go through the interface.
  if constexpr (std::is_same_v<P, Problem>) {
    // Rand-k typed even here when the workers evaluate only the rows they send, so that every
    // path (and every backend) computes them alike: the same iterates, bit for bit.
    if (sent_rows_only_) return estimate_as<P, RandK>(x, g, rng, counters);
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

// The message g_m − h_m (h_m = 0 without shifts) of an exact local operator as rand-k reads it,
// coordinate by coordinate: F_m(x)_t from row t of M̄_m alone (Problem::coordinate), so only the
// k coordinates sent are computed. Each is the full product's entry up to the order in which
// the row's terms are summed (a dot product, where M̄_m x sums along columns).
template <class P, class X>
struct SentRows {
  const P& local;
  const X& x;
  const double* shift;  // h_m, or null
  double operator[](Index t) const {
    const double f = local.coordinate(t, x);
    return shift ? f - shift[t] : f;
  }
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
  if (settings_.local != LocalOracle::kSvrg) {
    sample_of(local, j, x, estimate);
    counters.sample_evaluations += 1;
    return;
  }
  sample_difference_of(local, j, x, w.snapshot, estimate, w.workspace);  // F_j(x) − F_j(w_m)
  estimate += w.snapshot_full;
  counters.sample_evaluations += 2;
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
  const std::int64_t evaluations_before = counters.sample_evaluations;
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
      if constexpr (std::is_same_v<C, RandK>) {
        if (sent_rows_only_) {
          // Counted as the exact local oracle call it replaces (m_loc sample evaluations): the
          // theory counts oracle calls, not the rows a worker needs of them.
          counters.sample_evaluations += local_samples_;
          compressor.encode_with(SentRows<P, X>{local, x, shifted ? w.shift.data() : nullptr},
                                 worker_rng, *payload);
          continue;
        }
      }
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
  std::int64_t evaluations = counters.sample_evaluations - evaluations_before;
  const std::vector<Payload>& all = communicator_->allgather(payloads_, evaluations);
  counters.sample_evaluations = evaluations_before + evaluations;  // all workers'
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
