#include "sgda/io/trace_file.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "hdf5_util.hpp"
#include "run_group.hpp"
#include "sgda/error.hpp"
#include "sgda/version.hpp"

namespace sgda {
namespace {

// The one list of Trace columns, for both writing and reading.
template <class TraceT, class F>
void for_each_column(TraceT& trace, F&& f) {
  f("iteration", trace.iteration);
  f("sample_evaluations", trace.sample_evaluations);
  f("coordinate_evaluations", trace.coordinate_evaluations);
  f("epochs", trace.epochs);
  f("bits", trace.bits);
  f("wall_time", trace.wall_time);
  f("relative_distance_sq", trace.relative_distance_sq);
  f("residual_sq", trace.residual_sq);
  f("step_size", trace.step_size);
}

template <class Column>
constexpr bool kIsInt64 = std::is_same_v<typename Column::value_type, std::int64_t>;

// The bits of the generator's state as int64 (HDF5 has no portable uint64 we need here).
std::vector<std::int64_t> rng_words(const Rng::State& s) {
  std::vector<std::int64_t> w;
  for (std::uint64_t word : s.words) w.push_back(static_cast<std::int64_t>(word));
  w.push_back(s.has_spare_normal ? 1 : 0);
  w.push_back(std::bit_cast<std::int64_t>(s.spare_normal));
  return w;
}

std::vector<std::int64_t> counter_values(const Checkpoint& c) {
  const Counters& k = c.counters;
  return {k.iterations, k.sample_evaluations, k.full_evaluations, k.coordinate_evaluations,
          k.bits,       c.skipped_steps};
}

void write_archive(hdf5::Writer& file, const std::string& group, const StateArchive& archive) {
  file.create_group(group);
  for (const auto& [key, value] : archive.vectors())
    file.write_float64(group + "/" + key, {static_cast<hsize_t>(value.size())}, value.data());
  for (const auto& [key, value] : archive.scalars())
    file.write_float64(group + "/scalar." + key, {1}, &value);
  for (const auto& [key, value] : archive.integers())
    file.write_int64(group + "/integer." + key, {1}, &value);
}

void write_checkpoint(hdf5::Writer& file, const Checkpoint& c) {
  file.create_group("/checkpoint");
  file.write_float64("/checkpoint/x", {static_cast<hsize_t>(c.x.size())}, c.x.data());
  const auto rng = rng_words(c.rng);
  file.write_int64("/checkpoint/rng", {rng.size()}, rng.data());
  const auto counters = counter_values(c);
  file.write_int64("/checkpoint/counters", {counters.size()}, counters.data());
  if (c.average.size() > 0) {
    file.write_float64("/checkpoint/average", {static_cast<hsize_t>(c.average.size())},
                       c.average.data());
    file.write_int64("/checkpoint/averaged", {1}, &c.averaged);
  }
  const double times[3] = {c.initial_distance, c.elapsed_seconds, c.metric_seconds};
  file.write_float64("/checkpoint/times", {3}, times);
  write_archive(file, "/checkpoint/estimator", c.estimator);
  write_archive(file, "/checkpoint/step", c.step);
  // Only problems with state (batch normalization) write it: other files stay as they were.
  if (!c.problem.vectors().empty() || !c.problem.scalars().empty() || !c.problem.integers().empty())
    write_archive(file, "/checkpoint/problem", c.problem);
}

// Refuses what the layout cannot hold before anything is written.
void check_run(const std::string& path, const Trace& trace, const Settings& attributes) {
  const std::size_t rows = trace.size();
  auto check_rows = [&](const std::string& name, std::size_t size) {
    if (size != rows)
      throw input_error(path, "/trace/" + name,
                        "has " + std::to_string(size) + " rows but /trace/iteration has " +
                            std::to_string(rows) + "; accepted columns of equal length");
  };
  for_each_column(trace,
                  [&](const char* name, const auto& column) { check_rows(name, column.size()); });
  for (const TraceColumn& column : trace.extra) {
    check_rows(column.name, column.values.size());
    bool fixed = column.name.empty() || column.name.find('/') != std::string::npos;
    for_each_column(trace,
                    [&](const char* name, const auto&) { fixed = fixed || column.name == name; });
    if (fixed)
      throw input_error(path, "/trace/" + column.name,
                        "is not a valid extra column name; accepted a new name without '/'");
  }
  for (const auto& [key, value] : attributes)
    if (key.empty())
      throw input_error(path, "settings", "has an empty key; accepted non-empty setting names");
}

// The common layout of run files: trace, final (or current) iterate, attributes.
void write_run(const std::string& path, const Trace& trace, const Vector& x, Settings attributes,
               const Checkpoint* checkpoint) {
  check_run(path, trace, attributes);
  hdf5::write_atomically(path, [&](hdf5::Writer& file) {
    detail::write_run_group(file, "", trace, x, attributes);
    if (checkpoint) write_checkpoint(file, *checkpoint);
  });
}

StateArchive read_archive(const hdf5::Reader& file, const std::string& group) {
  StateArchive archive;
  for (const std::string& name : file.dataset_names(group)) {
    const std::string path = group + "/" + name;
    if (name.rfind("scalar.", 0) == 0) {
      archive.put_scalar(name.substr(7), file.read_float64(path, 1, "float64 [1]").values.at(0));
    } else if (name.rfind("integer.", 0) == 0) {
      archive.put_integer(name.substr(8), file.read_int64(path, 1, "int64 [1]").values.at(0));
    } else {
      const auto v = file.read_float64(path, 1, "float64 [N]");
      archive.put(name, Eigen::Map<const Vector>(v.values.data(), Index(v.values.size())));
    }
  }
  return archive;
}

Checkpoint read_checkpoint(const hdf5::Reader& file, const Trace& trace) {
  Checkpoint c;
  const auto x = file.read_float64("/checkpoint/x", 1, "float64 [D]");
  file.require_finite("/checkpoint/x", x);
  c.x = Eigen::Map<const Vector>(x.values.data(), static_cast<Index>(x.values.size()));
  const auto rng = file.read_int64("/checkpoint/rng", 1, "int64 [6]");
  file.require_shape("/checkpoint/rng", rng.shape, {6}, "int64 [6]");
  for (int i = 0; i < 4; ++i)
    c.rng.words[static_cast<std::size_t>(i)] = std::uint64_t(rng.values[i]);
  c.rng.has_spare_normal = rng.values[4] != 0;
  c.rng.spare_normal = std::bit_cast<double>(rng.values[5]);
  const auto k = file.read_int64("/checkpoint/counters", 1, "int64 [6]");
  file.require_shape("/checkpoint/counters", k.shape, {6}, "int64 [6]");
  c.counters = {k.values[0], k.values[1], k.values[2], k.values[3], k.values[4]};
  c.skipped_steps = k.values[5];
  const auto times = file.read_float64("/checkpoint/times", 1, "float64 [3]");
  file.require_shape("/checkpoint/times", times.shape, {3}, "float64 [3]");
  c.initial_distance = times.values[0];
  c.elapsed_seconds = times.values[1];
  c.metric_seconds = times.values[2];
  if (file.has("/checkpoint/average")) {
    const auto a = file.read_float64("/checkpoint/average", 1, "float64 [D]");
    c.average = Eigen::Map<const Vector>(a.values.data(), static_cast<Index>(a.values.size()));
    c.averaged = file.read_int64("/checkpoint/averaged", 1, "int64 [1]").values.at(0);
  }
  c.estimator = read_archive(file, "/checkpoint/estimator");
  c.step = read_archive(file, "/checkpoint/step");
  // Absent from older checkpoints and from problems without state: empty.
  if (file.has("/checkpoint/problem")) c.problem = read_archive(file, "/checkpoint/problem");
  c.trace = trace;
  if (trace.size() > 0 && trace.iteration.back() > c.counters.iterations)
    throw file.error("/checkpoint/counters", "iteration " + std::to_string(c.counters.iterations) +
                                                 " is before the last trace row; accepted a "
                                                 "checkpoint written with its trace");
  return c;
}

}  // namespace

void save_run(const std::string& path, const Summary& summary, const Settings& settings,
              const Checkpoint* checkpoint) {
  write_run(path, summary.trace, summary.x, detail::run_attributes(summary, settings), checkpoint);
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                     const Settings& settings) {
  Settings attributes = settings;
  attributes["termination"] = kRunInProgress;
  attributes["message"] = "checkpoint at iteration " +
                          std::to_string(checkpoint.counters.iterations) +
                          "; continue with: sgda solve --resume " + path;
  write_run(path, checkpoint.trace, checkpoint.x, std::move(attributes), &checkpoint);
}

RunRecord load_run(const std::string& path) {
  const hdf5::Reader file(path);
  RunRecord record = detail::read_run_group(file, "");
  if (file.has("/checkpoint")) record.checkpoint = read_checkpoint(file, record.trace);
  return record;
}

namespace {

// ---- The theory group (RunRecord::theory) ----------------------------------------------------

constexpr std::int64_t kTheoryFormat = 1;

// The one list of Theory's numbers, for both writing and reading: float64 ...
template <class TheoryT, class F>
void for_each_theory_number(TheoryT& t, F&& f) {
  f("A", t.A);
  f("B", t.B);
  f("C", t.C);
  f("D1", t.D1);
  f("D2", t.D2);
  f("rho", t.rho);
  f("mu", t.mu);
  f("lyapunov_m", t.lyapunov_m);
  f("theory_step_size", t.theory_step_size);
  f("factor", t.factor);
  f("gamma", t.gamma);
  f("switching_h", t.switching_h);
  f("switching_k0", t.switching_k0);
  f("contraction", t.contraction);
  f("neighbourhood", t.neighbourhood);
  f("relative_neighbourhood", t.relative_neighbourhood);
  f("initial_distance", t.initial_distance);
  f("initial_sigma_sq", t.initial_sigma_sq);
  f("initial_lyapunov", t.initial_lyapunov);
  f("switching_bound", t.switching_bound);
  f("target", t.target);
  f("iterations_to_target", t.iterations_to_target);
  f("omega", t.omega);
  f("ell_hat_workers", t.ell_hat_workers);
}

// ... int64 ...
template <class TheoryT, class F>
void for_each_theory_integer(TheoryT& t, F&& f) {
  f("iterations", t.iterations);
  f("workers", t.workers);
}

// ... and strings (the step source is written as its name, applies as int64 0 or 1).
template <class TheoryT, class F>
void for_each_theory_text(TheoryT& t, F&& f) {
  f("sigma_definition", t.sigma_definition);
  f("note", t.note);
  f("why_not", t.why_not);
}

void write_theory(hdf5::Writer& file, const std::string& group, const Theory& t) {
  file.create_group(group);
  file.write_int64_attribute(group, "format_version", kTheoryFormat);
  for_each_theory_number(
      t, [&](const char* name, double value) { file.write_float64_attribute(group, name, value); });
  for_each_theory_integer(t, [&](const char* name, std::int64_t value) {
    file.write_int64_attribute(group, name, value);
  });
  file.write_int64_attribute(group, "applies", t.applies ? 1 : 0);
  file.write_string_attribute(group, "step_source", to_string(t.step_source));
  for_each_theory_text(t, [&](const char* name, const std::string& value) {
    file.write_string_attribute(group, name, value);
  });
}

Theory read_theory(const hdf5::Reader& file, const std::string& group) {
  const std::int64_t format = file.read_int64_attribute(group, "format_version");
  if (format != kTheoryFormat)
    throw file.error(group + " attribute format_version",
                     "is " + std::to_string(format) + ", a theory group this sgda (" + kVersion +
                         ") cannot read; accepted " + std::to_string(kTheoryFormat));
  Theory t;
  for_each_theory_number(t, [&](const char* name, double& value) {
    value = file.read_float64_attribute(group, name);
  });
  for_each_theory_integer(t, [&](const char* name, std::int64_t& value) {
    value = file.read_int64_attribute(group, name);
  });
  const std::int64_t applies = file.read_int64_attribute(group, "applies");
  if (applies != 0 && applies != 1)
    throw file.error(group + " attribute applies",
                     "is " + std::to_string(applies) + "; accepted 0 (no) or 1 (yes)");
  t.applies = applies == 1;
  const Settings texts = file.string_attributes(group);
  auto text = [&](const std::string& name) {
    const auto it = texts.find(name);
    if (it == texts.end())
      throw file.error(group + " attribute " + name, "missing; accepted one string");
    return it->second;
  };
  const std::string source = text("step_source");
  if (!from_string(source, &t.step_source))
    throw file.error(
        group + " attribute step_source",
        "unknown \"" + source + "\"; accepted constant, theory, switching, rule-default, missing");
  for_each_theory_text(t, [&](const char* name, std::string& value) { value = text(name); });
  return t;
}

// Runs files of sgda 0.1.0 kept the theory as string attributes theory.* (numbers as their
// shortest text, so exact): read into the struct, and taken out of the settings. What they did
// not keep is derived from the run's settings (step schedule, factor, K) or stays NaN.
std::optional<Theory> theory_from_attributes(const hdf5::Reader& file, const std::string& group,
                                             Settings& settings) {
  const auto first = settings.lower_bound("theory.");
  if (first == settings.end() || first->first.rfind("theory.", 0) != 0) return std::nullopt;
  // A number that is missing stays NaN (unknown); one that is not a number is refused.
  auto number = [&](const std::string& key) {
    const auto it = settings.find(key);
    double value = Theory::kNaN;
    if (it == settings.end()) return value;
    const std::string& text = it->second;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    const bool whole = result.ec == std::errc() && result.ptr == text.data() + text.size();
    if (!whole && key.rfind("theory.", 0) != 0) return Theory::kNaN;  // a setting, not ours
    if (!whole)
      throw file.error((group.empty() ? "/" : group) + " attribute " + key,
                       "is \"" + text + "\"; accepted a number (nan when unknown)");
    return value;
  };
  auto text = [&](const std::string& key) {
    const auto it = settings.find(key);
    return it == settings.end() ? std::string() : it->second;
  };
  Theory t;
  t.A = number("theory.A");
  t.B = number("theory.B");
  t.C = number("theory.C");
  t.D1 = number("theory.D1");
  t.D2 = number("theory.D2");
  t.rho = number("theory.rho");
  t.sigma_definition = text("theory.sigma_definition");
  t.note = text("theory.note");
  t.mu = number("theory.mu");
  t.lyapunov_m = std::isnan(t.B) ? Theory::kNaN : t.B > 0.0 ? 2.0 * t.B / t.rho : 0.0;
  t.theory_step_size = number("theory.step_size");
  const std::string schedule = text("run.step_schedule");
  t.step_source = schedule == "constant"    ? StepSource::kConstant
                  : schedule == "switching" ? StepSource::kSwitching
                                            : StepSource::kTheory;
  const double factor = number("run.step_factor");
  t.factor = std::isnan(factor) ? 1.0 : factor;
  t.gamma = number("theory.gamma");
  const double iterations = number("run.iterations");
  t.iterations = std::isfinite(iterations) ? std::int64_t(iterations) : 0;
  if (t.step_source == StepSource::kSwitching) {
    t.switching_h = 1.0 / t.gamma;
    t.switching_k0 = number("theory.switching_k0");
    t.switching_bound = number("theory.switching_bound");
  }
  t.contraction = number("theory.contraction");
  t.neighbourhood = number("theory.neighbourhood");
  t.initial_distance = number("theory.initial_distance");
  t.relative_neighbourhood = t.neighbourhood / t.initial_distance;
  t.initial_lyapunov = number("theory.initial_lyapunov");
  t.omega = number("theory.omega");
  const double workers = number("theory.workers");
  t.workers = std::isfinite(workers) ? std::int64_t(workers) : 0;
  t.ell_hat_workers = number("theory.ell_hat_workers");
  const std::string applies = text("theory.applies");
  t.applies = applies == "yes";
  if (!t.applies) t.why_not = applies.rfind("no: ", 0) == 0 ? applies.substr(4) : applies;
  for (auto it = settings.lower_bound("theory.");
       it != settings.end() && it->first.rfind("theory.", 0) == 0;)
    it = settings.erase(it);
  return t;
}

}  // namespace

namespace detail {

Settings run_attributes(const Summary& summary, const Settings& settings) {
  // The run's own facts win over settings of the same name: they describe this file.
  Settings attributes = settings;
  attributes["termination"] = to_string(summary.reason);
  attributes["message"] = summary.message;
  attributes["method_description"] = summary.method;
  return attributes;
}

void write_run_group(hdf5::Writer& file, const std::string& group, const Trace& trace,
                     const Vector& x, Settings attributes, const Theory* theory) {
  check_run(group.empty() ? "/" : group, trace, attributes);
  attributes["sgda_version"] = kVersion;
  const std::size_t rows = trace.size();
  if (!group.empty()) file.create_group(group);
  file.create_group(group + "/trace");
  for_each_column(trace, [&](const char* name, const auto& column) {
    const std::string dataset = group + "/trace/" + name;
    if constexpr (kIsInt64<std::decay_t<decltype(column)>>)
      file.write_int64(dataset, {rows}, column.data());
    else
      file.write_float64(dataset, {rows}, column.data());
  });
  for (const TraceColumn& column : trace.extra)
    file.write_float64(group + "/trace/" + column.name, {rows}, column.values.data());
  file.write_float64(group + "/x_final", {static_cast<hsize_t>(x.size())}, x.data());
  for (const auto& [key, value] : attributes)
    if (group.empty())
      file.write_string_attribute(key, value);
    else
      file.write_string_attribute(group, key, value);
  if (theory) write_theory(file, group + "/theory", *theory);
}

RunRecord read_run_group(const hdf5::Reader& file, const std::string& group) {
  RunRecord record;
  if (group.empty()) {
    // Other attribute types may be added by other tools; settings are the strings.
    for (const std::string& name : file.attribute_names())
      if (file.is_string_attribute(name)) record.settings[name] = file.read_string_attribute(name);
  } else {
    record.settings = file.string_attributes(group);
  }

  bool first = true;
  hsize_t rows = 0;
  for_each_column(record.trace, [&](const char* name, auto& column) {
    const std::string dataset = group + "/trace/" + name;
    constexpr bool is_int = kIsInt64<std::decay_t<decltype(column)>>;
    const std::string type = is_int ? "int64" : "float64";
    const std::string rows_text =
        first ? "" : " with T = " + std::to_string(rows) + " as in " + group + "/trace/iteration";
    auto array = [&] {
      if constexpr (is_int)
        return file.read_int64(dataset, 1, type + " [T]" + rows_text);
      else
        return file.read_float64(dataset, 1, type + " [T]" + rows_text);
    }();
    if (first) rows = array.shape[0];
    file.require_shape(dataset, array.shape, {rows}, type + " [T]" + rows_text);
    column = std::move(array.values);
    first = false;
  });

  // Rows are logged in the order of the run: a decreasing iteration is a damaged file.
  for (std::size_t row = 1; row < record.trace.iteration.size(); ++row)
    if (record.trace.iteration[row] < record.trace.iteration[row - 1])
      throw file.error(group + "/trace/iteration",
                       "decreases at row " + std::to_string(row) + " (" +
                           std::to_string(record.trace.iteration[row - 1]) + " then " +
                           std::to_string(record.trace.iteration[row]) +
                           "); accepted iteration counts in increasing order");

  // Any other dataset under trace/ is an extra column (averaging, problem metrics).
  for (const std::string& name : file.dataset_names(group + "/trace")) {
    bool fixed = false;
    for_each_column(record.trace,
                    [&](const char* column, const auto&) { fixed = fixed || name == column; });
    if (fixed) continue;
    const std::string dataset = group + "/trace/" + name;
    const std::string accepted =
        "float64 [T] with T = " + std::to_string(rows) + " as in " + group + "/trace/iteration";
    auto values = file.read_float64(dataset, 1, accepted);
    file.require_shape(dataset, values.shape, {rows}, accepted);
    record.trace.extra.push_back({name, std::move(values.values)});
  }

  const std::string x_name = group + "/x_final";
  const hdf5::Array<double> x = file.read_float64(x_name, 1, "float64 [D]");
  record.x_final = Eigen::Map<const Vector>(x.values.data(), static_cast<Index>(x.shape[0]));

  if (file.has(group + "/theory"))
    record.theory = read_theory(file, group + "/theory");
  else
    record.theory = theory_from_attributes(file, group, record.settings);
  return record;
}

}  // namespace detail

}  // namespace sgda
