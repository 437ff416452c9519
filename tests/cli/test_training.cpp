// Training problems through `sgda`: a classifier on a tiny IDX data set prints its test accuracy;
// a bad data file is exit code 2 with one line naming the file and the field; `sgda theory`
// says that reshuffling is not covered; a regression learns from an HDF5 data set; an
// experiment grids step rules, batch sizes and seeds and its report plots the accuracy against
// epochs and wall time.
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "report_helpers.hpp"

using sgda::testing::count;
using sgda::testing::Json;
using sgda::testing::lines;
using sgda::testing::num;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

namespace {

void write_idx(const TempDir& dir, const std::string& name, std::uint32_t magic,
               const std::vector<std::uint32_t>& dims, const std::vector<unsigned char>& data) {
  std::vector<unsigned char> b;
  auto put = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
  };
  put(magic);
  for (std::uint32_t d : dims) put(d);
  b.insert(b.end(), data.begin(), data.end());
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// n images of 2 × 2 pixels, class c lighting pixel c (of 3 classes).
void write_set(const TempDir& dir, const std::string& prefix, std::uint32_t n) {
  std::vector<unsigned char> pixels, labels;
  for (std::uint32_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(i % 3);
    for (unsigned char p = 0; p < 4; ++p)
      pixels.push_back(static_cast<unsigned char>(p == c ? 200 + i % 50 : (i * 7 + p) % 40));
    labels.push_back(c);
  }
  write_idx(dir, prefix + "-images-idx3-ubyte", 0x803, {n, 2, 2}, pixels);
  write_idx(dir, prefix + "-labels-idx1-ubyte", 0x801, {n}, labels);
}

// The value after `label` in a line such as "test accuracy 91.67 %, test loss 0.25, ...".
double value_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label + " ");
  return at == std::string::npos ? NAN : std::stod(text.substr(at + label.size() + 1));
}

const char* kProblem = R"([problem]
type = "classifier"
data = "fashion-mnist"
path = "data"
hidden = "8"

[method]
name = "sgda"
sampling = "shuffle"
batch_size = 8

[step]
rule = "adam"

[run]
step_size = 0.01
iterations = 100
log_every_epochs = 1
seed = 1
)";

}  // namespace

TEST_CASE("sgda solve trains a classifier and prints its test accuracy", "[cli][training]") {
  TempDir dir("training");
  std::filesystem::create_directories(dir / "data");
  write_set(dir, "data/train", 48);
  write_set(dir, "data/t10k", 12);
  dir.write("mlp.toml", kProblem);
  const Result r = run("solve mlp.toml -o run.h5", dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("test accuracy"));
  CHECK_THAT(r.out, Catch::Contains("train loss"));
  CHECK_THAT(r.out, Catch::Contains("(epoch 16.67, iteration 100)"));  // 6 batches per epoch

  const Result t = run("theory mlp.toml", dir);
  CHECK(t.status == 0);
  CHECK_THAT(t.out, Catch::Contains("not covered    random reshuffling"));

  // A truncated labels file: exit code 2, one line naming the file and the field.
  write_idx(dir, "data/train-labels-idx1-ubyte", 0x801, {48}, std::vector<unsigned char>(40, 1));
  const Result bad = run("solve mlp.toml", dir);
  CHECK(bad.status == 2);
  CHECK(lines(bad.err) == 1);
  CHECK_THAT(bad.err, Catch::Contains("data/train-labels-idx1-ubyte: data: truncated"));

  // A key of the data set out of range is located in the problem file.
  write_set(dir, "data/train", 48);
  const Result cut = run("solve mlp.toml --iterations 1", dir);
  CHECK(cut.status == 0);
  dir.write("big.toml", std::string(kProblem).replace(std::string(kProblem).find("hidden"), 0,
                                                      "train_samples = 100\n"));
  const Result big = run("solve big.toml", dir);
  CHECK(big.status == 2);
  CHECK_THAT(big.err, Catch::Contains("big.toml:5: problem.train_samples: must be at most the 48"));
}

TEST_CASE("sgda solve trains a regression on an HDF5 data set", "[cli][training]") {
  // y = sin(2 x0) + x1 x2 on a grid of [-1, 1]^3, the test set between the training points.
  TempDir dir("regression");
  auto put = [](H5::H5File& file, const std::string& name, const std::vector<hsize_t>& shape,
                const std::vector<float>& values) {
    H5::DataSpace space(int(shape.size()), shape.data());
    file.createDataSet(name, H5::PredType::NATIVE_FLOAT, space)
        .write(values.data(), H5::PredType::NATIVE_FLOAT);
  };
  double variance = 0.0;  // of the test targets: the loss of the best constant predictor
  {
    H5::H5File file((dir / "data.h5").string(), H5F_ACC_TRUNC);
    for (const bool test : {false, true}) {
      std::vector<float> x, y;
      const int m = test ? 5 : 8;  // m^3 points
      for (int i = 0; i < m; ++i)
        for (int j = 0; j < m; ++j)
          for (int l = 0; l < m; ++l) {
            const float a = -1.0f + 2.0f * (float(i) + (test ? 0.5f : 0.0f)) / float(m);
            const float b = -1.0f + 2.0f * (float(j) + (test ? 0.5f : 0.0f)) / float(m);
            const float c = -1.0f + 2.0f * (float(l) + (test ? 0.5f : 0.0f)) / float(m);
            x.insert(x.end(), {a, b, c});
            y.push_back(std::sin(2.0f * a) + b * c);
          }
      const hsize_t n = y.size();
      put(file, test ? "X_test" : "X", {n, 3}, x);
      put(file, test ? "y_test" : "y", {n}, y);
      if (test) {
        double mean = 0.0;
        for (const float v : y) mean += v / double(n);
        for (const float v : y) variance += (v - mean) * (v - mean) / double(n);
      }
    }
  }
  dir.write("regression.toml", R"([problem]
type = "regression"
data = "hdf5"
path = "data.h5"
hidden = "32,32"
activation = "tanh"

[method]
name = "sgda"
sampling = "shuffle"
batch_size = 16

[step]
rule = "adam"

[run]
step_size = 0.01
iterations = 1536
log_every_epochs = 8
seed = 1
)");
  const Result r = run("solve regression.toml -o run.h5", dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("(epoch 48, iteration 1536)"));  // 512 examples, 32 batches
  CHECK(r.out.find("accuracy") == std::string::npos);                // no classes
  // Off the training points, the network explains the variance (R² ≥ 0.99; the
  // initial network explains none of it).
  const double test_loss = value_after(r.out, "test loss");
  INFO("test loss " << test_loss << ", variance " << variance);
  CHECK(test_loss <= 0.01 * variance);
}

TEST_CASE(
    "sgda experiment grids step rules, batch sizes and seeds on a training problem, and sgda "
    "report "
    "plots loss and accuracy against epochs and wall time",
    "[cli][training][report]") {
  TempDir dir("training-grid");
  std::filesystem::create_directories(dir / "data");
  write_set(dir, "data/train", 48);
  write_set(dir, "data/t10k", 12);
  dir.write("grid.toml", R"([experiment]
title = "toy classifier"
seeds = 2
step_sizes = [0.01]

[problem]
type = "classifier"
data = "fashion-mnist"
path = "data"
hidden = "8"

[run]
iterations = 120
log_every_epochs = 2

[[method]]
name = "sgda"
sampling = "shuffle"
batch_size = [4, 8]
step = ["adam", "momentum"]
)");
  const Result e = run("experiment grid.toml -o runs.h5", dir);
  INFO(e.out << e.err);
  REQUIRE(e.status == 0);
  CHECK(count(e.err, ": iteration limit after 120 iterations, test accuracy ") == 8);
  const Result r = run("report runs.h5 -o report.html", dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);

  const std::string html = read(dir / "report.html");
  for (const char* column : {"train_loss", "test_loss", "test_accuracy"})
    for (const char* axis : {"iterations", "epochs", "wall time"})
      CHECK(count(html, std::string("<title>") + column + " vs " + axis + "</title>") == 1);
  // Every group (rule × batch size, two seeds each) learnt the three classes: far above the
  // 1/3 of chance, in the JSON as in the runs file.
  const Json json = Json::parse(read(dir / "report.json"));
  const Json& groups = json.at("experiments").at(0).at("groups");
  REQUIRE(groups.size() == 4);
  for (const Json& g : groups) {
    INFO(g.at("label").get<std::string>());
    CHECK(g.at("runs").size() == 2);
    CHECK(num(g.at("extra").at("test_accuracy")) >= 0.9);
  }
}
