#include "sgda/io/dataset_file.hpp"

#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "hdf5_util.hpp"
#include "sgda/error.hpp"

namespace sgda {
namespace {

namespace fs = std::filesystem;

// The whole content of a gzip file, or of a plain file (zlib reads those transparently).
std::vector<unsigned char> read_maybe_gzip(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw input_error(path, "file", "missing or not a regular file; accepted an IDX file");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw input_error(path, "file", "cannot open");
  std::vector<unsigned char> bytes;
  constexpr unsigned kChunk = 1u << 20;
  for (;;) {
    const std::size_t size = bytes.size();
    bytes.resize(size + kChunk);
    const int got = gzread(file, bytes.data() + size, kChunk);
    if (got < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      if (code == Z_BUF_ERROR || message.find("unexpected end of file") != std::string::npos)
        throw input_error(path, "gzip", "truncated: the compressed stream ends early");
      throw input_error(path, "gzip", "cannot decompress (" + message + ")");
    }
    bytes.resize(size + static_cast<std::size_t>(got));
    if (got == 0) break;
  }
  int code = Z_OK;
  const std::string message = gzerror(file, &code);
  const int closed = gzclose(file);
  if (code == Z_BUF_ERROR || closed == Z_BUF_ERROR ||
      message.find("unexpected end of file") != std::string::npos)
    throw input_error(path, "gzip", "truncated: the compressed stream ends early");
  if (code != Z_OK || closed != Z_OK)
    throw input_error(path, "gzip", "cannot decompress (" + message + ")");
  return bytes;
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

// The dimensions of an IDX file of unsigned bytes with `rank` dimensions and magic `magic`,
// after checking the size; the data start at 4 + 4·rank.
std::vector<std::size_t> idx_dimensions(const std::string& path,
                                        const std::vector<unsigned char>& bytes,
                                        std::uint32_t magic, std::size_t rank, const char* what) {
  const std::size_t header = 4 + 4 * rank;
  if (bytes.size() < 4)
    throw input_error(
        path, "magic",
        "truncated: " + std::to_string(bytes.size()) + " bytes; accepted an IDX file of " + what);
  if (big_endian(bytes, 0) != magic)
    throw input_error(path, "magic",
                      "is " + hex(big_endian(bytes, 0)) + ", expected " + hex(magic) +
                          "; accepted an IDX file of " + what + " (gzip-compressed or plain)");
  if (bytes.size() < header)
    throw input_error(path, "header",
                      "truncated: " + std::to_string(bytes.size()) +
                          " bytes, the header alone has " + std::to_string(header));
  std::vector<std::size_t> dims;
  std::size_t total = 1;
  std::string shape;
  for (std::size_t k = 0; k < rank; ++k) {
    dims.push_back(big_endian(bytes, 4 + 4 * k));
    total *= dims.back();
    shape += (k ? " x " : "") + std::to_string(dims.back());
  }
  const std::size_t data = bytes.size() - header;
  if (data < total)
    throw input_error(path, "data",
                      "truncated: the header says " + shape + " = " + std::to_string(total) +
                          " bytes, the file has " + std::to_string(data));
  if (data > total)
    throw input_error(path, "data",
                      "has " + std::to_string(data - total) + " bytes after the " + shape +
                          " the header announces; accepted exactly that many");
  return dims;
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

void check_counts(const std::string& labels_path, std::size_t labels, std::size_t images,
                  const std::string& images_path) {
  if (labels != images)
    throw input_error(labels_path, "count",
                      std::to_string(labels) + " labels for the " + std::to_string(images) +
                          " images of " + images_path + "; accepted one label per image");
}

// /X-like dataset [N, d] into a d × N float matrix (the same bytes order), every value finite.
FloatMatrix read_features(const hdf5::Reader& reader, const std::string& name) {
  const std::string accepted = "float [N, d], finite values";
  const hdf5::Array<double> a = reader.read_float64(name, 2, accepted);
  const auto n = static_cast<Index>(a.shape[0]), d = static_cast<Index>(a.shape[1]);
  if (n < 1 || d < 1)
    throw reader.error(name, "has shape " + hdf5::format_shape(a.shape) + "; accepted " + accepted +
                                 " with N, d >= 1");
  FloatMatrix m(d, n);
  constexpr double kMax = std::numeric_limits<float>::max();
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < d; ++j) {
      const double v = a.values[static_cast<std::size_t>(i * d + j)];
      if (!std::isfinite(v) || std::abs(v) > kMax)
        throw reader.error(name, "has " + (std::isnan(v) ? std::string("NaN") : format_number(v)) +
                                     " at index [" + std::to_string(i) + ", " + std::to_string(j) +
                                     "]; accepted " + accepted + " within the float range");
      m(j, i) = static_cast<float>(v);
    }
  return m;
}

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

FloatMatrix read_targets(const hdf5::Reader& reader, const std::string& name, Index n,
                         const std::string& features) {
  const std::string accepted = "float targets [N] or [N, k], finite";
  const std::size_t rank = reader.rank_of(name);
  if (rank != 1 && rank != 2)
    throw reader.error(name, "has rank " + std::to_string(rank) + "; accepted " + accepted);
  hdf5::Array<double> a;
  if (reader.is_integer(name)) {
    const hdf5::Array<std::int64_t> i = reader.read_int64(name, rank, accepted);
    a.shape = i.shape;
    a.values.assign(i.values.begin(), i.values.end());
  } else {
    a = reader.read_float64(name, rank, accepted);
  }
  if (static_cast<Index>(a.shape[0]) != n)
    throw reader.error(name, "has " + std::to_string(a.shape[0]) + " targets, " + features +
                                 " has " + std::to_string(n) + " examples; accepted one each");
  reader.require_finite(name, a);
  const Index k = rank == 2 ? static_cast<Index>(a.shape[1]) : 1;
  if (k < 1) throw reader.error(name, "has no target values; accepted " + accepted);
  FloatMatrix m(k, n);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j) m(j, i) = static_cast<float>(a.values[std::size_t(i * k + j)]);
  return m;
}

template <class M>
M first_columns(const M& m, Index count) {
  return count > 0 && count < m.cols() ? M(m.leftCols(count)) : m;
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
  const std::vector<unsigned char> bytes = read_maybe_gzip(path);
  const auto dims = idx_dimensions(path, bytes, 0x00000803, 3, "unsigned-byte images");
  const auto n = static_cast<Index>(dims[0]), d = static_cast<Index>(dims[1] * dims[2]);
  if (n < 1 || d < 1) throw input_error(path, "header", "announces no images");
  FloatMatrix images(d, n);
  const unsigned char* pixels = bytes.data() + 16;
  float* out = images.data();  // column j = image j: the bytes' order
  for (Index k = 0; k < n * d; ++k) out[k] = static_cast<float>(pixels[k]) / 255.0f;
  return images;
}

std::vector<Index> read_idx_labels(const std::string& path, Index classes) {
  const std::vector<unsigned char> bytes = read_maybe_gzip(path);
  const auto dims = idx_dimensions(path, bytes, 0x00000801, 1, "unsigned-byte labels");
  std::vector<Index> labels(dims[0]);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    labels[i] = bytes[8 + i];
    if (labels[i] >= classes)
      throw input_error(path, "label",
                        std::to_string(labels[i]) + " of example " + std::to_string(i) +
                            " out of range; accepted 0.." + std::to_string(classes - 1));
  }
  return labels;
}

Dataset load_fashion_mnist(const std::string& folder) {
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
  d.features = read_idx_images(train_images);
  d.labels = read_idx_labels(train_labels, d.classes);
  check_counts(train_labels, d.labels.size(), std::size_t(d.features.cols()), train_images);
  d.test_features = read_idx_images(test_images);
  d.test_labels = read_idx_labels(test_labels, d.classes);
  check_counts(test_labels, d.test_labels.size(), std::size_t(d.test_features.cols()), test_images);
  if (d.test_features.rows() != d.features.rows())
    throw input_error(test_images, "header",
                      "images of " + std::to_string(d.test_features.rows()) +
                          " pixels, the training images have " + std::to_string(d.features.rows()));
  return d;
}

Dataset load_hdf5_dataset(const std::string& path, TrainingTask task) {
  const hdf5::Reader reader(path);
  Dataset d;
  d.name = path;
  d.features = read_features(reader, "/X");
  const Index n = d.features.cols();
  const bool has_test = reader.has("/X_test");
  if (has_test) {
    d.test_features = read_features(reader, "/X_test");
    if (d.test_features.rows() != d.features.rows())
      throw reader.error("/X_test", "has " + std::to_string(d.test_features.rows()) +
                                        " features, /X has " + std::to_string(d.features.rows()) +
                                        "; accepted the same d");
  } else if (reader.has("/y_test")) {
    throw reader.error("/y_test", "given without /X_test; accepted both or neither");
  }
  const Index n_test = d.test_features.cols();
  switch (task) {
    case TrainingTask::kClassifier: {
      d.labels = read_labels(reader, "/y", n, "/X");
      Index largest = *std::max_element(d.labels.begin(), d.labels.end());
      if (has_test) {
        if (!reader.has("/y_test"))
          throw reader.error("/y_test", "missing; accepted test labels when /X_test is given");
        d.test_labels = read_labels(reader, "/y_test", n_test, "/X_test");
        largest = std::max(largest, *std::max_element(d.test_labels.begin(), d.test_labels.end()));
      }
      d.classes = largest + 1;
      if (d.classes < 2)
        throw reader.error("/y", "has a single class (0); accepted labels of at least 2 classes");
      break;
    }
    case TrainingTask::kRegression:
      d.targets = read_targets(reader, "/y", n, "/X");
      if (has_test) {
        if (!reader.has("/y_test"))
          throw reader.error("/y_test", "missing; accepted test targets when /X_test is given");
        d.test_targets = read_targets(reader, "/y_test", n_test, "/X_test");
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

Dataset load_dataset(const DataOptions& options, TrainingTask task) {
  if (const auto error = options.Check()) throw InputError(*error);
  Dataset d;
  if (options.data == DataSource::kHdf5) {
    d = load_hdf5_dataset(options.path, task);
  } else {
    if (task == TrainingTask::kRegression)
      throw InputError(FieldError{"DataOptions::data",
                                  "fashion-mnist has class labels, not real targets; accepted "
                                  "for a regression: hdf5"});
    d = load_fashion_mnist(options.path.empty() ? kFashionMnistFolder : options.path);
  }
  auto cut = [&](Index count, Index available, const char* field) {
    if (count > available)
      throw InputError(FieldError{std::string("DataOptions::") + field,
                                  "must be at most the " + std::to_string(available) +
                                      " examples of " + d.name + " (or 0 for all), got " +
                                      std::to_string(count)});
  };
  if (options.train_samples > 0) {
    cut(options.train_samples, d.size(), "train_samples");
    d.features = first_columns(d.features, options.train_samples);
    if (!d.labels.empty()) d.labels.resize(static_cast<std::size_t>(options.train_samples));
    if (d.targets.size() > 0) d.targets = first_columns(d.targets, options.train_samples);
  }
  if (options.test_samples > 0 && d.has_test()) {
    cut(options.test_samples, d.test_features.cols(), "test_samples");
    d.test_features = first_columns(d.test_features, options.test_samples);
    if (!d.test_labels.empty())
      d.test_labels.resize(static_cast<std::size_t>(options.test_samples));
    if (d.test_targets.size() > 0)
      d.test_targets = first_columns(d.test_targets, options.test_samples);
  }
  if (options.standardize) {
    // One mean and one standard deviation over every training feature (as torchvision's
    // Normalize with Fashion-MNIST's scalars), applied to both sets.
    const double mean = d.features.cast<double>().mean();
    const double var = (d.features.cast<double>().array() - mean).square().mean();
    const double scale = var > 0.0 ? 1.0 / std::sqrt(var) : 1.0;
    d.features = ((d.features.array() - float(mean)) * float(scale)).matrix();
    if (d.has_test())
      d.test_features = ((d.test_features.array() - float(mean)) * float(scale)).matrix();
  }
  return d;
}

}  // namespace sgda
