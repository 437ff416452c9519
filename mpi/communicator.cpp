#include "communicator.hpp"

#include <cstring>
#include <limits>
#include <string>

#include "sgda/error.hpp"
#include "sgda/process_group.hpp"

namespace sgda::mpi {
namespace {

// The bytes of a payload on the wire: its values whole, its fields cut to whole bytes (the
// words are little-endian, so the first bytes hold the first bits).
std::int64_t wire_bytes(std::int64_t values, std::int64_t field_bits) {
  return 8 * values + (field_bits + 7) / 8;
}

int checked_int(std::int64_t count, const char* what) {
  if (count > std::numeric_limits<int>::max())
    throw InputError(std::string("mpi: a round's ") + what +
                     " exceed 2^31 elements; accepted fewer workers per rank or a smaller "
                     "dimension");
  return static_cast<int>(count);
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm, Index num_workers, Watchdog& watchdog)
    : comm_(comm), watchdog_(watchdog), num_workers_(num_workers) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm_, &rank);
  MPI_Comm_size(comm_, &size);
  if (num_workers < size)
    throw InputError(FieldError{"workers", "must be at least the number of MPI ranks (" +
                                               std::to_string(size) + "), got " +
                                               std::to_string(num_workers)});
  // Contiguous blocks of workers, as a data set's rows are split (share_of).
  for (int r = 0; r < size; ++r)
    first_worker_.push_back(static_cast<int>(share_of(num_workers, r, size).first));
  first_worker_.push_back(static_cast<int>(num_workers));
  for (int m = first_worker_[rank]; m < first_worker_[rank + 1]; ++m) local_.push_back(m);
  header_counts_.resize(size);
  header_offsets_.resize(size);
  byte_counts_.resize(size);
  byte_offsets_.resize(size);
  int offset = 0;
  for (int r = 0; r < size; ++r) {  // per rank: its oracle calls, then (values, bits) per worker
    header_counts_[r] = 1 + 2 * (first_worker_[r + 1] - first_worker_[r]);
    header_offsets_[r] = offset;
    offset += header_counts_[r];
  }
  headers_.resize(static_cast<std::size_t>(offset));
  all_.resize(static_cast<std::size_t>(num_workers));
}

void MpiCommunicator::allgatherv(const void* send, int count, MPI_Datatype type, void* receive,
                                 const int* counts, const int* offsets) {
  Watchdog::Wait wait(watchdog_);
  MPI_Allgatherv(send, count, type, receive, counts, offsets, type, comm_);
}

const std::vector<Payload>& MpiCommunicator::allgather(const std::vector<Payload>& local,
                                                       std::int64_t& sample_evaluations) {
  // Round 1: every worker's payload size and every rank's oracle calls.
  local_header_.assign(1, sample_evaluations);
  std::int64_t local_size = 0;
  for (const Payload& p : local) {
    const auto values = static_cast<std::int64_t>(p.values().size());
    const std::int64_t field_bits = p.bits() - 64 * values;
    local_header_.push_back(values);
    local_header_.push_back(field_bits);
    local_size += wire_bytes(values, field_bits);
  }
  allgatherv(local_header_.data(), static_cast<int>(local_header_.size()), MPI_INT64_T,
             headers_.data(), header_counts_.data(), header_offsets_.data());

  // Round 2: the payloads' bytes, packed back to back.
  local_bytes_.resize(static_cast<std::size_t>(local_size));
  unsigned char* out = local_bytes_.data();
  for (const Payload& p : local) {
    const std::size_t value_bytes = 8 * p.values().size();
    if (value_bytes > 0) std::memcpy(out, p.values().data(), value_bytes);
    out += value_bytes;
    const auto field_bytes = static_cast<std::size_t>((p.bits() - 8 * value_bytes + 7) / 8);
    if (field_bytes > 0) std::memcpy(out, p.fields().data(), field_bytes);
    out += field_bytes;
  }
  sample_evaluations = 0;
  std::int64_t total = 0;
  const int ranks = static_cast<int>(header_counts_.size());
  for (int r = 0; r < ranks; ++r) {
    const std::int64_t* h = headers_.data() + header_offsets_[r];
    sample_evaluations += h[0];
    std::int64_t bytes = 0;
    for (int i = 1; i < header_counts_[r]; i += 2) bytes += wire_bytes(h[i], h[i + 1]);
    byte_counts_[r] = checked_int(bytes, "payload bytes");
    byte_offsets_[r] = checked_int(total, "payload bytes");
    total += bytes;
  }
  bytes_.resize(static_cast<std::size_t>(checked_int(total, "payload bytes")));
  allgatherv(local_bytes_.data(), static_cast<int>(local_bytes_.size()), MPI_BYTE, bytes_.data(),
             byte_counts_.data(), byte_offsets_.data());
  sent_.payload += local_size;
  sent_.header += 8 * static_cast<std::int64_t>(local_header_.size());
  sent_.messages += static_cast<std::int64_t>(local.size());

  // Every worker's payload, unpacked in worker order.
  const unsigned char* in = bytes_.data();
  for (int r = 0; r < ranks; ++r) {
    const std::int64_t* h = headers_.data() + header_offsets_[r] + 1;
    for (int m = first_worker_[r]; m < first_worker_[r + 1]; ++m, h += 2) {
      const Payload::Buffers buffers = all_[static_cast<std::size_t>(m)].assign(h[0], h[1]);
      const auto value_bytes = static_cast<std::size_t>(8 * h[0]);
      if (value_bytes > 0) std::memcpy(buffers.values, in, value_bytes);
      in += value_bytes;
      const auto field_bytes = static_cast<std::size_t>((h[1] + 7) / 8);
      if (field_bytes > 0) {
        buffers.fields[(h[1] - 1) / 64] = 0;  // the last word's unsent bits
        std::memcpy(buffers.fields, in, field_bytes);
      }
      in += field_bytes;
    }
  }
  return all_;
}

std::vector<Vector> MpiCommunicator::allgather_vectors(const std::vector<Vector>& local) {
  const int ranks = static_cast<int>(header_counts_.size());
  std::vector<std::int64_t> local_sizes, sizes(static_cast<std::size_t>(num_workers_));
  std::vector<int> counts(ranks), offsets(ranks);
  for (int r = 0; r < ranks; ++r) {
    counts[r] = first_worker_[r + 1] - first_worker_[r];
    offsets[r] = first_worker_[r];
  }
  std::vector<double> local_values;
  for (const Vector& v : local) {
    local_sizes.push_back(v.size());
    local_values.insert(local_values.end(), v.data(), v.data() + v.size());
  }
  allgatherv(local_sizes.data(), static_cast<int>(local_sizes.size()), MPI_INT64_T, sizes.data(),
             counts.data(), offsets.data());
  std::int64_t total = 0;
  for (int r = 0; r < ranks; ++r) {
    std::int64_t values = 0;
    for (int m = first_worker_[r]; m < first_worker_[r + 1]; ++m) values += sizes[m];
    counts[r] = checked_int(values, "state values");
    offsets[r] = checked_int(total, "state values");
    total += values;
  }
  std::vector<double> values(static_cast<std::size_t>(total));
  allgatherv(local_values.data(), static_cast<int>(local_values.size()), MPI_DOUBLE, values.data(),
             counts.data(), offsets.data());
  std::vector<Vector> all;
  const double* in = values.data();
  for (std::int64_t size : sizes) {
    all.emplace_back(Eigen::Map<const Vector>(in, static_cast<Index>(size)));
    in += size;
  }
  return all;
}

}  // namespace sgda::mpi
