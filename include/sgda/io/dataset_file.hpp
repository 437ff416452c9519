// Data sets for training problems (problems/training.hpp), read into a Dataset:
//   - Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from its IDX files, as Debian's
//     dataset-fashion-mnist installs them (kFashionMnistFolder) or in a folder given:
//     {train,t10k}-{images-idx3,labels-idx1}-ubyte, each gzip-compressed (.gz) or plain.
//     Pixels are scaled to [0, 1] (byte / 255); 10 classes.
//   - An HDF5 file of the layout of docs/file-formats.md ("Data sets"): /X [N, d] float, /y [N]
//     integer class labels or float targets ([N, k] for k targets), optional /X_test, /y_test.
// Every problem with a file is a one-line InputError naming the file and the field (magic,
// truncated data, a label out of range, a NaN feature, shapes, counts).
#pragma once

#include <optional>
#include <string>

#include "sgda/options.hpp"
#include "sgda/problems/training.hpp"

namespace sgda {

// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr const char* kFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

enum class DataSource { kFashionMnist, kHdf5 };
template <>
const std::vector<EnumValue<DataSource>>& enum_values<DataSource>();

struct DataOptions {
  DataSource data = DataSource::kFashionMnist;
  // fashion-mnist: the folder of the IDX files ("" = kFashionMnistFolder); hdf5: the file.
  std::string path;
  Index train_samples = 0;   // the first train_samples training examples; 0 = all
  Index test_samples = 0;    // the first test_samples test examples; 0 = all
  bool standardize = false;  // features minus the training mean, over the training std

  static const OptionTable<DataOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges; hdf5 needs a path
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// One IDX file (gzip or plain): unsigned-byte images (magic 0x00000803) as a (rows·cols) × N
// matrix scaled to [0, 1], or unsigned-byte labels (magic 0x00000801), each < `classes`.
FloatMatrix read_idx_images(const std::string& path);
std::vector<Index> read_idx_labels(const std::string& path, Index classes);

// Fashion-MNIST from `folder` (each file as NAME.gz or NAME): 60000 training and 10000 test
// images of 28 × 28 pixels, 10 classes.
Dataset load_fashion_mnist(const std::string& folder = kFashionMnistFolder);

// An HDF5 data set; `task` says what /y must be (classes, targets, or unused).
Dataset load_hdf5_dataset(const std::string& path, TrainingTask task);

// The data set of `options` for `task`: loaded, cut to the subsets, standardized if asked.
// With a group of processes (data-parallel training, docs/mpi.md), each process reads and holds
// only its share of each set's examples (share_of: contiguous rows; an HDF5 hyperslab of /X, the
// IDX files streamed past the other rows), Dataset::first and total saying which; the
// standardization's mean and deviation are summed over the group. Collective then: a file
// error on one process throws AnotherProcessFailed on the others.
Dataset load_dataset(const DataOptions& options, TrainingTask task, ProcessGroup* group = nullptr);

}  // namespace sgda
