// Malformed problem files, HDF5 games and flags, each met as a user meets it: through the `sgda`
// command, exit code 2 and one line "sgda: error: ..." naming the file (with its line) or the
// flag, the field and what is accepted.
//
// The tables here complete the others rather than repeat them: tests/cli/test_bad_input.cpp has
// the first bad-input table (typos, types, missing keys, the common flags), tests/test_io.cpp the
// loader's error per dataset at the library level, tests/test_step_config.cpp the [step] tables.
// Here: every other field and dataset, and the gaps input validation once had (marked "was: ...").
// Inputs that crashed a fuzz target live in tests/fuzz/corpus/ and are replayed by CTest.
#include <H5Cpp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cli_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

// The promise every case checks.
void check_refused(const Result& r, const std::vector<std::string>& expected) {
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("sgda: error: ", 0) == 0);
  for (const auto& part : expected) {
    INFO("expected: " << part);
    CHECK(r.err.find(part) != std::string::npos);
  }
}

const std::string kQuadratic = "[problem]\ntype = \"quadratic\"\nsamples = 10\ndimension = 2\n";
const std::string kSgda = "[method]\nname = \"sgda\"\n";
const std::string kGood = kQuadratic + kSgda;  // lines 1-6

// ---- HDF5 games -----------------------------------------------------------------------------

void write_doubles(H5::H5File& file, const std::string& name, const std::vector<hsize_t>& dims,
                   const std::vector<double>& values) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  file.createDataSet(name, H5::PredType::IEEE_F64LE, space)
      .write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

void write_ints(H5::H5File& file, const std::string& name, const std::vector<hsize_t>& dims,
                const std::vector<std::int64_t>& values) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  file.createDataSet(name, H5::PredType::STD_I64LE, space)
      .write(values.data(), H5::PredType::NATIVE_INT64);
}

void int_attribute(H5::H5File& file, const std::string& name, const std::vector<hsize_t>& dims,
                   const std::vector<std::int64_t>& values) {
  if (file.attrExists(name)) file.removeAttr(name);
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  file.createAttribute(name, H5::PredType::STD_I64LE, space)
      .write(H5::PredType::NATIVE_INT64, values.data());
}

// A valid game: n = 3 samples, D = 2, players x and y.
void write_valid_game(H5::H5File& file) {
  write_doubles(file, "M", {3, 2, 2}, {2, 0.1, -0.1, 2, 3, 0, 0, 3, 1, 0.5, -0.5, 1});
  write_doubles(file, "q", {3, 2}, {1, -1, 0.5, 0, -0.5, 1});
  H5::StrType text(H5::PredType::C_S1, H5T_VARIABLE);
  file.createAttribute("block_names", text, H5::DataSpace(H5S_SCALAR))
      .write(text, std::string("x,y"));
  int_attribute(file, "block_sizes", {2}, {1, 1});
  int_attribute(file, "block_maximize", {2}, {0, 1});
}

// Replaces dataset `name` by one of `type` and shape `dims` (values left at the fill value).
void replace(H5::H5File& file, const std::string& name, const H5::DataType& type,
             const std::vector<hsize_t>& dims) {
  file.unlink(name);
  if (dims.empty())
    file.createDataSet(name, type, H5::DataSpace(H5S_SCALAR));
  else
    file.createDataSet(name, type, H5::DataSpace(static_cast<int>(dims.size()), dims.data()));
}

struct GameCase {
  const char* what;
  std::function<void(H5::H5File&)> change;             // applied to the valid game
  std::function<void(const fs::path&)> after_closing;  // e.g. cut the file short
  std::vector<std::string> expected;                   // besides game.toml:3, problem.file, game.h5
};

// ---- problem files and flags ----------------------------------------------------------------

struct FileCase {
  const char* what;
  std::string toml;  // bad.toml
  std::string flags;
  std::vector<std::string> expected;
};

}  // namespace

TEST_CASE("malformed problem files and flags: exit 2, one line, file, field, accepted",
          "[malformed][cli]") {
  const std::string distributed = kQuadratic + "[method]\nname = \"qsgda\"\n";  // method: line 5
  const std::vector<FileCase> cases = {
      // [problem]: generated games must stay finite and of a sane size.
      {"mu so large the generated game overflowed (was: accepted, NaN game)",
       kQuadratic + "mu = 1e200\nell = 1e201\n" + kSgda,
       "",
       {"bad.toml:5", "problem.mu", "between 1e-100 and 1e100", "1e+200"}},
      {"bilinear coupling so large the game overflowed",
       "[problem]\ntype = \"bilinear\"\ncoupling = 1e300\n" + kSgda,
       "",
       {"bad.toml:3", "problem.coupling", "between 1e-100 and 1e100"}},
      {"bilinear mu that overflowed the offsets",
       "[problem]\ntype = \"bilinear\"\nmu = 1e308\n" + kSgda,
       "",
       {"bad.toml:3", "problem.mu", ">= 0", "1e+308"}},
      {"heavy_scale 0",
       kQuadratic + "heavy_scale = 0\n" + kSgda,
       "",
       {"bad.toml:5", "problem.heavy_scale", "> 0"}},
      {"negative noise",
       kQuadratic + "offset_noise = -1\n" + kSgda,
       "",
       {"bad.toml:5", "problem.offset_noise", ">= 0"}},
      {"dimension too large to generate (was: accepted, hours of eigendecompositions)",
       "[problem]\ntype = \"quadratic\"\nsamples = 1\ndimension = 5000\n" + kSgda,
       "",
       {"bad.toml:4", "problem.dimension", "an integer from 1 to 2000", "got 5000"}},
      {"a game of 4e10 doubles",
       "[problem]\ntype = \"quadratic\"\nsamples = 1000000\ndimension = 100\n" + kSgda,
       "",
       {"bad.toml:3", "problem.samples", "accepted up to 1e9"}},
      {"an integer beyond 64 bits",
       kQuadratic + "seed = 99999999999999999999\n" + kSgda,
       "",
       {"bad.toml:5", "TOML syntax error", "64 bits"}},
      {"an array where a number goes",
       kQuadratic + "mu = [1, 2]\n" + kSgda,
       "",
       {"bad.toml:5", "problem.mu", "must be a number", "an array"}},
      {"a control character echoed back (was: a message of two lines)",
       "[problem]\ntype = \"qua\\rratic\"\n" + kSgda,
       "",
       {"bad.toml:2", "problem.type", "qua\\rratic", "accepted: quadratic"}},
      {"an empty game path",
       "[problem]\ntype = \"file\"\nfile = \"\"\n" + kSgda,
       "",
       {"bad.toml:3", "problem.file", "is empty", "accepted a file path"}},
      {"a folder as the game",
       "[problem]\ntype = \"file\"\nfile = \".\"\n" + kSgda,
       "",
       {"bad.toml:3", "problem.file", "is a directory"}},
      {"a problem file that is a TOML value, not a table",
       "problem = 3\n" + kSgda,
       "",
       {"bad.toml:1", "problem", "must be a table", "accepted tables"}},
      {"a key given twice",
       kQuadratic + "samples = 3\n" + kSgda,
       "",
       {"bad.toml:5", "TOML syntax error", "samples"}},
      {"a run key outside any table",
       "iterations = 5\n" + kGood,
       "",
       {"bad.toml:1", "iterations", "this one goes in [run]"}},
      // [regularizer]
      {"negative lambda",
       kGood + "[regularizer]\ntype = \"l1\"\nlambda = -1\n",
       "",
       {"bad.toml:9", "regularizer.lambda", ">= 0"}},
      {"radius 0",
       kGood + "[regularizer]\ntype = \"l2-ball\"\nradius = 0\n",
       "",
       {"bad.toml:9", "regularizer.radius", "> 0"}},
      {"an infinite box bound",
       kGood + "[regularizer]\ntype = \"box\"\nlower = -inf\n",
       "",
       {"bad.toml:9", "regularizer.lower", "finite number"}},
      // [method]
      {"k larger than the dimension D = 4",
       kQuadratic + "[method]\nname = \"qsgda\"\ncompressor = \"rand-k\"\nk = 5\n",
       "",
       {"bad.toml:8", "method.k", "at most the dimension 4", "5"}},
      {"workers not dividing the samples",
       distributed + "workers = 3\n",
       "",
       {"bad.toml:7", "method.workers", "divide the number of samples (10)"}},
      {"more workers than samples",
       distributed + "workers = 20\n",
       "",
       {"bad.toml:7", "method.workers", "number of samples (10)", "got 20"}},
      {"levels beyond 2^30",
       distributed + "compressor = \"qsgd\"\nlevels = 2147483648\n",
       "",
       {"bad.toml:8", "method.levels", "an integer from 1 to 1073741824", "got 2147483648"}},
      {"alpha above 1",
       kQuadratic + "[method]\nname = \"diana-sgda\"\nalpha = 1.5\n",
       "",
       {"bad.toml:7", "method.alpha", "(0, 1]", "1.5"}},
      {"a compressor typo",
       distributed + "compressor = \"randk\"\n",
       "",
       {"bad.toml:7", "method.compressor", "did you mean \"rand-k\"", "top-k"}},
      {"an unknown local oracle",
       distributed + "local = \"svrg\"\n",
       "",
       {"bad.toml:7", "method.local", "accepted: exact, sample"}},
      {"batch size 0",
       kQuadratic + "[method]\nname = \"sgda\"\nsampling = \"nice\"\nbatch_size = 0\n",
       "",
       {"bad.toml:8", "method.batch_size", ">= 1"}},
      // [run]
      {"negative tolerance",
       kGood + "[run]\ntolerance = -1\n",
       "",
       {"bad.toml:8", "run.tolerance", ">= 0"}},
      {"step size 0",
       kGood + "[run]\nstep_size = 0\n",
       "",
       {"bad.toml:8", "run.step_size", "a number > 0"}},
      {"step factor 0",
       kGood + "[run]\nstep_factor = 0\n",
       "",
       {"bad.toml:8", "run.step_factor", "> 0"}},
      {"negative max_time",
       kGood + "[run]\nmax_time = -1\n",
       "",
       {"bad.toml:8", "run.max_time", ">= 0 seconds"}},
      {"negative checkpoint_seconds",
       kGood + "[run]\ncheckpoint_seconds = -1\n",
       "",
       {"bad.toml:8", "run.checkpoint_seconds", ">= 0 seconds"}},
      {"checkpoints without a run file",
       kGood + "[run]\ncheckpoint_every = 10\n",
       "",
       {"bad.toml:8", "run.checkpoint_every", "output file"}},
      {"skip_non_finite as a number",
       kGood + "[run]\nskip_non_finite = 1\n",
       "",
       {"bad.toml:8", "run.skip_non_finite", "true or false", "the integer 1"}},
      {"ema_decay without ema averaging (was: ignored)",
       kGood + "[run]\naveraging = \"uniform\"\nema_decay = 0.5\n",
       "",
       {"bad.toml:9", "run.ema_decay", "averaging = \"ema\"", "uniform"}},
      {"a step schedule typo",
       kGood + "[run]\nstep_schedule = \"theroy\"\n",
       "",
       {"bad.toml:8", "run.step_schedule", "did you mean \"theory\"", "switching"}},
      // [run]: learning-rate schedules
      {"a warmup as long as the run",
       kGood + "[run]\niterations = 50\nwarmup_iterations = 50\n",
       "",
       {"bad.toml:9", "run.warmup_iterations", "not less than the run's 50 iterations",
        "accepted 0 (no warmup) to 49"}},
      {"a negative decay rate",
       kGood + "[run]\nstep_decay = \"exponential\"\ndecay_rate = -0.5\n",
       "",
       {"bad.toml:9", "run.decay_rate", "a number in (0, 1]", "-0.5"}},
      {"a step decay without its period",
       kGood + "[run]\nstep_decay = \"step\"\n",
       "",
       {"bad.toml", "run.decay_every", "missing", ">= 1"}},
      {"a step decay typo",
       kGood + "[run]\nstep_decay = \"cosin\"\n",
       "",
       {"bad.toml:8", "run.step_decay", "did you mean \"cosine\"", "inverse-power"}},
      {"a decay beside the switching rule",
       kGood + "[run]\nstep_schedule = \"switching\"\nstep_decay = \"cosine\"\n",
       "",
       {"bad.toml:9", "run.step_decay", "applies only to step_schedule = \"default\"",
        "here step_schedule = \"switching\""}},
      {"a restart multiplier of 0",
       kGood + "[run]\nstep_decay = \"cosine\"\nrestart_mult = 0\n",
       "",
       {"bad.toml:9", "run.restart_mult", ">= 1"}},
      {"decay_end above 1",
       kGood + "[run]\nstep_decay = \"polynomial\"\ndecay_end = 2\n",
       "",
       {"bad.toml:9", "run.decay_end", "[0, 1]"}},
      {"--decay-every without a step decay",
       kGood,
       "--decay-every 10",
       {"--decay-every", "applies only to step_decay = \"step\" (here step_decay is not given"}},
      {"--warmup-iterations beyond --iterations",
       kGood,
       "--iterations 100 --warmup-iterations 100",
       {"--warmup-iterations", "accepted 0 (no warmup) to 99"}},
      {"a trace of 2^63 rows (was: \"vector::reserve\")",
       kGood + "[run]\niterations = 9223372036854775807\nlog_every = 1\n",
       "",
       {"bad.toml:9", "run.log_every", "accepted up to 1e8 rows"}},
      {"an output folder that does not exist",
       kGood + "[run]\noutput = \"no/such/dir/run.h5\"\n",
       "",
       {"bad.toml:8", "run.output", "no/such/dir", "existing folder"}},
      {"a player the problem does not have",
       kGood + "[step.z]\nrule = \"adam\"\n",
       "",
       {"bad.toml:7", "step.z", "no player \"z\"", "accepted: x, y"}},
      // Network and data sizes: bounded from memory before anything is allocated.
      {"a discriminator of 2^63 - 1 layers (was: ran on and on)",
       "[problem]\ntype = \"mlp-gan\"\ndiscriminator_depth = 9223372036854775807\n" + kSgda,
       "",
       {"bad.toml:3", "problem.discriminator_depth", "an integer from 0 to 1000"}},
      {"a generator of 1e8 layers (was: ran on and on)",
       "[problem]\ntype = \"mlp-gan\"\ngenerator_depth = 100000000\n" + kSgda,
       "",
       {"bad.toml:3", "problem.generator_depth", "an integer from 0 to 1000"}},
      {"2^63 - 1 modes (was: \"out of memory\", no file, no field)",
       "[problem]\ntype = \"mlp-gan\"\nmodes = 9223372036854775807\n" + kSgda,
       "",
       {"bad.toml:3", "problem.modes", "accepted sizes up to 1e9 doubles", "lower modes"}},
      {"a noise dimension of 2^63 - 1 (was: \"out of memory\")",
       "[problem]\ntype = \"mlp-gan\"\nnoise_dimension = 9223372036854775807\n" + kSgda,
       "",
       {"bad.toml:3", "problem.noise_dimension", "up to 1e9 doubles"}},
      {"generator layers of 1e6 units: 4e12 weights",
       "[problem]\ntype = \"mlp-gan\"\ngenerator_width = 1000000\n" + kSgda,
       "",
       {"bad.toml:3", "problem.generator_width", "up to 1e9 doubles", "lower generator_width"}},
      {"a Gaussian GAN of dimension 1e5",
       "[problem]\ntype = \"gaussian-gan\"\ndimension = 100000\nsamples = 200000\n"
       "batch = 1\n" +
           kSgda,
       "",
       {"bad.toml:3", "problem.dimension", "up to 1e9 doubles"}},
      {"hidden layers of 1e12 weights",
       "[problem]\ntype = \"classifier\"\nhidden = \"1000000,1000000\"\n" + kSgda,
       "",
       {"bad.toml:3", "problem.hidden", "accepted up to 1e9"}},
      // Flags
      {"an integer flag beyond 64 bits (was: clamped to 2^63 - 1, a run without end)",
       kGood,
       "--iterations 99999999999999999999",
       {"--iterations", "out of range"}},
      {"a trace of 1e12 rows from flags",
       kGood,
       "--iterations 1000000000000 --log-every 1",
       {"--log-every", "accepted up to 1e8 rows"}},
      {"--ema-decay without --averaging ema (was: ignored)",
       kGood,
       "--ema-decay 0.5",
       {"--ema-decay", "applies only to averaging = \"ema\" (here averaging = \"none\")"}},
      {"--levels beyond 2^30",
       kGood,
       "--method qsgda --compressor qsgd --levels 3000000000",
       {"--levels", "an integer from 1 to 1073741824"}},
      {"--checkpoint-seconds nan",
       kGood,
       "--checkpoint-seconds nan",
       {"--checkpoint-seconds", ">= 0"}},
      {"--max-time inf", kGood, "--max-time inf", {"--max-time", "inf"}},
      {"--step-size that underflows", kGood, "--step-size 1e-400", {"--step-size", "a number > 0"}},
      {"--step with an unknown rule", kGood, "--step bogus", {"--step", "accepted: prox"}},
      {"--scheme with an unknown scheme", kGood, "--scheme x", {"--scheme", "extragradient"}},
      {"--workers 0", kGood, "--method qsgda --workers 0", {"--workers", ">= 1"}},
      // Number flags: the parser of the keys' values, nothing more lenient.
      {"an empty --tolerance", kGood, "--tolerance ''", {"--tolerance", "\"\""}},
      {"an empty --max-time", kGood, "--max-time ''", {"--max-time", "\"\""}},
      {"an empty --checkpoint-seconds",
       kGood,
       "--checkpoint-seconds ''",
       {"--checkpoint-seconds", "\"\""}},
      {"a hexadecimal --iterations",
       kGood,
       "--iterations 0x10",
       {"--iterations", "\"0x10\" is not an integer"}},
      {"a leading space in --iterations",
       kGood,
       "--iterations ' 5'",
       {"--iterations", "\" 5\" is not an integer"}},
      {"a plus sign in --iterations",
       kGood,
       "--iterations +3",
       {"--iterations", "\"+3\" is not an integer"}},
      {"a hexadecimal --tolerance", kGood, "--tolerance 0x10", {"--tolerance", "0x10"}},
      {"a plus sign in --tolerance", kGood, "--tolerance +1e-3", {"--tolerance", "+1e-3"}},
  };
  REQUIRE(cases.size() >= 30);
  for (const FileCase& c : cases) {
    TempDir dir;
    dir.write("bad.toml", c.toml);
    const Result r = run("solve bad.toml " + c.flags, dir);
    INFO(c.what << "\nflags: " << c.flags << "\nstderr: " << r.err << "stdout: " << r.out);
    check_refused(r, c.expected);
  }
}

TEST_CASE("sgda generate refuses what problem files refuse, naming the flag", "[malformed][cli]") {
  const std::vector<FileCase> cases = {
      {"dimension too large",
       "",
       "generate quadratic --dimension 5000 -o g.h5",
       {"--dimension", "2000"}},
      {"coupling that overflows",
       "",
       "generate bilinear --coupling 1e300 -o g.h5",
       {"--coupling", "between 1e-100 and 1e100"}},
      {"NaN noise", "", "generate quadratic --noise nan -o g.h5", {"--noise", "nan"}},
      {"a seed beyond 64 bits",
       "",
       "generate quadratic --seed 99999999999999999999 -o g.h5",
       {"--seed", "out of range"}},
      {"a folder as the output", "", "generate quadratic -o .", {"--output", "is a directory"}},
      {"an empty --noise",
       "",
       "generate quadratic --noise '' -o g.h5",
       {"--noise", "\"\" is not a number"}},
      {"a hexadecimal --samples", "", "generate quadratic --samples 0x10 -o g.h5", {"--samples"}},
  };
  for (const FileCase& c : cases) {
    TempDir dir;
    const Result r = run(c.flags, dir);
    INFO(c.what << "\nstderr: " << r.err);
    check_refused(r, c.expected);
  }
}

TEST_CASE(
    "malformed HDF5 games: exit 2, one line naming the problem file, the game and the dataset",
    "[malformed][cli][io]") {
  const auto f64 = H5::PredType::IEEE_F64LE;
  auto cut = [](double fraction) {
    return [fraction](const fs::path& path) {
      fs::resize_file(path, static_cast<std::uintmax_t>(double(fs::file_size(path)) * fraction));
    };
  };
  const double big = 1e308;
  const std::vector<GameCase> cases = {
      {"finite entries whose mean overflows (was: accepted, an infinite operator)",
       [&](H5::H5File& f) {
         f.unlink("M");
         write_doubles(f, "M", {3, 2, 2}, {big, 0, 0, 1, big, 0, 0, 1, 1, 0, 0, 1});
       },
       nullptr,
       {"/M", "mean over the samples overflows at [0, 0]", "accepted float64 values"}},
      {"offsets whose mean overflows",
       [&](H5::H5File& f) {
         f.unlink("q");
         write_doubles(f, "q", {3, 2}, {0, big, 0, big, 0, 1});
       },
       nullptr,
       {"/q", "mean over the samples overflows at [1]"}},
      {"M declared with 2e9 values (was: allocated before reading)",
       [&](H5::H5File& f) {
         f.unlink("M");
         const hsize_t dims[3] = {2000, 1000, 1000}, chunk[3] = {1, 10, 10};
         H5::DSetCreatPropList chunked;
         chunked.setChunk(3, chunk);  // nothing is stored: any shape costs nothing on disk
         f.createDataSet("M", f64, H5::DataSpace(3, dims), chunked);
       },
       nullptr,
       {"/M", "[2000, 1000, 1000]", "more than the 1e9 values", "accepted float64 [n, D, D]"}},
      {"M as a dangling soft link",
       [](H5::H5File& f) {
         f.unlink("M");
         H5Lcreate_soft("/nowhere", f.getId(), "M", H5P_DEFAULT, H5P_DEFAULT);
       },
       nullptr,
       {"/M", "cannot read", "accepted float64 [n, D, D]"}},
      {"M of strings",
       [](H5::H5File& f) {
         replace(f, "M", H5::StrType(H5::PredType::C_S1, 8), {3, 2, 2});
       },
       nullptr,
       {"/M", "has type string", "accepted float64"}},
      {"M as a scalar",
       [&](H5::H5File& f) { replace(f, "M", f64, {}); },
       nullptr,
       {"/M", "rank 0", "accepted float64 [n, D, D]"}},
      {"M of uint64",
       [](H5::H5File& f) {
         replace(f, "M", H5::PredType::STD_U64LE, {3, 2, 2});
       },
       nullptr,
       {"/M", "has type uint64"}},
      {"q of 128-bit floats",
       [](H5::H5File& f) {
         replace(f, "q", H5::PredType::NATIVE_LDOUBLE, {3, 2});
       },
       nullptr,
       {"/q", "has type float128", "accepted float64 [n, D]"}},
      {"M never written, fill value NaN",
       [&](H5::H5File& f) {
         f.unlink("M");
         const hsize_t dims[3] = {3, 2, 2};
         H5::DSetCreatPropList fill;
         const double nan = std::numeric_limits<double>::quiet_NaN();
         fill.setFillValue(H5::PredType::NATIVE_DOUBLE, &nan);
         f.createDataSet("M", f64, H5::DataSpace(3, dims), fill);
       },
       nullptr,
       {"/M", "NaN at index [0, 0, 0]", "finite"}},
      {"x_star with -Inf",
       [](H5::H5File& f) {
         write_doubles(f, "x_star", {2}, {0.0, -std::numeric_limits<double>::infinity()});
       },
       nullptr,
       {"/x_star", "-Inf at index [1]", "finite"}},
      {"block_sizes of rank 2 (was: flattened)",
       [](H5::H5File& f) {
         f.removeAttr("block_names");
         H5::StrType text(H5::PredType::C_S1, H5T_VARIABLE);
         f.createAttribute("block_names", text, H5::DataSpace(H5S_SCALAR))
             .write(text, std::string("a,b,c,d"));
         int_attribute(f, "block_sizes", {2, 2}, {1, 0, 1, 0});
       },
       nullptr,
       {"block_sizes", "has shape [2, 2]", "one-dimensional int64 array"}},
      {"block_names as a number",
       [](H5::H5File& f) {
         f.removeAttr("block_names");
         int_attribute(f, "block_names", {1}, {7});
       },
       nullptr,
       {"block_names", "has type int64", "accepted one string"}},
      {"block_sizes as floats",
       [](H5::H5File& f) {
         f.removeAttr("block_sizes");
         const hsize_t two = 2;
         const double sizes[2] = {1, 1};
         f.createAttribute("block_sizes", H5::PredType::IEEE_F64LE, H5::DataSpace(1, &two))
             .write(H5::PredType::NATIVE_DOUBLE, sizes);
       },
       nullptr,
       {"block_sizes", "has type float64", "int64 array"}},
      {"a worker id out of range",
       [](H5::H5File& f) {
         write_ints(f, "workers", {3}, {0, 1, 7});
       },
       nullptr,
       {"/workers", "entry 2 is 7", "worker ids 0..W-1"}},
      {"a worker without samples",
       [](H5::H5File& f) {
         write_ints(f, "workers", {3}, {0, 2, 2});
       },
       nullptr,
       {"/workers", "worker 1 owns no sample"}},
      {"workers of the wrong length",
       [](H5::H5File& f) {
         write_ints(f, "workers", {2}, {0, 1});
       },
       nullptr,
       {"/workers", "has shape [2], expected [3]"}},
      {"workers as floats",
       [](H5::H5File& f) {
         write_doubles(f, "workers", {3}, {0, 1, 0});
       },
       nullptr,
       {"/workers", "has type float64"}},
      {"a file cut short (HDF5's own message is passed on)",
       nullptr,
       cut(0.5),
       {"cannot open", "truncated file"}},
      {"a file whose signature is overwritten",
       nullptr,
       [](const fs::path& path) {
         std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
         file.write("garbage!", 8);
       },
       {"not an HDF5 file", "h5dump"}},
  };
  const std::string toml = "[problem]\ntype = \"file\"\nfile = \"game.h5\"\n" + kSgda +
                           "[run]\nstep_size = 0.1\niterations = 5\n";
  {  // The unchanged game is valid: each case fails for its own reason.
    TempDir dir;
    {
      H5::H5File file((dir / "game.h5").string(), H5F_ACC_TRUNC);
      write_valid_game(file);
    }
    dir.write("game.toml", toml);
    const Result r = run("solve game.toml", dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  REQUIRE(cases.size() >= 15);
  for (const GameCase& c : cases) {
    TempDir dir;
    const fs::path game = dir / "game.h5";
    {
      H5::H5File file(game.string(), H5F_ACC_TRUNC);
      write_valid_game(file);
      if (c.change) c.change(file);
    }
    if (c.after_closing) c.after_closing(game);
    dir.write("game.toml", toml);
    const Result r = run("solve game.toml", dir);
    INFO(c.what << "\nstderr: " << r.err);
    // problem.file is relative to the problem file, and named as written.
    std::vector<std::string> expected = {"game.toml:3: problem.file: game.h5: "};
    expected.insert(expected.end(), c.expected.begin(), c.expected.end());
    check_refused(r, expected);
  }
}

// ---- files: what a command may write and read -------------------------------------------------

namespace {

struct FileSystemCase {
  const char* what;
  std::string setup;  // shell commands run in the folder first
  std::string args;
  std::vector<std::string> expected;
  std::string after;  // a shell test that must hold afterwards, e.g. "test -p out.h5"
};

// Runs each case in a fresh folder holding good.toml (kGood) and the experiment e.toml; a case
// whose setup fails (mknod without root) is skipped with a warning.
void check_file_cases(const std::vector<FileSystemCase>& cases) {
  for (const FileSystemCase& c : cases) {
    TempDir dir;
    dir.write("good.toml", kGood + "[run]\niterations = 20\n");
    dir.write("e.toml", "[experiment]\ntitle = \"t\"\nseeds = [1]\nstep_sizes = [0.1]\n" +
                            kQuadratic + "[run]\niterations = 20\n[[method]]\nname = \"sgda\"\n");
    // In a subshell: shell() redirects the output of the last command.
    if (!c.setup.empty() && sgda::testing::shell("(" + c.setup + ")", dir).status != 0) {
      WARN("skipped (its setup failed here, e.g. mknod needs root): " << c.what);
      continue;
    }
    const Result r = run(c.args, dir, "timeout 60 ");  // was: some of these blocked forever
    INFO(c.what << "\nargs: " << c.args << "\nstderr: " << r.err << "stdout: " << r.out);
    check_refused(r, c.expected);
    if (!c.after.empty()) CHECK(sgda::testing::shell("(" + c.after + ")", dir).status == 0);
  }
}

}  // namespace

TEST_CASE("outputs that are devices, FIFOs or folders are refused, also with --force",
          "[malformed][cli][files]") {
  const std::string accepted = "accepted a new or regular file path";
  check_file_cases({
      {"a character device as the run file, with --force (was: replaced by a regular file)",
       "mknod -m 666 nul c 1 3",
       "solve good.toml -o nul --force",
       {"--output", "nul", "is a character device", accepted},
       "test -c nul"},
      {"a character device as the run file",
       "mknod -m 666 nul c 1 3",
       "solve good.toml -o nul",
       {"--output", "nul", "is a character device"},
       "test -c nul"},
      {"a character device as the game of sgda generate (was: replaced without any flag)",
       "mknod -m 666 nul c 1 3",
       "generate quadratic -o nul",
       {"--output", "nul", "is a character device", accepted},
       "test -c nul"},
      {"a FIFO as the run file, with --force",
       "mkfifo out.h5",
       "solve good.toml -o out.h5 --force",
       {"--output", "out.h5", "is a FIFO", accepted},
       "test -p out.h5"},
      {"a FIFO as the runs file of sgda experiment, with --force",
       "mkfifo runs.h5",
       "experiment e.toml -o runs.h5 --force",
       {"--output", "runs.h5", "is a FIFO"},
       "test -p runs.h5"},
      {"a FIFO as the CSV beside a report",
       "mkfifo r.csv",
       "report missing.h5 -o r.html",
       {"--output", "r.csv", "is a FIFO"},
       "test -p r.csv"},
      {"a folder as the run file, with --force",
       "mkdir out.h5",
       "solve good.toml -o out.h5 --force",
       {"--output", "is a directory", "accepted a file path"},
       "test -d out.h5"},
  });
}

TEST_CASE("generate and report refuse to overwrite any file they write without --force",
          "[malformed][cli][files]") {
  check_file_cases({
      {"generate over an existing file (was: overwritten silently)",
       "echo precious > g.h5",
       "generate quadratic -o g.h5",
       {"--output", "g.h5", "exists", "accepted a new file, or --force to overwrite it"},
       "grep -q precious g.h5"},
      {"report over an existing HTML file",
       "echo precious > r.html",
       "report missing.h5 -o r.html",
       {"--output", "r.html", "exists", "--force to overwrite it"},
       "grep -q precious r.html"},
      {"report over an existing JSON beside it: nothing is written",
       "echo precious > r.json",
       "report missing.h5 -o r.html",
       {"--output", "r.json", "exists", "--force to overwrite it"},
       "grep -q precious r.json && test ! -e r.html && test ! -e r.csv"},
      {"an empty output path (was: \"cannot move .tmp-PID into place\")",
       "",
       "generate quadratic -o ''",
       {"--output", "is empty", "accepted a file path"},
       ""},
  });
}

TEST_CASE("inputs must be regular files, problem and experiment files at most 16 MiB",
          "[malformed][cli][files]") {
  const std::string game_toml =
      "printf '[problem]\\ntype = \"file\"\\nfile = \"game.h5\"\\n[method]\\nname = \"sgda\"\\n' "
      "> p.toml";
  check_file_cases({
      {"a FIFO as the problem file (was: blocked forever)",
       "mkfifo f.toml",
       "solve f.toml",
       {"f.toml", "is a FIFO", "accepted a TOML problem file"},
       ""},
      {"a FIFO to sgda theory", "mkfifo f.toml", "theory f.toml", {"f.toml", "is a FIFO"}, ""},
      {"a FIFO as the experiment file",
       "mkfifo f.toml",
       "experiment f.toml",
       {"f.toml", "is a FIFO", "accepted a TOML experiment file"},
       ""},
      {"a FIFO to --resume", "mkfifo r.h5", "solve --resume r.h5", {"r.h5", "is a FIFO"}, ""},
      {"a FIFO as a runs file of sgda report",
       "mkfifo r.h5",
       "report r.h5 -o r.html",
       {"r.h5", "is a FIFO", "accepted the path of an HDF5 file"},
       "test ! -e r.html"},
      {"a FIFO as problem.file",
       "mkfifo game.h5 && " + game_toml,
       "solve p.toml",
       {"p.toml:3", "problem.file", "game.h5", "is a FIFO"},
       ""},
      {"/dev/zero to sgda theory (was: never returned)",
       "",
       "theory /dev/zero",
       {"/dev/zero", "is a character device", "accepted a TOML problem file"},
       ""},
      {"a problem file above 16 MiB (was: minutes of parsing)",
       "head -c 17000000 /dev/zero | tr '\\0' '#' > big.toml",
       "solve big.toml",
       {"big.toml", "17000000 bytes", "more than the limit of 16 MiB", "at most 16 MiB"},
       ""},
  });
}

TEST_CASE("an output that is an input of the same command is refused, by device and inode",
          "[malformed][cli][files]") {
  const std::string game = "'" + sgda::testing::kCli +
                           "' generate quadratic --samples 5 --dimension 2 -o game.h5 >/dev/null "
                           "&& printf '[problem]\\ntype = \"file\"\\nfile = \"game.h5\"\\n"
                           "[method]\\nname = \"sgda\"\\n' > g.toml && cksum game.h5 > sum";
  check_file_cases({
      {"the problem file as the run file, with --force (was: overwritten)",
       "",
       "solve good.toml -o good.toml --force",
       {"--output", "good.toml", "is the same file as the input good.toml"},
       "grep -q quadratic good.toml"},
      {"the problem's own game as the run file, with --force (was: replaced by the run)",
       game,
       "solve g.toml -o game.h5 --force",
       {"--output", "game.h5", "same file as the input"},
       "cksum game.h5 | cmp -s - sum"},
      {"a hard link to the problem file as the run file",
       "ln good.toml other.toml",
       "solve good.toml -o other.toml --force",
       {"other.toml", "same file as the input good.toml"},
       "grep -q quadratic other.toml"},
      {"the experiment file as the runs file",
       "",
       "experiment e.toml -o e.toml",
       {"--output", "e.toml", "same file as the input e.toml"},
       "grep -q experiment e.toml"},
      {"a runs file as the report's JSON",
       "echo x > r.json",
       "report r.json -o r.html --force",
       {"--output", "r.json", "same file as the input r.json"},
       "test ! -e r.html"},
  });
}

TEST_CASE("messages that once lost the field or repeated themselves", "[malformed][cli][files]") {
  check_file_cases({
      {"a runs file to resume that is not HDF5",
       "echo notes > notes.h5",
       "experiment e.toml -o notes.h5",
       {"notes.h5", "not an HDF5 file",
        "(resuming it); accepted the runs file of this experiment, or --force to replace it"},
       "grep -q notes notes.h5"},
  });
  // Was: "accepted an HDF5 file ... (resuming it); accepted the runs file ...".
  TempDir dir;
  dir.write("e.toml", "[experiment]\ntitle = \"t\"\nseeds = [1]\nstep_sizes = [0.1]\n" +
                          kQuadratic + "[run]\niterations = 20\n[[method]]\nname = \"sgda\"\n");
  dir.write("notes.h5", "notes\n");
  const Result r = run("experiment e.toml -o notes.h5", dir);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.find("accepted") == r.err.rfind("accepted"));
}

// ---- runs files given to sgda report --------------------------------------------------------

namespace {

void string_attribute(H5::H5Object& object, const std::string& name, const std::string& value) {
  if (object.attrExists(name)) object.removeAttr(name);
  H5::StrType text(H5::PredType::C_S1, H5T_VARIABLE);
  object.createAttribute(name, text, H5::DataSpace(H5S_SCALAR)).write(text, value);
}

// The first run's group of a runs file ("/runs/...").
std::string first_run(H5::H5File& file) {
  return "/runs/" + file.openGroup("/runs").getObjnameByIdx(0);
}

struct RunsCase {
  const char* what;
  std::function<void(H5::H5File&)> change;  // applied to a valid runs file of one run
  std::vector<std::string> expected;        // besides runs.h5
};

}  // namespace

TEST_CASE("sgda report validates runs files as games are validated (was: a report on garbage)",
          "[malformed][cli][report]") {
  const std::vector<RunsCase> cases = {
      {"a target that is not a number",
       [](H5::H5File& f) { string_attribute(f, "experiment.target", "zzz"); },
       {"experiment.target", "is \"zzz\"", "accepted a number > 0"}},
      {"a negative target",
       [](H5::H5File& f) { string_attribute(f, "experiment.target", "-1"); },
       {"experiment.target", "is \"-1\"", "accepted a number > 0"}},
      {"a negative number of planned runs",
       [](H5::H5File& f) { string_attribute(f, "experiment.planned_runs", "-5"); },
       {"experiment.planned_runs", "is \"-5\"", "accepted an integer >= 1"}},
      {"a seed that is not an integer",
       [](H5::H5File& f) {
         H5::Group run = f.openGroup(first_run(f));
         string_attribute(run, "experiment.seed", "1.5");
       },
       {"/runs/", "experiment.seed", "is \"1.5\"", "an integer >= 0"}},
      {"a theory number that is not a number (the layout of sgda 0.1.0)",
       [](H5::H5File& f) {
         const std::string run = first_run(f);
         f.unlink(run + "/theory");
         H5::Group group = f.openGroup(run);
         string_attribute(group, "theory.mu", "not a number");
       },
       {"/runs/", "theory.mu", "is \"not a number\"", "accepted a number"}},
      {"a dataset where a run's group belongs",
       [](H5::H5File& f) { write_doubles(f, "/runs/zz", {1}, {1.0}); },
       {"/runs/zz", "is a dataset", "accepted only groups in /runs"}},
      {"no runs at all",
       [](H5::H5File& f) { f.unlink(first_run(f)); },
       {"/runs", "is empty", "at least one"}},
      {"decreasing iteration counts",
       [](H5::H5File& f) {
         const std::string name = first_run(f) + "/trace/iteration";
         H5::DataSet d = f.openDataSet(name);
         std::vector<std::int64_t> values(
             static_cast<std::size_t>(d.getSpace().getSimpleExtentNpoints()));
         d.read(values.data(), H5::PredType::NATIVE_INT64);
         std::reverse(values.begin(), values.end());
         d.write(values.data(), H5::PredType::NATIVE_INT64);
       },
       {"/trace/iteration", "decreases at row 1", "increasing order"}},
  };
  TempDir source;
  source.write("e.toml", "[experiment]\ntitle = \"t\"\nseeds = [1]\nstep_sizes = [0.1]\n" +
                             kQuadratic + "[run]\niterations = 200\nlog_every = 20\n" +
                             "[[method]]\nname = \"sgda\"\n");
  REQUIRE(run("experiment e.toml -o runs.h5", source).status == 0);
  {  // The unchanged file gives a report: each case fails for its own reason.
    const Result r = run("report runs.h5 -o r.html", source);
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  for (const RunsCase& c : cases) {
    TempDir dir;
    fs::copy_file(source / "runs.h5", dir / "runs.h5");
    {
      H5::H5File file((dir / "runs.h5").string(), H5F_ACC_RDWR);
      c.change(file);
    }
    const Result r = run("report runs.h5 -o r.html", dir);
    INFO(c.what << "\nstderr: " << r.err);
    std::vector<std::string> expected = {"runs.h5: "};
    expected.insert(expected.end(), c.expected.begin(), c.expected.end());
    check_refused(r, expected);
    CHECK_FALSE(fs::exists(dir / "r.html"));
  }
}
