// Data-parallel training over MPI: each rank holds only its rows of the data set (rank r of R:
// the contiguous rows share_of(N, r, R) of the training and of the test set), evaluates the
// pairs of every minibatch that fall in them and its rows of full() and the metrics, and the
// partial sums are added in rank order, so the ranks take one step and log the same metrics.
// Against the same training in one process, the iterates and metrics agree to rounding (the
// sums are added in another order), and a resumed run continues bit for bit. Run under
// `mpirun -np 4` (tests/CMakeLists.txt).
#include <H5Cpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "../stop_callbacks.hpp"
#include "../training_data.hpp"
#include "mpi_session.hpp"
#include "sgda/io/dataset_file.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;
using sgda::testing::mpi_session;
using sgda::testing::StopAt;

namespace {

namespace fs = std::filesystem;

// The tolerance of the comparisons with one process. A step's minibatch gradient is the same
// sum of B weighted per-example gradients, added in another order (each rank's pairs, then the
// ranks' partial sums in rank order), so it differs by at most about B·ε ≈ 30 · 1.1e-16 ≈
// 3e-15 relative; the metrics' means over N examples likewise by about N·ε ≈ 1e-14. 80 steps
// of Adam, LAMB or LARS carry such differences on without amplifying them much here; 1e-12
// relative leaves a margin of 100 over those bounds (measured: iterates within 3e-16, metrics
// within 6e-15 relative).
constexpr double kTolerance = 1e-12;

constexpr Index kExamples = 103, kTestExamples = 37;  // uneven over 4 ranks: 25, 26, 26, 26

// An HDF5 classification data set of 103 + 37 examples (d = 6, 3 classes), written by each
// rank to a file of its own (the same bytes on every rank).
struct DataFile {
  fs::path path;
  ~DataFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

std::string data_file() {
  static const DataFile data{[] {
    const fs::path file =
        fs::temp_directory_path() / ("sgda-mpi-shard-" + std::to_string(::getpid()) + ".h5");
    const std::shared_ptr<const Dataset> blobs =
        sgda::testing::blobs(kExamples + kTestExamples, 6, 3, 7);
    H5::H5File h5(file.string(), H5F_ACC_TRUNC);
    auto put = [&](const char* x, const char* y, Index first, Index count) {
      const hsize_t shape[2] = {hsize_t(count), 6};
      std::vector<float> values;
      std::vector<std::int32_t> labels;
      for (Index i = first; i < first + count; ++i) {
        for (Index j = 0; j < 6; ++j) values.push_back(blobs->features(j, i));
        labels.push_back(std::int32_t(blobs->labels[std::size_t(i)]));
      }
      h5.createDataSet(x, H5::PredType::NATIVE_FLOAT, H5::DataSpace(2, shape))
          .write(values.data(), H5::PredType::NATIVE_FLOAT);
      h5.createDataSet(y, H5::PredType::NATIVE_INT32, H5::DataSpace(1, shape))
          .write(labels.data(), H5::PredType::NATIVE_INT32);
    };
    put("/X", "/y", 0, kExamples);
    put("/X_test", "/y_test", kExamples, kTestExamples);
    return file;
  }()};
  return data.path.string();
}

DataOptions data_options() {
  DataOptions o;
  o.data = DataSource::kHdf5;
  o.path = data_file();
  return o;
}

ProcessGroup& group() { return mpi_session->processes(); }

struct Run {
  StepRuleType rule = StepRuleType::kAdam;
  SamplingType sampling = SamplingType::kNice;
  std::int64_t iterations = 80;
};

// `data` split over the ranks (data-parallel, each rank its rows), or whole in one process.
Summary train(const Run& run, bool data_parallel, CheckpointHooks hooks = {},
              std::vector<Callback*> callbacks = {}) {
  TrainingOptions t;
  t.hidden = "16,8";
  t.seed = 3;
  const DataOptions data = data_options();
  TrainingProblem problem(
      TrainingTask::kClassifier, t,
      std::make_shared<const Dataset>(
          load_dataset(data, TrainingTask::kClassifier, data_parallel ? &group() : nullptr)));
  if (data_parallel) problem.set_data_parallel(&group());
  EstimatorOptions e;
  e.sampling = run.sampling;
  e.batch_size = 30;  // about 7.5 examples a rank, binomially
  auto estimator = make_estimator(e, problem);
  StepRuleOptions r;
  r.rule = run.rule;
  auto step = make_step_rule(r);
  SolverOptions o;
  o.max_iterations = run.iterations;
  o.log_every = 20;
  o.seed = 11;
  o.checkpoint_seconds = 0.0;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = run.rule == StepRuleType::kLars ? 0.5 : 0.01;
  if (data_parallel) o.processes = &group();
  return solve(problem, *estimator, *step, o, problem.initial_point(), callbacks, hooks);
}

double relative(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

// Every logged row's residual and metrics of `a` against `b`'s, within kTolerance; the largest
// relative difference.
double check_trace(const Summary& a, const Summary& b) {
  REQUIRE(a.trace.size() == b.trace.size());
  REQUIRE(a.trace.extra.size() == b.trace.extra.size());
  CHECK(a.trace.iteration == b.trace.iteration);
  CHECK(a.trace.sample_evaluations == b.trace.sample_evaluations);
  double worst = 0.0;
  for (std::size_t row = 0; row < a.trace.size(); ++row) {
    worst = std::max(worst, relative(a.trace.residual_sq[row], b.trace.residual_sq[row]));
    for (std::size_t c = 0; c < a.trace.extra.size(); ++c) {
      INFO(a.trace.extra[c].name << " at row " << row);
      REQUIRE(a.trace.extra[c].name == b.trace.extra[c].name);
      worst = std::max(worst, relative(a.trace.extra[c].values[row], b.trace.extra[c].values[row]));
    }
  }
  CHECK(worst <= kTolerance);
  return worst;
}

// Every rank holds the same iterate, bit for bit.
void check_same_on_every_rank(const Vector& x) {
  Vector sum = x;
  group().sum_in_rank_order(sum);
  CHECK(sum == double(group().size()) * x);
}

}  // namespace

TEST_CASE("each rank reads only its rows of a data set", "[mpi][training][data]") {
  const int rank = group().rank(), ranks = group().size();
  const Dataset whole = load_dataset(data_options(), TrainingTask::kClassifier);
  for (const Index train_samples : {Index(0), Index(50)}) {
    INFO("train_samples = " << train_samples);
    DataOptions options = data_options();
    options.train_samples = train_samples;
    const Dataset mine = load_dataset(options, TrainingTask::kClassifier, &group());
    const Index n = train_samples > 0 ? train_samples : kExamples;
    const Share rows = share_of(n, rank, ranks), test_rows = share_of(kTestExamples, rank, ranks);
    CHECK(mine.examples() == n);
    CHECK(mine.size() == rows.count);  // 25 or 26 of 103; 12 or 13 of 50
    CHECK(mine.first == rows.first);
    CHECK(mine.test_examples() == kTestExamples);
    CHECK(mine.test_features.cols() == test_rows.count);  // 9 or 10 of 37
    CHECK(mine.test_first == test_rows.first);
    CHECK(mine.classes == whole.classes);
    CHECK(mine.features == whole.features.middleCols(rows.first, rows.count));
    CHECK(mine.labels ==
          std::vector<Index>(whole.labels.begin() + rows.first, whole.labels.begin() + rows.end()));
    CHECK(mine.test_features == whole.test_features.middleCols(test_rows.first, test_rows.count));
  }
  // The standardization's mean and deviation are the whole set's (summed over the ranks: to
  // the rounding of the float features).
  DataOptions standardized = data_options();
  standardized.standardize = true;
  const Dataset all = load_dataset(standardized, TrainingTask::kClassifier);
  const Dataset mine = load_dataset(standardized, TrainingTask::kClassifier, &group());
  const Share rows = share_of(kExamples, rank, ranks);
  CHECK((mine.features - all.features.middleCols(rows.first, rows.count)).cwiseAbs().maxCoeff() <=
        1e-6);
}

TEST_CASE("Fashion-MNIST over 4 ranks: each holds a quarter of the images",
          "[mpi][training][data]") {
  if (!fs::exists(kFashionMnistFolder)) {
    WARN("Fashion-MNIST is not installed (" << kFashionMnistFolder << "): not tested");
    return;
  }
  DataOptions options;  // fashion-mnist, every image
  const Dataset mine = load_dataset(options, TrainingTask::kClassifier, &group());
  const Share rows = share_of(60000, group().rank(), group().size());
  CHECK(mine.examples() == 60000);
  CHECK(mine.size() == 60000 / group().size());  // 15000 images at R = 4: 47 MB of floats
  CHECK(mine.first == rows.first);
  CHECK(mine.test_features.cols() == 10000 / group().size());
  CHECK(static_cast<Index>(mine.labels.size()) == mine.size());
  // Rank r's first image is image r·15000 of the file: read alone, it is the same.
  if (group().rank() == group().size() - 1) {
    const Dataset whole = load_dataset(options, TrainingTask::kClassifier);
    CHECK(mine.features == whole.features.middleCols(rows.first, rows.count));
  }
}

TEST_CASE("training on each rank's rows takes one process's steps and logs its metrics",
          "[mpi][training]") {
  for (const StepRuleType rule : {StepRuleType::kAdam, StepRuleType::kLamb, StepRuleType::kLars})
    for (const SamplingType sampling :
         {SamplingType::kNice, SamplingType::kShuffle, SamplingType::kUniform}) {
      INFO(to_string(rule) << " " << to_string(sampling));
      const Run run{rule, sampling};
      const Summary parallel = train(run, true);
      const Summary alone = train(run, false);
      CHECK(parallel.counters.sample_evaluations == alone.counters.sample_evaluations);
      const double x_error = (parallel.x - alone.x).norm() / alone.x.norm();
      const double metrics_error = check_trace(parallel, alone);
      INFO("iterate " << x_error << ", metrics " << metrics_error << " relative");
      CHECK(x_error <= kTolerance);
      check_same_on_every_rank(parallel.x);
      // The metrics are printed by rank 0 and recorded by it: every rank has the same.
      Vector last(parallel.trace.extra.size());
      for (std::size_t c = 0; c < parallel.trace.extra.size(); ++c)
        last[Index(c)] = parallel.trace.extra[c].values.back();
      check_same_on_every_rank(last);
    }
}

TEST_CASE("adaptive sampling evaluates examples one by one on the ranks that hold them",
          "[mpi][training]") {
  // sample(i) is a minibatch of one: the rank holding example i evaluates it, the others add 0.
  const Run run{StepRuleType::kAdam, SamplingType::kAdaptive, 20};
  const Summary parallel = train(run, true);
  const Summary alone = train(run, false);
  CHECK((parallel.x - alone.x).norm() <= kTolerance * alone.x.norm());
  check_trace(parallel, alone);
}

TEST_CASE("training on each rank's rows resumes from a checkpoint bit for bit",
          "[mpi][training][checkpoint]") {
  const Run run{StepRuleType::kAdam, SamplingType::kShuffle, 80};
  const Summary reference = train(run, true);
  Checkpoint last;
  CheckpointHooks save;
  save.save = [&](const Checkpoint& c, bool final) {
    if (final) last = c;
  };
  StopAt stop(40);
  const Summary interrupted = train(run, true, save, {&stop});
  REQUIRE(interrupted.reason == TerminationReason::kStoppedByCallback);
  REQUIRE(last.counters.iterations == 40);
  CheckpointHooks resume;
  resume.resume = &last;
  const Summary resumed = train(run, true, resume);
  CHECK(resumed.x == reference.x);
  CHECK(resumed.counters.sample_evaluations == reference.counters.sample_evaluations);
  CHECK(resumed.trace.residual_sq == reference.trace.residual_sq);
  for (std::size_t c = 0; c < reference.trace.extra.size(); ++c)
    CHECK(resumed.trace.extra[c].values == reference.trace.extra[c].values);
}

TEST_CASE("a whole data set on every rank trains data-parallel too", "[mpi][training]") {
  // Each rank holds every row but evaluates its own: the steps of the split data set, bit for
  // bit (the same partial sums, added in the same order).
  TrainingOptions t;
  t.hidden = "16,8";
  t.seed = 3;
  auto whole =
      std::make_shared<const Dataset>(load_dataset(data_options(), TrainingTask::kClassifier));
  auto mine = std::make_shared<const Dataset>(
      load_dataset(data_options(), TrainingTask::kClassifier, &group()));
  TrainingProblem a(TrainingTask::kClassifier, t, whole), b(TrainingTask::kClassifier, t, mine);
  a.set_data_parallel(&group());
  b.set_data_parallel(&group());
  const Vector x = a.initial_point();
  Vector ga(a.dim()), gb(b.dim());
  a.full(x, ga);
  b.full(x, gb);
  CHECK(ga == gb);
  CHECK(a.metrics(x) == b.metrics(x));
}

TEST_CASE("a problem refuses to evaluate rows it does not hold", "[mpi][training]") {
  TrainingOptions t;
  t.hidden = "8";
  auto mine = std::make_shared<const Dataset>(
      load_dataset(data_options(), TrainingTask::kClassifier, &group()));
  TrainingProblem problem(TrainingTask::kClassifier, t, mine);
  CHECK(problem.num_samples() == kExamples);
  Vector g(problem.dim());
  // Without the group, one process would evaluate every row: it holds a quarter.
  CHECK_THROWS_WITH(problem.full(problem.initial_point(), g),
                    Catch::Contains("holds the training examples") &&
                        Catch::Contains("of 103, one process evaluates 0..102"));
  CHECK_THROWS_WITH(problem.set_data_parallel(nullptr),
                    Catch::Contains("accepted a data set loaded over the same processes"));
  problem.set_data_parallel(&group());
  problem.full(problem.initial_point(), g);
  CHECK(g.allFinite());
}

TEST_CASE("data-parallel training refuses batch normalization", "[mpi][training]") {
  TrainingOptions t;
  t.hidden = "8";
  t.normalization = nn::Normalization::kBatch;
  TrainingProblem problem(TrainingTask::kClassifier, t, sgda::testing::blobs(40, 6, 3, 1));
  CHECK_THROWS_WITH(problem.set_data_parallel(&mpi_session->processes()),
                    Catch::Contains("data-parallel training over MPI"));
}

TEST_CASE("a data set that fails on one rank stops every rank", "[mpi][training][data]") {
  // Asked for more training examples than the file has: every rank fails alike. A file that
  // only one rank cannot read: that rank throws its error, the others AnotherProcessFailed.
  DataOptions options = data_options();
  options.train_samples = 1000;
  CHECK_THROWS_WITH(load_dataset(options, TrainingTask::kClassifier, &group()),
                    Catch::Contains("must be at most the 103 examples"));
  options = data_options();
  if (group().rank() == 2) options.path = "/nonexistent/data.h5";
  if (group().rank() == 2)
    CHECK_THROWS_WITH(load_dataset(options, TrainingTask::kClassifier, &group()),
                      Catch::Contains("/nonexistent/data.h5"));
  else
    CHECK_THROWS_AS(load_dataset(options, TrainingTask::kClassifier, &group()),
                    AnotherProcessFailed);
}
