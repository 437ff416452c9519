#include "sgda/io/dataset_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>

#include "hdf5_util.hpp"
#include "sgda/error.hpp"

namespace sgda {
namespace {

namespace fs = std::filesystem;

// A gzip file, or a plain file (zlib reads those transparently), streamed: consume(bytes, n)
// for each piece of the content in order; what consume throws is passed on.
void stream_maybe_gzip(const std::string& path,
                       const std::function<void(const unsigned char*, std::size_t)>& consume) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw input_error(path, "file", "missing or not a regular file; accepted an IDX file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw input_error(path, "file", "cannot open");
  constexpr unsigned kChunk = 1u << 20;
  std::vector<unsigned char> buffer(kChunk);
  for (;;) {
    const int got = gzread(file, buffer.data(), kChunk);
    if (got < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      if (code == Z_BUF_ERROR || message.find("unexpected end of file") != std::string::npos)
        throw input_error(path, "gzip", "truncated: the compressed stream ends early");
      throw input_error(path, "gzip", "cannot decompress (" + message + ")");
    }
    if (got == 0) break;
    try {
      consume(buffer.data(), static_cast<std::size_t>(got));
    } catch (...) {
      gzclose(file);
      throw;
    }
  }
  int code = Z_OK;
  const std::string message = gzerror(file, &code);
  const int closed = gzclose(file);
  if (code == Z_BUF_ERROR || closed == Z_BUF_ERROR ||
      message.find("unexpected end of file") != std::string::npos)
    throw input_error(path, "gzip", "truncated: the compressed stream ends early");
  if (code != Z_OK || closed != Z_OK)
    throw input_error(path, "gzip", "cannot decompress (" + message + ")");
}

std::uint32_t big_endian(const std::vector<unsigned char>& b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) |
         (std::uint32_t(b[at + 2]) << 8) | std::uint32_t(b[at + 3]);
}

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// An IDX file of unsigned bytes with `rank` dimensions and magic `magic` (gzip or plain),
// streamed through once: checks the magic and that the data are exactly the header's
// dimensions, and keeps the items rows(dims) of the first axis (each item the product of the
// other dimensions in bytes), so that no more than those sit in memory.
struct IdxPart {
  std::vector<std::size_t> dims;
  Share rows;
  std::vector<unsigned char> bytes;  // the rows' items
};

IdxPart read_idx(const std::string& path, std::uint32_t magic, std::size_t rank, const char* what,
                 const std::function<Share(const std::vector<std::size_t>&)>& rows) {
  const std::size_t header = 4 + 4 * rank;
  std::vector<unsigned char> head;
  IdxPart part;
  std::size_t total = 1, data = 0, keep_from = 0, keep_to = 0;  // in bytes after the header
  std::string shape;
  stream_maybe_gzip(path, [&](const unsigned char* bytes, std::size_t n) {
    for (; head.size() < header && n > 0; ++bytes, --n) {
      head.push_back(*bytes);
      if (head.size() == 4 && big_endian(head, 0) != magic)
        throw input_error(path, "magic",
                          "is " + hex(big_endian(head, 0)) + ", expected " + hex(magic) +
                              "; accepted an IDX file of " + what + " (gzip-compressed or plain)");
      if (head.size() != header) continue;
      for (std::size_t k = 0; k < rank; ++k) {
        part.dims.push_back(big_endian(head, 4 + 4 * k));
        total *= part.dims.back();
        shape += (k ? " x " : "") + std::to_string(part.dims.back());
      }
      part.rows = rows(part.dims);
      const std::size_t item = part.dims[0] > 0 ? total / part.dims[0] : 0;
      keep_from = static_cast<std::size_t>(part.rows.first) * item;
      keep_to = static_cast<std::size_t>(part.rows.end()) * item;
      part.bytes.reserve(keep_to - keep_from);
    }
    const std::size_t lo = std::max(data, keep_from), hi = std::min(data + n, keep_to);
    if (lo < hi) part.bytes.insert(part.bytes.end(), bytes + (lo - data), bytes + (hi - data));
    data += n;
  });
  if (head.size() < 4)
    throw input_error(
        path, "magic",
        "truncated: " + std::to_string(head.size()) + " bytes; accepted an IDX file of " + what);
  if (head.size() < header)
    throw input_error(path, "header",
                      "truncated: " + std::to_string(head.size()) +
                          " bytes, the header alone has " + std::to_string(header));
  if (data < total)
    throw input_error(path, "data",
                      "truncated: the header says " + shape + " = " + std::to_string(total) +
                          " bytes, the file has " + std::to_string(data));
  if (data > total)
    throw input_error(path, "data",
                      "has " + std::to_string(data - total) + " bytes after the " + shape +
                          " the header announces; accepted exactly that many");
  return part;
}

// Which examples of a set of `available` to load: the first `wanted` (0: all; more is an error
// naming DataOptions::<field>), and of those the share of process `rank` of `ranks`.
struct Selection {
  Index train_samples = 0, test_samples = 0;
  int rank = 0, ranks = 1;
};

Share pick(Index wanted, Index available, const char* field, const std::string& name,
           const Selection& selection, Index* total) {
  if (wanted > available)
    throw InputError(FieldError{std::string("DataOptions::") + field,
                                "must be at most the " + std::to_string(available) +
                                    " examples of " + name + " (or 0 for all), got " +
                                    std::to_string(wanted)});
  *total = wanted > 0 ? wanted : available;
  return share_of(*total, selection.rank, selection.ranks);
}

std::string idx_file(const std::string& folder, const std::string& name) {
  const fs::path base = fs::path(folder) / name;
  std::error_code ec;
  if (fs::is_regular_file(base.string() + ".gz", ec)) return base.string() + ".gz";
  if (fs::is_regular_file(base, ec)) return base.string();
  throw input_error(folder, name + "(.gz)",
                    "missing; accepted the Fashion-MNIST IDX files (Debian: apt install "
                    "dataset-fashion-mnist, which puts them in " +
                        std::string(kFashionMnistFolder) + ")");
}

// /X-like dataset [N, d] into a d × `rows` float matrix (the same bytes order), every value
// finite: the rows of its N examples that rows(N) picks (one hyperslab).
FloatMatrix read_features(const hdf5::Reader& reader, const std::string& name,
                          const std::function<Share(Index)>& rows, Index* examples, Share* held) {
  const std::string accepted = "float [N, d], finite values";
  const hdf5::Shape whole = reader.has(name) ? reader.shape_of(name) : hdf5::Shape{};
  hdf5::Rows wanted;
  *held = {};
  if (whole.size() == 2 && whole[0] >= 1 && whole[1] >= 1) {
    *held = rows(static_cast<Index>(whole[0]));
    wanted = {static_cast<hsize_t>(held->first), static_cast<hsize_t>(held->count)};
  }
  const hdf5::Array<double> a = reader.read_float64(name, 2, accepted, wanted);
  if (whole.size() != 2 || whole[0] < 1 || whole[1] < 1)
    throw reader.error(name, "has shape " + hdf5::format_shape(whole) + "; accepted " + accepted +
                                 " with N, d >= 1");
  *examples = static_cast<Index>(whole[0]);
  const auto n = static_cast<Index>(a.shape[0]), d = static_cast<Index>(a.shape[1]);
  FloatMatrix m(d, n);
  constexpr double kMax = std::numeric_limits<float>::max();
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < d; ++j) {
      const double v = a.values[static_cast<std::size_t>(i * d + j)];
      if (!std::isfinite(v) || std::abs(v) > kMax)
        throw reader.error(name, "has " + (std::isnan(v) ? std::string("NaN") : format_number(v)) +
                                     " at index [" + std::to_string(held->first + i) + ", " +
                                     std::to_string(j) + "]; accepted " + accepted +
                                     " within the float range");
      m(j, i) = static_cast<float>(v);
    }
  return m;
}

// Every label of /y-like `name` (one for each of the n examples of `features`), checked; the
// caller keeps its rows (labels are small: all of them give the number of classes).
std::vector<Index> read_labels(const hdf5::Reader& reader, const std::string& name, Index n,
                               const std::string& features) {
  const std::string accepted = "integer class labels [N], each >= 0";
  if (!reader.is_integer(name))
    throw reader.error(name, "holds floats; accepted " + accepted + " for a classifier");
  const hdf5::Array<std::int64_t> a = reader.read_int64(name, 1, accepted);
  if (static_cast<Index>(a.shape[0]) != n)
    throw reader.error(name, "has " + std::to_string(a.shape[0]) + " labels, " + features +
                                 " has " + std::to_string(n) + " examples; accepted one each");
  std::vector<Index> labels(a.values.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (a.values[i] < 0 || a.values[i] > std::numeric_limits<std::int32_t>::max())
      throw reader.error(name, "label " + std::to_string(a.values[i]) + " of example " +
                                   std::to_string(i) + " out of range; accepted " + accepted);
    labels[i] = static_cast<Index>(a.values[i]);
  }
  return labels;
}

// The targets of the `rows` of the n examples of `features`: a k × rows.count matrix.
FloatMatrix read_targets(const hdf5::Reader& reader, const std::string& name, Index n,
                         const std::string& features, Share rows) {
  const std::string accepted = "float targets [N] or [N, k], finite";
  const std::size_t rank = reader.rank_of(name);
  if (rank != 1 && rank != 2)
    throw reader.error(name, "has rank " + std::to_string(rank) + "; accepted " + accepted);
  const hdf5::Shape whole = reader.shape_of(name);
  if (static_cast<Index>(whole[0]) != n)
    throw reader.error(name, "has " + std::to_string(whole[0]) + " targets, " + features + " has " +
                                 std::to_string(n) + " examples; accepted one each");
  const hdf5::Rows wanted{static_cast<hsize_t>(rows.first), static_cast<hsize_t>(rows.count)};
  hdf5::Array<double> a;
  if (reader.is_integer(name)) {
    const hdf5::Array<std::int64_t> i = reader.read_int64(name, rank, accepted, wanted);
    a.shape = i.shape;
    a.values.assign(i.values.begin(), i.values.end());
  } else {
    a = reader.read_float64(name, rank, accepted, wanted);
  }
  reader.require_finite(name, a);
  const Index k = rank == 2 ? static_cast<Index>(a.shape[1]) : 1;
  if (k < 1) throw reader.error(name, "has no target values; accepted " + accepted);
  FloatMatrix m(k, rows.count);
  for (Index i = 0; i < rows.count; ++i)
    for (Index j = 0; j < k; ++j) m(j, i) = static_cast<float>(a.values[std::size_t(i * k + j)]);
  return m;
}

// The images of rows(N) of an IDX image file of N, as pixels in [0, 1].
FloatMatrix idx_images(const std::string& path, const std::function<Share(Index)>& rows,
                       Index* examples) {
  const IdxPart part = read_idx(path, 0x00000803, 3, "unsigned-byte images", [&](const auto& dims) {
    if (dims[0] < 1 || dims[1] * dims[2] < 1)
      throw input_error(path, "header", "announces no images");
    return rows(static_cast<Index>(dims[0]));
  });
  *examples = static_cast<Index>(part.dims[0]);
  FloatMatrix images(static_cast<Index>(part.dims[1] * part.dims[2]), part.rows.count);
  float* out = images.data();  // column j = image j: the bytes' order
  for (std::size_t k = 0; k < part.bytes.size(); ++k)
    out[k] = static_cast<float>(part.bytes[k]) / 255.0f;
  return images;
}

// The labels of `rows` of an IDX label file, which must have `count` of them (one per image of
// `images`).
std::vector<Index> idx_labels(const std::string& path, Index classes, Share rows, Index count,
                              const std::string& images) {
  const IdxPart part = read_idx(path, 0x00000801, 1, "unsigned-byte labels", [&](const auto& dims) {
    if (count >= 0 && static_cast<Index>(dims[0]) != count)
      throw input_error(path, "count",
                        std::to_string(dims[0]) + " labels for the " + std::to_string(count) +
                            " images of " + images + "; accepted one label per image");
    return count >= 0 ? rows : Share{0, static_cast<Index>(dims[0])};
  });
  std::vector<Index> labels(part.bytes.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    labels[i] = part.bytes[i];
    if (labels[i] >= classes)
      throw input_error(path, "label",
                        std::to_string(labels[i]) + " of example " +
                            std::to_string(part.rows.first + static_cast<Index>(i)) +
                            " out of range; accepted 0.." + std::to_string(classes - 1));
  }
  return labels;
}

std::vector<Index> rows_of(const std::vector<Index>& all, Share rows) {
  return {all.begin() + rows.first, all.begin() + rows.end()};
}

Dataset read_fashion_mnist(const std::string& folder, const Selection& selection) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw input_error(folder, "path",
                      "not a folder; accepted the folder of the Fashion-MNIST IDX files (Debian: "
                      "apt install dataset-fashion-mnist, which puts them in " +
                          std::string(kFashionMnistFolder) + ")");
  Dataset d;
  d.name = folder;
  d.classes = 10;
  const std::string train_images = idx_file(folder, "train-images-idx3-ubyte");
  const std::string train_labels = idx_file(folder, "train-labels-idx1-ubyte");
  const std::string test_images = idx_file(folder, "t10k-images-idx3-ubyte");
  const std::string test_labels = idx_file(folder, "t10k-labels-idx1-ubyte");
  Share rows;
  Index in_file = 0;
  d.features = idx_images(
      train_images,
      [&](Index n) {
        return rows =
                   pick(selection.train_samples, n, "train_samples", folder, selection, &d.total);
      },
      &in_file);
  d.first = rows.first;
  d.labels = idx_labels(train_labels, d.classes, rows, in_file, train_images);
  d.test_features = idx_images(
      test_images,
      [&](Index n) {
        return rows = pick(selection.test_samples, n, "test_samples", folder, selection,
                           &d.test_total);
      },
      &in_file);
  d.test_first = rows.first;
  d.test_labels = idx_labels(test_labels, d.classes, rows, in_file, test_images);
  if (d.test_features.rows() != d.features.rows())
    throw input_error(test_images, "header",
                      "images of " + std::to_string(d.test_features.rows()) +
                          " pixels, the training images have " + std::to_string(d.features.rows()));
  return d;
}

Dataset read_hdf5_dataset(const std::string& path, TrainingTask task, const Selection& selection) {
  const hdf5::Reader reader(path);
  Dataset d;
  d.name = path;
  Index n = 0, n_test = 0;
  Share rows, test_rows;
  d.features = read_features(
      reader, "/X",
      [&](Index n) {
        return pick(selection.train_samples, n, "train_samples", path, selection, &d.total);
      },
      &n, &rows);
  d.first = rows.first;
  const bool has_test = reader.has("/X_test");
  if (has_test) {
    d.test_features = read_features(
        reader, "/X_test",
        [&](Index n) {
          return pick(selection.test_samples, n, "test_samples", path, selection, &d.test_total);
        },
        &n_test, &test_rows);
    d.test_first = test_rows.first;
    if (d.test_features.rows() != d.features.rows())
      throw reader.error("/X_test", "has " + std::to_string(d.test_features.rows()) +
                                        " features, /X has " + std::to_string(d.features.rows()) +
                                        "; accepted the same d");
  } else if (reader.has("/y_test")) {
    throw reader.error("/y_test", "given without /X_test; accepted both or neither");
  }
  switch (task) {
    case TrainingTask::kClassifier: {
      // Every label is read, for the number of classes (the largest label of both files, as
      // without a selection); the selected rows are kept.
      const std::vector<Index> labels = read_labels(reader, "/y", n, "/X");
      Index largest = *std::max_element(labels.begin(), labels.end());
      d.labels = rows_of(labels, rows);
      if (has_test) {
        if (!reader.has("/y_test"))
          throw reader.error("/y_test", "missing; accepted test labels when /X_test is given");
        const std::vector<Index> test_labels = read_labels(reader, "/y_test", n_test, "/X_test");
        largest = std::max(largest, *std::max_element(test_labels.begin(), test_labels.end()));
        d.test_labels = rows_of(test_labels, test_rows);
      }
      d.classes = largest + 1;
      if (d.classes < 2)
        throw reader.error("/y", "has a single class (0); accepted labels of at least 2 classes");
      break;
    }
    case TrainingTask::kRegression:
      d.targets = read_targets(reader, "/y", n, "/X", rows);
      if (has_test) {
        if (!reader.has("/y_test"))
          throw reader.error("/y_test", "missing; accepted test targets when /X_test is given");
        d.test_targets = read_targets(reader, "/y_test", n_test, "/X_test", test_rows);
        if (d.test_targets.rows() != d.targets.rows())
          throw reader.error("/y_test", "has " + std::to_string(d.test_targets.rows()) +
                                            " values per target, /y has " +
                                            std::to_string(d.targets.rows()));
      }
      break;
    case TrainingTask::kAutoencoder:
      break;  // the features are the targets; /y is not read
  }
  return d;
}

// One mean and one standard deviation over every training feature of every process (as
// torchvision's Normalize with Fashion-MNIST's scalars), applied to both sets. Collective
// under a group: the sums are added in rank order.
void standardize(Dataset& d, ProcessGroup* group) {
  const double count = double(d.examples()) * double(d.dimension());
  auto sum = [&](double local) {
    Vector value = Vector::Constant(1, local);
    if (group) group->sum_in_rank_order(value);
    return value[0];
  };
  const double mean = sum(d.features.cast<double>().sum()) / count;
  const double var = sum((d.features.cast<double>().array() - mean).square().sum()) / count;
  const double scale = var > 0.0 ? 1.0 / std::sqrt(var) : 1.0;
  d.features = ((d.features.array() - float(mean)) * float(scale)).matrix();
  if (d.has_test())
    d.test_features = ((d.test_features.array() - float(mean)) * float(scale)).matrix();
}

}  // namespace

template <>
const std::vector<EnumValue<DataSource>>& enum_values<DataSource>() {
  static const std::vector<EnumValue<DataSource>> values = {
      {DataSource::kFashionMnist, "fashion-mnist",
       "Fashion-MNIST IDX files (Debian's dataset-fashion-mnist): 60000 + 10000 images, 10 "
       "classes, pixels in [0, 1]"},
      {DataSource::kHdf5, "hdf5",
       "an HDF5 file: /X [N, d], /y [N], optional /X_test, /y_test (docs/file-formats.md)"},
  };
  return values;
}

const OptionTable<DataOptions>& DataOptions::table() {
  using O = DataOptions;
  static const OptionTable<O> table(
      "DataOptions",
      {
          field("data", &O::data, "the data set"),
          field("path", &O::path,
                "fashion-mnist: the folder of its IDX files; hdf5: the file (relative to the "
                "problem file)")
              .as_path()
              .defaults_to(std::string(kFashionMnistFolder) + " (fashion-mnist); required for "
                                                              "hdf5"),
          field("train_samples", &O::train_samples,
                "train on the first train_samples examples only")
              .at_least(1)
              .or_zero("all"),
          field("test_samples", &O::test_samples, "test on the first test_samples examples only")
              .at_least(1)
              .or_zero("all"),
          field("standardize", &O::standardize,
                "features minus the training mean, over the training standard deviation (one "
                "scalar each)"),
      });
  return table;
}

std::optional<FieldError> DataOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (data == DataSource::kHdf5 && path.empty())
    return FieldError{"DataOptions::path", "is required for data = \"hdf5\": the HDF5 file"};
  return std::nullopt;
}

FloatMatrix read_idx_images(const std::string& path) {
  Index examples = 0;
  return idx_images(
      path,
      [](Index n) {
        return Share{0, n};
      },
      &examples);
}

std::vector<Index> read_idx_labels(const std::string& path, Index classes) {
  return idx_labels(path, classes, {}, -1, "");
}

Dataset load_fashion_mnist(const std::string& folder) { return read_fashion_mnist(folder, {}); }

Dataset load_hdf5_dataset(const std::string& path, TrainingTask task) {
  return read_hdf5_dataset(path, task, {});
}

Dataset load_dataset(const DataOptions& options, TrainingTask task, ProcessGroup* group) {
  if (const auto error = options.Check()) throw InputError(*error);
  Selection selection{options.train_samples, options.test_samples, 0, 1};
  if (group) selection.rank = group->rank(), selection.ranks = group->size();
  Dataset d;
  std::exception_ptr error;
  try {
    if (options.data == DataSource::kHdf5) {
      d = read_hdf5_dataset(options.path, task, selection);
    } else {
      if (task == TrainingTask::kRegression)
        throw InputError(FieldError{"DataOptions::data",
                                    "fashion-mnist has class labels, not real targets; accepted "
                                    "for a regression: hdf5"});
      d = read_fashion_mnist(options.path.empty() ? kFashionMnistFolder : options.path, selection);
    }
  } catch (...) {
    if (!group) throw;
    error = std::current_exception();
  }
  if (group) {
    // The standardization's sums are collective: every process goes on to them, or none does.
    std::int64_t failed = error ? 1 : 0;
    group->agree_max({&failed, 1});
    if (error) std::rethrow_exception(error);
    if (failed) throw AnotherProcessFailed();
  }
  if (options.standardize) standardize(d, group);
  return d;
}

}  // namespace sgda
