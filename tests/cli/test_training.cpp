// Training problems through `sgda`: a classifier on a tiny IDX data set prints its test accuracy;
// a bad data file is exit code 2 with one line naming the file and the field; `sgda theory`
// says that reshuffling is not covered.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"

using sgda::testing::lines;
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
