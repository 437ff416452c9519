// Training problems (problems/training.hpp), their data sets (io/dataset_file.hpp) and shuffled
// epochs (make_shuffled_sampling): loaders refuse bad files naming the file and the field; the
// batched gradient is the weighted sum of per-example gradients and the derivative of the loss;
// reshuffling draws every example once per epoch and resumes bit for bit; a small MLP learns
// a Fashion-MNIST subset.
#include <H5Cpp.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "sgda/estimators/sgda.hpp"
#include "sgda/io/dataset_file.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/theory.hpp"
#include "training_data.hpp"

using namespace sgda;
using sgda::testing::blobs;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("sgda_training_" + std::to_string(::getpid())) / name;
  fs::create_directories(dir.parent_path());
  return dir;
}

std::vector<unsigned char> idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& dims,
                                     const std::vector<unsigned char>& data) {
  std::vector<unsigned char> b;
  auto put = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
  };
  put(magic);
  for (std::uint32_t d : dims) put(d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_plain(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

void write_gzip(const fs::path& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

// What `load` throws (an InputError), or "" when it does not.
template <class F>
std::string error_of(F load) {
  try {
    load();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Three 2 × 2 images and their labels.
const std::vector<unsigned char> kPixels = {0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8};

}  // namespace

TEST_CASE("IDX files: read gzip or plain, pixels in [0, 1]", "[training][data]") {
  const fs::path images = scratch("images.gz"), labels = scratch("labels");
  write_gzip(images, idx_bytes(0x803, {3, 2, 2}, kPixels));
  write_plain(labels, idx_bytes(0x801, {3}, {0, 9, 4}));
  const FloatMatrix x = read_idx_images(images.string());
  REQUIRE(x.rows() == 4);
  REQUIRE(x.cols() == 3);
  CHECK(x(0, 0) == 0.0f);
  CHECK(x(1, 0) == 1.0f);
  CHECK(x(2, 0) == Approx(0.2));
  CHECK(x(3, 2) == Approx(8.0 / 255.0));
  CHECK(read_idx_labels(labels.string(), 10) == std::vector<Index>{0, 9, 4});
}

TEST_CASE("IDX files: bad files name the file and the field", "[training][data]") {
  const fs::path bad = scratch("bad");
  auto images_error = [&] { return error_of([&] { read_idx_images(bad.string()); }); };
  auto labels_error = [&] { return error_of([&] { read_idx_labels(bad.string(), 10); }); };

  write_plain(bad, idx_bytes(0x801, {3, 2, 2}, kPixels));  // labels' magic for images
  std::string e = images_error();
  CHECK_THAT(e, Catch::Contains(bad.string() + ": magic: is 0x00000801, expected 0x00000803"));

  std::vector<unsigned char> short_pixels(kPixels.begin(), kPixels.end() - 2);
  write_gzip(bad, idx_bytes(0x803, {3, 2, 2}, short_pixels));
  e = images_error();
  CHECK_THAT(e, Catch::Contains(bad.string() + ": data: truncated"));
  CHECK_THAT(e, Catch::Contains("3 x 2 x 2 = 12 bytes, the file has 10"));

  write_plain(bad, {0, 0, 8});  // shorter than the magic
  CHECK_THAT(images_error(), Catch::Contains(bad.string() + ": magic: truncated"));

  write_plain(bad, idx_bytes(0x803, {3, 2, 2}, std::vector<unsigned char>(13, 1)));
  CHECK_THAT(images_error(), Catch::Contains(bad.string() + ": data: has 1 bytes after"));

  // A gzip stream cut in the middle.
  const fs::path whole = scratch("whole.gz");
  write_gzip(whole, idx_bytes(0x803, {3000, 2, 2}, std::vector<unsigned char>(12000, 7)));
  std::ifstream in(whole, std::ios::binary);
  std::vector<unsigned char> gz((std::istreambuf_iterator<char>(in)), {});
  gz.resize(gz.size() / 2);
  write_plain(bad, gz);
  e = images_error();
  CHECK_THAT(e, Catch::Contains(bad.string() + ":"));
  INFO(e);
  CHECK((e.find(": gzip: truncated: the compressed stream ends early") != std::string::npos ||
         e.find(": data: truncated") != std::string::npos));

  write_plain(bad, idx_bytes(0x801, {3}, {0, 12, 4}));
  CHECK_THAT(
      labels_error(),
      Catch::Contains(bad.string() + ": label: 12 of example 1 out of range; accepted 0..9"));

  CHECK_THAT(error_of([] { read_idx_images("/nonexistent/images"); }),
             Catch::Contains("/nonexistent/images: file: missing"));

  // A folder whose label count does not match its images.
  const fs::path folder = scratch("fashion");
  fs::create_directories(folder);
  write_gzip(folder / "train-images-idx3-ubyte.gz", idx_bytes(0x803, {3, 2, 2}, kPixels));
  write_gzip(folder / "train-labels-idx1-ubyte.gz", idx_bytes(0x801, {2}, {1, 2}));
  write_plain(folder / "t10k-images-idx3-ubyte", idx_bytes(0x803, {3, 2, 2}, kPixels));
  write_plain(folder / "t10k-labels-idx1-ubyte", idx_bytes(0x801, {3}, {1, 2, 3}));
  CHECK_THAT(error_of([&] { load_fashion_mnist(folder.string()); }),
             Catch::Contains("train-labels-idx1-ubyte.gz: count: 2 labels for the 3 images"));
  write_gzip(folder / "train-labels-idx1-ubyte.gz", idx_bytes(0x801, {3}, {1, 2, 0}));
  const Dataset d = load_fashion_mnist(folder.string());
  CHECK(d.size() == 3);
  CHECK(d.test_features.cols() == 3);
  CHECK(d.classes == 10);
  fs::remove(folder / "t10k-labels-idx1-ubyte");
  CHECK_THAT(error_of([&] { load_fashion_mnist(folder.string()); }),
             Catch::Contains(folder.string() + ": t10k-labels-idx1-ubyte(.gz): missing"));
}

namespace {

void write_h5(const fs::path& path, const std::function<void(H5::H5File&)>& fill) {
  H5::H5File file(path.string(), H5F_ACC_TRUNC);
  fill(file);
}

template <class T>
void put(H5::H5File& file, const std::string& name, const std::vector<hsize_t>& shape,
         const std::vector<T>& values, const H5::PredType& type) {
  H5::DataSpace space(int(shape.size()), shape.data());
  file.createDataSet(name, type, space).write(values.data(), type);
}

void put_x(H5::H5File& f, const std::string& name, hsize_t n, hsize_t d, double nan_at = -1) {
  std::vector<float> v(n * d);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = float(k % 7) / 7.0f;
  if (nan_at >= 0) v[std::size_t(nan_at)] = std::nanf("");
  put(f, name, {n, d}, v, H5::PredType::NATIVE_FLOAT);
}

void put_y(H5::H5File& f, const std::string& name, std::vector<std::int32_t> labels) {
  put(f, name, {labels.size()}, labels, H5::PredType::NATIVE_INT32);
}

}  // namespace

TEST_CASE("HDF5 data sets: the layout, and bad files named with the field", "[training][data]") {
  const fs::path good = scratch("good.h5");
  write_h5(good, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put_y(f, "/y", {0, 1, 2, 1});
    put_x(f, "/X_test", 2, 3);
    put_y(f, "/y_test", {2, 0});
  });
  const Dataset d = load_hdf5_dataset(good.string(), TrainingTask::kClassifier);
  CHECK(d.size() == 4);
  CHECK(d.dimension() == 3);
  CHECK(d.classes == 3);
  CHECK(d.test_labels == std::vector<Index>{2, 0});
  CHECK(d.features(1, 0) == Approx(1.0 / 7.0));  // row 0 of /X is example 0
  CHECK(d.features(0, 1) == Approx(3.0 / 7.0));

  const fs::path bad = scratch("bad.h5");
  auto error = [&](TrainingTask task, const std::function<void(H5::H5File&)>& fill) {
    write_h5(bad, fill);
    return error_of([&] { load_hdf5_dataset(bad.string(), task); });
  };
  const auto classifier = TrainingTask::kClassifier;
  std::string e = error(classifier, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3, 7);
    put_y(f, "/y", {0, 1, 0, 1});
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /X: has NaN at index [2, 1]"));
  e = error(classifier, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put_y(f, "/y", {0, 1, 0});
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /y: has 3 labels, /X has 4 examples"));
  e = error(classifier, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put_y(f, "/y", {0, -1, 0, 1});
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /y: label -1 of example 1 out of range"));
  e = error(classifier, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put_y(f, "/y", {0, 1, 0, 1});
    put_x(f, "/X_test", 2, 5);
    put_y(f, "/y_test", {0, 1});
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /X_test: has 5 features, /X has 3"));
  e = error(classifier, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put(f, "/y", {4}, std::vector<float>{0, 1, 0, 1}, H5::PredType::NATIVE_FLOAT);
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /y: holds floats"));
  e = error(classifier, [](H5::H5File& f) { put_y(f, "/y", {0, 1}); });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /X: missing dataset"));
  e = error(TrainingTask::kRegression, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put(f, "/y", {4, 2}, std::vector<double>{0, 1, 2, 3, 4, 5, 6, std::nan("")},
        H5::PredType::NATIVE_DOUBLE);
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /y: has NaN at index [3, 1]"));
  e = error(TrainingTask::kRegression, [](H5::H5File& f) {
    put_x(f, "/X", 4, 3);
    put(f, "/y", {5}, std::vector<double>{0, 1, 2, 3, 4}, H5::PredType::NATIVE_DOUBLE);
  });
  CHECK_THAT(e, Catch::Contains(bad.string() + ": /y: has 5 targets, /X has 4 examples"));
  // The autoencoder reads /X alone.
  write_h5(bad, [](H5::H5File& f) { put_x(f, "/X", 4, 3); });
  CHECK(load_hdf5_dataset(bad.string(), TrainingTask::kAutoencoder).size() == 4);
}

TEST_CASE("training problems: the batched sum equals the per-example gradients", "[training]") {
  for (const TrainingTask task :
       {TrainingTask::kClassifier, TrainingTask::kRegression, TrainingTask::kAutoencoder}) {
    INFO(to_string(task));
    TrainingOptions o;
    o.hidden = task == TrainingTask::kAutoencoder ? "6,3" : "7,5";
    o.activation = nn::Activation::kTanh;
    o.seed = 3;
    const TrainingProblem p(task, o, blobs(40, 5, 3, 1, task == TrainingTask::kRegression));
    CHECK(p.num_samples() == 40);
    const std::vector<Block> blocks = p.blocks();
    CHECK(blocks.front().name == "layer0.weight");
    CHECK(blocks[1].name == "layer0.bias");
    CHECK(covers(blocks, p.dim()));
    const Vector x = p.initial_point();
    SampleDraw draw;
    draw.indices = {3, 17, 17, 0, 39};  // a repeat too
    draw.weights = {0.1, 0.25, 0.5, 1.0, 2.0};
    Vector batched(p.dim()), workspace(p.dim()), sum = Vector::Zero(p.dim()), term(p.dim());
    p.sample_sum(draw, x, batched, workspace);
    for (std::size_t k = 0; k < draw.indices.size(); ++k) {
      p.sample(draw.indices[k], x, term);
      sum += draw.weights[k] * term;
    }
    CHECK((batched - sum).norm() <= 1e-12 * sum.norm());
    // The default of Problem (a loop over sample()) agrees too.
    Vector looped(p.dim());
    p.Problem::sample_sum(draw, x, looped, workspace);
    CHECK((looped - sum).norm() <= 1e-12 * sum.norm());

    // F = ∇L: central differences of the training loss along random directions.
    Vector gradient(p.dim());
    p.full(x, gradient);
    Rng rng(5);
    for (int trial = 0; trial < 3; ++trial) {
      Vector v(p.dim());
      for (Index j = 0; j < p.dim(); ++j) v[j] = rng.normal();
      v /= v.norm();
      const double h = 1e-5;
      const double numeric =
          (p.evaluate_training(x + h * v).loss - p.evaluate_training(x - h * v).loss) / (2 * h);
      CHECK(numeric == Approx(gradient.dot(v)).epsilon(1e-6).margin(1e-9));
    }
    // full() remembers the loss it found, and metrics reuse it.
    const double loss = p.evaluate_training(x).loss;
    const auto metrics = p.metrics(x);
    CHECK(metrics.front().first == "train_loss");
    CHECK(metrics.front().second == loss);
  }
}

TEST_CASE("training problems: the autoencoder mirrors its encoder, data errors", "[training]") {
  TrainingOptions o;
  o.hidden = "8,4,2";
  const TrainingProblem ae(TrainingTask::kAutoencoder, o, blobs(10, 6, 2, 1));
  CHECK(ae.network().widths() == std::vector<Index>{6, 8, 4, 2, 4, 8, 6});
  CHECK(ae.network().activation(2) == nn::Activation::kIdentity);  // the code
  CHECK(ae.network().activation(1) == nn::Activation::kRelu);
  CHECK(ae.network().activation(5) == nn::Activation::kIdentity);  // the logits
  TrainingOptions bad;
  bad.hidden = "8,x";
  CHECK_THAT(error_of([&] { TrainingProblem(TrainingTask::kClassifier, bad, blobs(10, 6, 2, 1)); }),
             Catch::Contains("hidden: must be positive widths"));
  auto data = std::make_shared<Dataset>(*blobs(10, 6, 2, 1));
  data->labels[4] = 7;
  CHECK_THAT(error_of([&] { TrainingProblem(TrainingTask::kClassifier, {}, data); }),
             Catch::Contains("blobs: y: label 7 of example 4 out of range; accepted 0..1"));
  CHECK_THAT(error_of([&] { TrainingProblem(TrainingTask::kRegression, {}, data); }),
             Catch::Contains("blobs: y: a regression needs real targets"));
}

TEST_CASE("shuffled sampling draws every example once per epoch and resumes bit for bit",
          "[training][sampling]") {
  const auto sampling = make_shuffled_sampling(10, 3);
  SampleDraw draw;
  draw.indices.reserve(3);
  draw.weights.reserve(3);
  draw.indices.assign(3, 0);
  draw.weights.assign(3, 0.0);
  Rng rng(4);
  std::vector<std::vector<Index>> epochs;
  for (int epoch = 0; epoch < 4; ++epoch) {
    std::vector<Index> seen;
    for (const std::size_t size : {3u, 3u, 3u, 1u}) {
      sampling->draw(rng, draw);
      REQUIRE(draw.indices.size() == size);
      for (double w : draw.weights) CHECK(w == 1.0 / double(size));
      seen.insert(seen.end(), draw.indices.begin(), draw.indices.end());
    }
    epochs.push_back(seen);
    std::sort(seen.begin(), seen.end());
    std::vector<Index> all(10);
    std::iota(all.begin(), all.end(), Index{0});
    CHECK(seen == all);
  }
  CHECK(epochs[0] != epochs[1]);
  CHECK(epochs[1] != epochs[2]);
  CHECK_THAT(make_shuffled_sampling(10, 3)->theory_caveat(), Catch::Contains("reshuffling"));
  CHECK_THROWS_AS(make_shuffled_sampling(10, 11), InputError);

  // A run with Adam stopped mid-epoch and resumed from its checkpoint ends bit for bit where
  // the uninterrupted run does.
  TrainingOptions o;
  o.hidden = "6";
  const TrainingProblem p(TrainingTask::kClassifier, o, blobs(25, 4, 3, 2));
  EstimatorOptions e;
  e.sampling = SamplingType::kShuffle;
  e.batch_size = 4;  // 7 batches per epoch, the last of 1
  StepRuleOptions r;
  r.rule = StepRuleType::kAdam;
  SolverOptions s;
  s.max_iterations = 60;
  s.log_every = 7;
  s.seed = 9;
  const Vector x0 = p.initial_point();
  auto reference_estimator = make_estimator(e, p);
  auto reference_step = make_step_rule(r);
  const Summary reference = solve(p, *reference_estimator, *reference_step, s, x0);
  // 60 iterations: 8 epochs of 7 batches, then 4 batches of 4 examples.
  CHECK(reference.epochs == Approx(8.0 + 16.0 / 25.0));

  Checkpoint periodic;
  SolverOptions every = s;
  every.checkpoint_every = 30;  // iteration 30: the 3rd batch of the 5th epoch
  CheckpointHooks keep;
  keep.save = [&](const Checkpoint& c, bool final) {
    if (!final && c.counters.iterations == 30) periodic = c;
  };
  auto second = make_estimator(e, p);
  auto second_step = make_step_rule(r);
  CHECK(solve(p, *second, *second_step, every, x0, {}, keep).x == reference.x);
  REQUIRE(periodic.counters.iterations == 30);
  CheckpointHooks resume;
  resume.resume = &periodic;
  auto third = make_estimator(e, p);
  auto third_step = make_step_rule(r);
  const Summary resumed = solve(p, *third, *third_step, every, x0, {}, resume);
  CHECK(resumed.x == reference.x);
  CHECK(resumed.trace.epochs == reference.trace.epochs);

  // The theory says it does not cover reshuffling.
  Rng probe_rng(1);
  Counters counters;
  auto probe = make_estimator(e, p);
  probe->reset(p, x0, probe_rng, counters);
  const Theory t = analyse_theory(p, *probe, *make_step_rule(StepRuleOptions{}), s, x0);
  CHECK_FALSE(t.applies);
  CHECK_THAT(t.why_not, Catch::Contains("random reshuffling"));
}

TEST_CASE("a small MLP learns a Fashion-MNIST subset with Adam and shuffled epochs",
          "[training][fashion-mnist]") {
  // 3000 training and 1000 test images, 784-64-10 with ReLU, Adam at 1e-3, batches of 64, 3
  // epochs (141 iterations). Measured: about 78 % test accuracy; chance is 10 %, and a wrong
  // gradient or a step rule that does not descend stays far below the threshold.
  DataOptions data;
  data.train_samples = 3000;
  data.test_samples = 1000;
  const auto start = std::chrono::steady_clock::now();
  auto dataset = std::make_shared<const Dataset>(load_dataset(data, TrainingTask::kClassifier));
  TrainingOptions o;
  o.hidden = "64";
  o.seed = 1;
  const TrainingProblem p(TrainingTask::kClassifier, o, dataset);
  CHECK(p.num_samples() == 3000);
  CHECK(p.dim() == 784 * 64 + 64 + 64 * 10 + 10);
  EstimatorOptions e;
  e.sampling = SamplingType::kShuffle;
  e.batch_size = 64;
  StepRuleOptions r;
  r.rule = StepRuleType::kAdam;
  SolverOptions s;
  s.max_iterations = 3 * 47;  // ⌈3000/64⌉ = 47 batches per epoch
  s.log_every = 47;
  s.seed = 2;
  auto estimator = make_estimator(e, p);
  auto step = make_step_rule(r);
  const Summary summary = solve(p, *estimator, *step, s, p.initial_point());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const TrainingProblem::Evaluation test = p.evaluate_test(summary.x);
  const TrainingProblem::Evaluation before = p.evaluate_test(p.initial_point());
  CAPTURE(test.accuracy, test.loss, before.accuracy, before.loss, seconds);
  CHECK(summary.epochs == Approx(3.0));
  CHECK(test.accuracy >= 0.70);
  CHECK(test.loss < 0.5 * before.loss);
}

TEST_CASE("problem files: the training examples parse and read back", "[training][run_config]") {
  const fs::path examples = fs::path(SGDA_SOURCE_DIR) / "examples" / "dnn";
  for (const std::string file : {"fashion_mlp.toml", "fashion_autoencoder.toml"}) {
    INFO(file);
    const RunConfig config = load_run_config((examples / file).string());
    CHECK(training_task(config.problem.type).has_value());
    CHECK(config.estimator.sampling == SamplingType::kShuffle);
    CHECK(config.log_every_epochs == 1.0);
    const RunConfig again = parse_run_config(to_toml(config), config.source);
    CHECK(to_settings(again) == to_settings(config));
  }
  // log_every_epochs becomes iterations: ⌈n / batch⌉ per epoch.
  RunConfig config = load_run_config((examples / "fashion_mlp.toml").string());
  const TrainingProblem p(TrainingTask::kClassifier, {}, blobs(1000, 4, 2, 1));
  CHECK(solver_options(config, p).log_every == 8);  // ⌈1000/128⌉
  config.log_every_epochs = 2.5;
  CHECK(solver_options(config, p).log_every == 20);
  // It and log_every exclude each other.
  CHECK_THROWS_WITH(parse_run_config("[problem]\ntype = \"classifier\"\n[method]\nname = \"sgda\"\n"
                                     "[run]\nlog_every = 5\nlog_every_epochs = 1\n",
                                     "x.toml"),
                    Catch::Contains("run.log_every_epochs: accepted only without run.log_every"));
}

TEST_CASE("problem files: epochs and warmup in epochs and batch scaling",
          "[training][run_config]") {
  const TrainingProblem p(TrainingTask::kClassifier, {}, blobs(1000, 4, 2, 1));
  const std::string head =
      "[problem]\ntype = \"classifier\"\n[method]\nname = \"sgda\"\nsampling = \"shuffle\"\n";
  auto options = [&](const std::string& method, const std::string& run) {
    return solver_options(parse_run_config(head + method + "[run]\n" + run, "x.toml"), p);
  };
  // ⌈1000/256⌉ = 4 iterations per epoch; ⌈1000/64⌉ = 16.
  const SolverOptions big = options("batch_size = 256\n",
                                    "step_size = 0.01\nepochs = 2.5\nwarmup_epochs = 0.5\n"
                                    "batch_scaling = \"linear\"\nreference_batch_size = 64\n");
  CHECK(big.max_iterations == 10);
  CHECK(big.step_size.warmup_iterations == 2);
  CHECK(big.step_size.gamma == Approx(0.04).epsilon(1e-15));
  const SolverOptions root = options("batch_size = 256\n",
                                     "step_size = 0.01\nbatch_scaling = \"sqrt\"\n"
                                     "reference_batch_size = 64\n");
  CHECK(root.step_size.gamma == Approx(0.02).epsilon(1e-15));
  CHECK(root.max_iterations == 100000);  // the default iterations: epochs is off
  const SolverOptions small =
      options("batch_size = 16\n", "step_size = 0.01\nbatch_scaling = \"sqrt\"\n");
  CHECK(small.step_size.gamma == Approx(0.01 * std::sqrt(16.0 / 128.0)).epsilon(1e-15));

  // Each excludes the key it replaces; scaling needs a constant step.
  auto error = [&](const std::string& run) {
    try {
      options("batch_size = 256\n", run);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("iterations = 5\nepochs = 1\n"),
             Catch::Contains("x.toml:9: run.epochs: accepted only without run.iterations"));
  CHECK_THAT(error("warmup_iterations = 5\nwarmup_epochs = 1\n"),
             Catch::Contains("run.warmup_epochs: accepted only without run.warmup_iterations"));
  CHECK_THAT(error("step_size = \"theory\"\nbatch_scaling = \"linear\"\n"),
             Catch::Contains("run.batch_scaling: accepted only with a constant run.step_size"));
  CHECK_THAT(error("epochs = 1\nwarmup_epochs = 1\n"),
             Catch::Contains("run.warmup_epochs: is 4 iterations, not fewer than the run's 4"));
}
