// Private helpers over the HDF5 C++ API for io/*.cpp. Every failure becomes an sgda::InputError
// "FILE: FIELD: problem; accepted ..." so no H5::Exception leaves the library.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgda/error.hpp"

namespace sgda::hdf5 {

using Shape = std::vector<hsize_t>;

// The most values sgda loads from one dataset into memory: as many as the largest game a process
// generates in memory (8 GB). Readers of slices (read_float64_slices) hold one slice at a time:
// their callers check what they keep.
constexpr std::size_t kMaxValues = 1'000'000'000;

// "[5, 3, 3]"; "scalar" for rank 0.
std::string format_shape(const Shape& shape);

// Rows [first, first + count) of a dataset's first axis; every row when count is unset.
struct Rows {
  hsize_t first = 0;
  std::optional<hsize_t> count;
};

template <class T>
struct Array {
  Shape shape;
  std::vector<T> values;  // row-major (C order), as HDF5 stores them
};

class Reader {
 public:
  // Opens read-only; InputError when the file is missing, a directory or not HDF5.
  explicit Reader(std::string path);
  // Opens an HDF5 file image held in memory (HDF5's core driver, a copy of `size` bytes at
  // `data`), read-only; `path` names it in messages and anchors external links.
  Reader(std::string path, const void* data, std::size_t size);

  const std::string& path() const { return path_; }
  InputError error(const std::string& field, const std::string& problem) const;

  // Whether a link exists at the absolute path `name` (e.g. "/trace/epochs").
  bool has(const std::string& name) const;

  // Reads a dataset of the given rank, or only `rows` of it (one hyperslab; the array's shape
  // then has rows.count on the first axis; rows past the end are an InputError). `accepted`
  // describes the accepted layout for messages, e.g. "float64 [n, D, D]". Float32 and narrower
  // integers are converted exactly. At most 1e9 values are read: of the rows asked for.
  Array<double> read_float64(const std::string& name, std::size_t rank, const std::string& accepted,
                             const Rows& rows = {}) const;
  Array<std::int64_t> read_int64(const std::string& name, std::size_t rank,
                                 const std::string& accepted, const Rows& rows = {}) const;
  // The same checks as read_float64, then the dataset one slice [i, ...] at a time: calls
  // check_shape(shape) before reading anything, then each(i, slice) for i = 0, 1, ... with the
  // slice's values (row-major, shape without the first axis) in one buffer reused for all, so
  // a large dataset never sits in memory twice. With `wanted`, only the slices i it accepts are
  // read (each a hyperslab of its own). kMaxValues bounds one slice, not the dataset: the caller
  // bounds what it keeps. Returns the shape.
  Shape read_float64_slices(const std::string& name, std::size_t rank, const std::string& accepted,
                            const std::function<void(const Shape&)>& check_shape,
                            const std::function<void(hsize_t, const Array<double>&)>& each,
                            const std::function<bool(hsize_t)>& wanted = {}) const;

  // Of an existing dataset `name` (InputError otherwise): whether it holds integers, and its
  // rank, so a reader can choose between layouts (labels or targets).
  bool is_integer(const std::string& name) const;
  std::size_t rank_of(const std::string& name) const;
  Shape shape_of(const std::string& name) const;

  // Throws naming `name`, the actual and the expected shape unless they are equal.
  void require_shape(const std::string& name, const Shape& actual, const Shape& expected,
                     const std::string& accepted) const;
  // Throws naming `name` and the index of the first NaN or infinity; `leading` is the index of
  // a slice (read_float64_slices) on the axes before the array's.
  void require_finite(const std::string& name, const Array<double>& array,
                      const Shape& leading = {}) const;

  // The names of the datasets directly in group `group` (e.g. "/checkpoint/estimator").
  std::vector<std::string> dataset_names(const std::string& group) const;

  // Root attributes.
  std::vector<std::string> attribute_names() const;
  bool has_attribute(const std::string& name) const;
  bool is_string_attribute(const std::string& name) const;
  std::string read_string_attribute(const std::string& name) const;
  // A scalar counts as one element.
  std::vector<std::int64_t> read_int64_attribute(const std::string& name) const;

  // The names of the groups directly in group `group` (e.g. "/runs").
  std::vector<std::string> group_names(const std::string& group) const;
  // Every string attribute of the group `object` (e.g. "/runs/r0001"); others are skipped.
  std::map<std::string, std::string> string_attributes(const std::string& object) const;
  // One number (a scalar or a one-element array) attribute `name` of the group `object`: float
  // types, or integer types for int64; InputError naming "object attribute name" otherwise.
  double read_float64_attribute(const std::string& object, const std::string& name) const;
  std::int64_t read_int64_attribute(const std::string& object, const std::string& name) const;

 private:
  std::string path_;
  H5::H5File file_;
};

class Writer {
 public:
  // Creates (truncates) `file`; messages name `shown_path`, the path the user asked for.
  Writer(const std::string& file, std::string shown_path);
  // Built in memory: close() writes `file`. A file not closed by close() is never written.
  // With kInPlace, `file` is an existing HDF5 file opened for writing: what is written is added
  // to it (root attributes of the same name are replaced), objects already there are left as
  // they are, and close() flushes and closes it. Not atomic: a process killed before close()
  // returns can leave `file` unreadable (HDF5 keeps no journal).
  enum class Mode { kNew, kInPlace };
  Writer(const std::string& file, std::string shown_path, Mode mode);
  // A new file written straight to disk (HDF5's default driver) instead of built in memory, for
  // files of gigabytes: `reserve` bytes, at least what will be written, are allocated on disk
  // first, so HDF5 meets no full disk either (a disk without room is refused here, "disk full:
  // ENOSPC ..."); what close() leaves of the reservation past the end is released. Where the
  // file system cannot reserve space, the file is built in memory as with kNew.
  Writer(const std::string& file, std::string shown_path, std::uint64_t reserve);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  InputError error(const std::string& field, const std::string& problem) const;

  void create_group(const std::string& name);
  // `data` holds the product of `shape` values in row-major order.
  void write_float64(const std::string& name, const Shape& shape, const double* data);
  // A float64 dataset of `shape` written one slice [i, ...] at a time: fill(i, buffer) puts slice
  // i's values (row-major, shape without the first axis) into one buffer reused for all, so a
  // large dataset is never copied whole (the mirror of Reader::read_float64_slices).
  void write_float64_slices(const std::string& name, const Shape& shape,
                            const std::function<void(hsize_t, double*)>& fill);
  void write_int64(const std::string& name, const Shape& shape, const std::int64_t* data);
  // Root attributes: variable-length UTF-8 strings and int64 arrays.
  void write_string_attribute(const std::string& name, const std::string& value);
  // A string attribute of the group `object` (which must exist).
  void write_string_attribute(const std::string& object, const std::string& name,
                              const std::string& value);
  void write_int64_attribute(const std::string& name, const std::vector<std::int64_t>& values);
  // Scalar number attributes of the group `object` (which must exist).
  void write_float64_attribute(const std::string& object, const std::string& name, double value);
  void write_int64_attribute(const std::string& object, const std::string& name,
                             std::int64_t value);

  // Closes the file and writes it in one go (kInPlace, or with a reservation: flushes and closes
  // it); a failure (a full disk: "disk full: ENOSPC ...") is an InputError, the HDF5 file closed
  // either way (never closed twice).
  void close();

 private:
  // Closes the file unwritten.
  void abandon() noexcept;

  std::string file_path_, shown_path_;
  Mode mode_ = Mode::kNew;
  std::uint64_t reserved_ = 0;        // > 0: written to disk directly, this much allocated for it
  std::unique_ptr<H5::H5File> file_;  // null once closed
};

// The bytes of an open file (flushed), as a file on disk would hold them after closing it;
// empty when HDF5 cannot give them (its error stack says why).
std::vector<char> file_image(hid_t file);

// Writes `path` + ".tmp-<pid>" through `write`, then renames it over `path`, so readers never see
// a half-written file; the temporary is removed on failure. Throws InputError naming `path`.
void write_atomically(const std::string& path, const std::function<void(Writer&)>& write);
// The same for `expected_bytes` of data (the datasets' sizes): files of at least 64 MiB go to disk
// directly (Writer's constructor with a reservation), not through an in-memory image and a copy.
void write_atomically(const std::string& path, std::uint64_t expected_bytes,
                      const std::function<void(Writer&)>& write);

}  // namespace sgda::hdf5
