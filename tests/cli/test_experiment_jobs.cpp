// `sgda experiment --jobs`: runs at once in threads, and runs appended to the runs file. Whatever
// the number of jobs, and after a kill -9 and a resume, the file holds what one serial,
// uninterrupted experiment writes (every dataset and attribute but wall times); appending adds
// to the file in place without moving the runs already there. Driven by counts, never timing.
#include <H5Cpp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "report_helpers.hpp"
#include "sgda/report/experiment.hpp"

using namespace sgda;

namespace {

using sgda::testing::count;
using sgda::testing::kSmallExperiment;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::shell;
using sgda::testing::TempDir;
namespace fs = std::filesystem;

// The runs an experiment said it finished, sorted (with --jobs they finish in any order).
std::vector<int> runs_done(const std::string& err) {
  std::vector<int> done = sgda::testing::runs_done(err);
  std::sort(done.begin(), done.end());
  return done;
}

// Every object and attribute of an HDF5 file, by path ("/runs/r0000/trace/iteration",
// "/runs/r0000@termination"), as the bytes of its values; wall times (the trace column
// wall_time) are left out, as they differ between any two executions of a run.
std::map<std::string, std::string> contents(const std::string& path) {
  H5::Exception::dontPrint();
  const H5::H5File file(path, H5F_ACC_RDONLY);
  std::vector<std::string> objects = {"/"};
  H5Ovisit(
      file.getId(), H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* name, const H5O_info_t*, void* out) -> herr_t {
        if (std::string(name) != ".")
          static_cast<std::vector<std::string>*>(out)->push_back("/" + std::string(name));
        return 0;
      },
      &objects);
  std::map<std::string, std::string> values;
  for (const std::string& object : objects) {
    if (object.size() >= 10 && object.substr(object.size() - 10) == "/wall_time") continue;
    H5O_info_t info;
    H5Oget_info_by_name(file.getId(), object.c_str(), &info, H5P_DEFAULT);
    if (info.type == H5O_TYPE_DATASET) {
      const H5::DataSet dataset = file.openDataSet(object);
      const H5::DataType type = dataset.getDataType();
      std::string bytes(dataset.getSpace().getSimpleExtentNpoints() * type.getSize(), '\0');
      if (!bytes.empty()) dataset.read(bytes.data(), type);
      values[object] = type.getSize() == 8 ? bytes : "?";  // float64 or int64 columns
    } else {
      values[object] = "group";
    }
    const H5::H5Object& holder = info.type == H5O_TYPE_DATASET
                                     ? static_cast<const H5::H5Object&>(file.openDataSet(object))
                                     : static_cast<const H5::H5Object&>(file.openGroup(object));
    for (int i = 0; i < holder.getNumAttrs(); ++i) {
      const H5::Attribute attribute = holder.openAttribute(static_cast<unsigned>(i));
      const H5::DataType type = attribute.getDataType();
      std::string bytes;
      if (type.getClass() == H5T_STRING) {
        attribute.read(attribute.getStrType(), bytes);
      } else {
        bytes.assign(attribute.getSpace().getSimpleExtentNpoints() * type.getSize(), '\0');
        attribute.read(type, bytes.data());
      }
      values[object + "@" + attribute.getName()] = bytes;
    }
  }
  return values;
}

// The entries of two files' contents that differ or that only one has, one per line.
std::string differences(const std::map<std::string, std::string>& a,
                        const std::map<std::string, std::string>& b) {
  std::string found;
  for (const auto& [key, value] : a)
    if (!b.count(key) || b.at(key) != value) found += key + "\n";
  for (const auto& [key, value] : b)
    if (!a.count(key)) found += key + " (only in the second)\n";
  return found;
}

// Four runs whose last two run to their iteration limit (half a second each or more), so a kill
// after two runs lands in them.
const std::string kFourRuns = sgda::testing::two_converging_two_stalling("20000000", "1000000");

// A problem workers do not share (its minibatches are evaluated in workspaces kept in the
// object): each worker builds its own, for each of two problems (a problem axis), and the runs
// are still those of one job.
const char* const kGanRuns = R"([experiment]
seeds = [0, 1]
step_sizes = [0.001, 0.003]

[problem]
type = "mlp-gan"
modes = 4
radius = 2.0
std = 0.02
samples = 512
batch = 64
eval_samples = 100
seed = [0, 1]

[step]
rule = "adam"

[run]
iterations = 60
log_every = 20

[[method]]
name = "sgda"
)";

}  // namespace

TEST_CASE("sgda experiment --jobs 2 writes the runs file of --jobs 1 but for wall times",
          "[report][cli][jobs]") {
  TempDir dir("jobs");
  dir.write("small.toml", kSmallExperiment);
  const Result one = run("experiment small.toml -o one.h5 --jobs 1", dir);
  INFO(one.err);
  REQUIRE(one.status == 0);
  const Result two = run("experiment small.toml -o two.h5 --jobs 2", dir);
  INFO(two.err);
  REQUIRE(two.status == 0);
  CHECK(runs_done(two.err) == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK(count(two.err, "\n") == 12);  // one line per run
  const auto serial = contents(dir.file("one.h5"));
  CHECK(serial.count("/runs/r0011/trace/iteration") == 1);
  CHECK(serial.count("/runs/r0000/trace/relative_distance_sq") == 1);
  CHECK(differences(serial, contents(dir.file("two.h5"))).empty());
  // More jobs than runs, and a wrong number.
  CHECK(run("experiment small.toml -o many.h5 --jobs 64", dir).status == 0);
  CHECK(differences(serial, contents(dir.file("many.h5"))).empty());
  for (const std::string bad : {"0", "-3"}) {
    const Result refused = run("experiment small.toml -o bad.h5 --jobs " + bad, dir);
    CHECK(refused.status == 2);
    CHECK(refused.err == "sgda: error: --jobs: is " + bad +
                             "; accepted an integer >= 1, the runs to run at once (default: "
                             "the number of cores)\n");
  }

  dir.write("gan.toml", kGanRuns);
  REQUIRE(run("experiment gan.toml -o gan1.h5 --jobs 1", dir).status == 0);
  const Result gan = run("experiment gan.toml -o gan2.h5 --jobs 2", dir);
  INFO(gan.err);
  REQUIRE(gan.status == 0);
  const auto gan_serial = contents(dir.file("gan1.h5"));
  CHECK(gan_serial.count("/runs/r0007/x_final") == 1);  // 2 problems x 2 steps x 2 seeds
  CHECK(differences(gan_serial, contents(dir.file("gan2.h5"))).empty());

  // Affine games on a problem axis: shared between the workers, one per value.
  std::string axes = kSmallExperiment;
  axes.replace(axes.find("mu = 1.0"), 8, "mu = [0.5, 1.0]");
  dir.write("axes.toml", axes);
  REQUIRE(run("experiment axes.toml -o axes1.h5 --jobs 1", dir).status == 0);
  const Result shared = run("experiment axes.toml -o axes2.h5 --jobs 2", dir);
  INFO(shared.err);
  REQUIRE(shared.status == 0);
  CHECK(count(shared.err, "\n") == 24);
  CHECK(count(shared.err, "(sampling=importance, mu=0.5)") == 4);
  const auto axes_serial = contents(dir.file("axes1.h5"));
  CHECK(axes_serial.count("/runs/r0023/x_final") == 1);
  CHECK(differences(axes_serial, contents(dir.file("axes2.h5"))).empty());

  const Result text = run("experiment small.toml -o bad.h5 --jobs two", dir);
  CHECK(text.status == 2);
  CHECK(text.err.find("--jobs") != std::string::npos);
  CHECK(count(text.err, "\n") == 1);
}

TEST_CASE("an experiment killed with SIGKILL resumes to the file of an uninterrupted one",
          "[report][cli][jobs][signal]") {
  TempDir dir("jobs");
  dir.write("four.toml", kFourRuns);
  const Result whole = run("experiment four.toml -o whole.h5 --jobs 1", dir);
  INFO(whole.err);
  REQUIRE(whole.status == 0);

  // kill -9 once two runs are shown (a run is in the file before it is shown): both workers
  // are then in the SGDA runs. The poll is bounded so that a broken run cannot hang the suite.
  dir.write("kill.sh", "'" + sgda::testing::kCli +
                           "' experiment four.toml -o four.h5 --jobs 2 2>exp_err.txt & pid=$!\n"
                           "polls=0\n"
                           "until [ \"$(grep -c '^run ' exp_err.txt 2>/dev/null)\" -ge 2 ] || "
                           "! kill -0 $pid 2>/dev/null || [ $polls -ge 30000 ]; do sleep 0.01; "
                           "polls=$((polls + 1)); done\n"
                           "kill -KILL $pid 2>/dev/null\n"
                           "wait $pid\n");
  shell("sh kill.sh", dir);
  const std::string killed = read(dir / "exp_err.txt");
  INFO(killed);
  REQUIRE(runs_done(killed) == std::vector<int>{1, 2});
  const ExperimentRuns before = load_experiment_runs(dir.file("four.h5"));
  REQUIRE(before.runs.size() == 2);
  CHECK(before.groups == std::vector<std::string>{"r0000", "r0001"});

  // A kill during an append could leave the runs file torn: made so here by cutting it in
  // half. The backup beside it, written before the file at every append, replaces it.
  REQUIRE(fs::exists(dir / "four.h5.backup"));
  fs::resize_file(dir / "four.h5", fs::file_size(dir / "four.h5") / 2);
  const Result resumed = run("experiment four.toml -o four.h5 --jobs 2", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  CHECK(resumed.err.find("sgda: restored four.h5 from four.h5.backup (a crash during an append "
                         "had left it unreadable)\n") != std::string::npos);
  CHECK(resumed.err.find("resuming four.h5: 2 of 4 runs already there") != std::string::npos);
  CHECK(runs_done(resumed.err) == std::vector<int>{3, 4});
  CHECK(differences(contents(dir.file("whole.h5")), contents(dir.file("four.h5"))).empty());
  CHECK_FALSE(fs::exists(dir / "four.h5.backup"));  // removed once the experiment is done
  CHECK_FALSE(fs::exists(dir / "whole.h5.backup"));
}

TEST_CASE("appending a run leaves the runs already in the file where they are",
          "[report][cli][jobs]") {
  // A runs file with the six seed-3 runs, then resumed to twelve: the file is the same inode
  // (appended in place, not replaced by a copy) and the first run's x_final keeps its address
  // and its bytes.
  TempDir dir("jobs");
  std::string subset = kSmallExperiment;
  subset.replace(subset.find("seeds = [3, 4]"), 14, "seeds = [3]");
  dir.write("subset.toml", subset);
  dir.write("small.toml", kSmallExperiment);
  REQUIRE(run("experiment subset.toml -o small.h5", dir).status == 0);
  const std::string path = dir.file("small.h5");
  auto where = [&] {
    H5::Exception::dontPrint();
    const H5::H5File file(path, H5F_ACC_RDONLY);
    const H5::DataSet x = file.openDataSet("/runs/r0000/x_final");
    const haddr_t offset = H5Dget_offset(x.getId());
    struct stat info {};
    ::stat(path.c_str(), &info);
    return std::pair(std::uint64_t(info.st_ino), std::uint64_t(offset));
  };
  const auto [inode, offset] = where();
  REQUIRE(offset != HADDR_UNDEF);
  const std::string bytes = read(path).substr(offset, 3 * 8);

  const Result resumed = run("experiment small.toml -o small.h5", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  CHECK(resumed.out.find("12 runs (6 new)") != std::string::npos);
  CHECK(where() == std::pair(inode, offset));
  CHECK(read(path).substr(offset, 3 * 8) == bytes);
  const ExperimentRuns runs = load_experiment_runs(path);
  CHECK(runs.runs.size() == 12);
  CHECK(runs.groups.back() == "r0011");
}

TEST_CASE("an append waits for a reader that holds the runs file open", "[report][cli][jobs]") {
  // HDF5 locks a file it opens; a reader (sgda report, h5py) holding the runs file would make
  // the append fail. Here a child process holds it open while the experiment resumes and lets
  // go after a while: the experiment waits and adds its runs. (A child, not this process: the
  // command would inherit this process's descriptor and its lock.)
  TempDir dir("jobs");
  std::string subset = kSmallExperiment;
  subset.replace(subset.find("seeds = [3, 4]"), 14, "seeds = [3]");
  dir.write("subset.toml", subset);
  dir.write("small.toml", kSmallExperiment);
  REQUIRE(run("experiment subset.toml -o small.h5", dir).status == 0);
  int opened[2];
  REQUIRE(::pipe(opened) == 0);
  const pid_t holder = ::fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    H5::Exception::dontPrint();
    H5::H5File reader(dir.file("small.h5"), H5F_ACC_RDONLY);
    const char byte = 1;
    static_cast<void>(::write(opened[1], &byte, 1));
    ::usleep(1500000);
    reader.close();
    ::_exit(0);
  }
  ::close(opened[1]);
  char byte = 0;
  CHECK(::read(opened[0], &byte, 1) == 1);  // the child has the file open
  ::close(opened[0]);
  const Result resumed = run("experiment small.toml -o small.h5", dir);
  int status = 0;
  ::waitpid(holder, &status, 0);
  INFO(resumed.err);
  CHECK(resumed.status == 0);
  CHECK(load_experiment_runs(dir.file("small.h5")).runs.size() == 12);
}
