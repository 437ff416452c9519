#include "sgda/io/run_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "run_config_toml.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/steps/blockwise_step.hpp"
#include "toml_reader.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<BatchScaling>>& enum_values<BatchScaling>() {
  static const std::vector<EnumValue<BatchScaling>> values = {
      {BatchScaling::kNone, "none", "step_size as given, whatever the batch"},
      {BatchScaling::kLinear, "linear", "p = 1 (Goyal et al. 2017; LARS)"},
      {BatchScaling::kSqrt, "sqrt", "p = 1/2 (LAMB, You et al. 2020)"},
  };
  return values;
}

template <>
const std::vector<EnumValue<ProblemType>>& enum_values<ProblemType>() {
  static const std::vector<EnumValue<ProblemType>> values = {
      {ProblemType::kQuadratic, "quadratic",
       "two-player strongly monotone quadratic game with prescribed mu, ell"},
      {ProblemType::kBilinear, "bilinear",
       "bilinear game x'By + a'x - b'y + (mu/2)(|x|^2 - |y|^2)"},
      {ProblemType::kFile, "file", "affine game from HDF5 (docs/file-formats.md)"},
      {ProblemType::kDiracGan, "dirac-gan",
       "Dirac-GAN of Mescheder et al. 2018, f = phi(psi theta) + phi(0); equilibrium (0, 0)"},
      {ProblemType::kGaussianGan, "gaussian-gan",
       "linear generator Az + b learning N(m, Sigma) against a quadratic discriminator"},
      {ProblemType::kMlpGan, "mlp-gan",
       "MLP generator and discriminator on a ring of Gaussians; modes covered, good samples"},
      {ProblemType::kClassifier, "classifier",
       "train an MLP classifier (softmax cross-entropy) on a data set; test accuracy"},
      {ProblemType::kRegression, "regression",
       "train an MLP regression (squared loss) on an HDF5 data set"},
      {ProblemType::kAutoencoder, "autoencoder",
       "train a deep autoencoder (encoder + mirror; binary cross-entropy reconstruction)"},
      {ProblemType::kStreamingPca, "streaming-pca",
       "maximize v'Sigma v on the sphere from fresh samples X ~ N(0, Sigma) (Async-MSGD's PCA)"},
      {ProblemType::kNoisyXor, "noisy-xor",
       "ReLU network (frozen output layer) or linear classifier on noisy XOR data; test error"},
      {ProblemType::kConstantTarget, "constant-target",
       "a ReLU network regressing a constant xi from fresh samples X ~ U[0,1]^d (Jentzen et al.)"},
  };
  return values;
}

const OptionTable<ProblemSpec>& ProblemSpec::table() {
  using O = ProblemSpec;
  using T = ProblemType;
  static const OptionTable<O> table(
      "ProblemSpec",
      {
          field("type", &O::type, "the problem").must_be_given(),
          nest(&O::quadratic, "quadratic", QuadraticGameOptions::table(),
               {{"type", {to_string(T::kQuadratic)}}}),
          nest(&O::bilinear, "bilinear", BilinearGameOptions::table(),
               {{"type", {to_string(T::kBilinear)}}}),
          field("file", &O::file, "the HDF5 game, relative to the problem file")
              .as_path()
              .must_be_given()
              .existing_file()
              .when("type", {T::kFile}),
          nest(&O::dirac, "dirac", DiracGanOptions::table(), {{"type", {to_string(T::kDiracGan)}}}),
          nest(&O::gaussian, "gaussian", GaussianGanOptions::table(),
               {{"type", {to_string(T::kGaussianGan)}}}),
          nest(&O::mlp, "mlp", MlpGanOptions::table(), {{"type", {to_string(T::kMlpGan)}}}),
          nest(&O::pca, "pca", StreamingPcaOptions::table(),
               {{"type", {to_string(T::kStreamingPca)}}}),
          nest(&O::data, "data", DataOptions::table(),
               {{"type",
                 {to_string(T::kClassifier), to_string(T::kRegression),
                  to_string(T::kAutoencoder)}}}),
          nest(&O::training, "training", TrainingOptions::table(),
               {{"type",
                 {to_string(T::kClassifier), to_string(T::kRegression),
                  to_string(T::kAutoencoder)}}}),
          // Keys are read in the order of their first row: noisy-xor's init_std comes after
          // the training problems' init, which decides where theirs applies.
          nest(&O::noisy_xor, "noisy_xor", NoisyXorOptions::table(),
               {{"type", {to_string(T::kNoisyXor)}}}),
          nest(&O::constant, "constant", ConstantTargetOptions::table(),
               {{"type", {to_string(T::kConstantTarget)}}}),
          nest(&O::reduced, "reduced", nn::ReducedSpaceOptions::table(),
               {{"type",
                 {to_string(T::kClassifier), to_string(T::kRegression), to_string(T::kAutoencoder),
                  to_string(T::kConstantTarget)}}}),
      });
  return table;
}

const OptionTable<StepSettings>& StepSettings::table() {
  using O = StepSettings;
  static const OptionTable<O> table(
      "StepSettings",
      {
          nest(&O::rule, "rule", StepRuleOptions::table()),
          field("scale", &O::scale, "this step is scale * gamma_k (two time scales)")
              .above(0)
              .files_only(),
      });
  return table;
}

const std::vector<RunSection>& run_sections() {
  using C = RunConfig;
  static const OptionTable<C> problem("RunConfig",
                                      {nest(&C::problem, "problem", ProblemSpec::table())});
  static const OptionTable<C> regularizer(
      "RunConfig", {nest(&C::regularizer, "regularizer", RegularizerOptions::table())});
  static const OptionTable<C> method("RunConfig",
                                     {nest(&C::estimator, "estimator", EstimatorOptions::table())});
  static const OptionTable<StepConfig> step_config(
      "StepConfig", {nest(&StepConfig::all, "all", StepSettings::table())});
  static const OptionTable<C> step("RunConfig", {nest(&C::step, "step", step_config)});
  static const OptionTable<C> run(
      "RunConfig", {
                       nest(&C::solver, "solver", SolverOptions::table()),
                       field("log_every_epochs", &C::log_every_epochs,
                             "log every this many epochs (iterations from n and the batch "
                             "size), instead of log_every")
                           .above(0)
                           .or_zero("off: log_every applies"),
                       field("epochs", &C::epochs,
                             "stop after this many epochs (iterations from n and the batch "
                             "size), instead of iterations")
                           .above(0)
                           .or_zero("off: iterations applies"),
                       field("warmup_epochs", &C::warmup_epochs,
                             "the warmup in epochs (iterations from n and the batch size), "
                             "instead of warmup_iterations")
                           .above(0)
                           .or_zero("off: warmup_iterations applies"),
                       field("batch_scaling", &C::batch_scaling,
                             "a constant step_size grows with the batch size B: gamma (B / "
                             "reference_batch_size)^p"),
                       field("reference_batch_size", &C::reference_batch_size,
                             "B_ref: the batch size at which step_size applies unscaled")
                           .at_least(1)
                           .when("batch_scaling", {BatchScaling::kLinear, BatchScaling::kSqrt}),
                       field("output", &C::output,
                             "the run file (HDF5): trace, settings, checkpoints; relative to the "
                             "problem file (to the working directory for the flag)")
                           .as_path()
                           .with_flag("-o,--output")
                           .defaults_to("none"),
                   });
  static const std::vector<RunSection> sections = {
      {"problem", &problem}, {"regularizer", &regularizer}, {"method", &method}, {"step", &step},
      {"run", &run},
  };
  return sections;
}

std::vector<FlagSpec> section_flags(const std::string& section) {
  std::vector<FlagSpec> flags;
  for (const RunSection& s : run_sections()) {
    if (s.name != section) continue;
    for (const Field<RunConfig>& row : s.table->rows()) {
      if (row.flag_only_in_files || !row.set) continue;
      const std::string field = s.name + "." + row.key;
      if (std::any_of(flags.begin(), flags.end(),
                      [&](const FlagSpec& f) { return f.field == field; }))
        continue;
      std::string spelling = row.flag;
      if (spelling.empty()) {
        spelling = "--" + row.key;
        std::replace(spelling.begin(), spelling.end(), '_', '-');
      }
      flags.push_back({field, spelling, spelling.substr(spelling.rfind(',') + 1), &row});
    }
  }
  return flags;
}

namespace {

namespace fs = std::filesystem;

std::vector<std::string> section_names() {
  std::vector<std::string> names;
  for (const RunSection& s : run_sections()) names.push_back(s.name);
  return names;
}

std::string bracketed(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back("[" + n + "]");
  return join(out);
}

// The section other than `except` whose table has `key`, or "".
std::string section_with_key(const std::string& key, const std::string& except = "") {
  for (const RunSection& s : run_sections())
    if (s.name != except && s.table->has(key)) return s.name;
  return "";
}

// "file:line: section.key: problem" for the field `key` of `config`; a value the user never
// wrote is the default, and the message says so.
InputError locate(const RunConfig& config, const std::string& key, const std::string& problem) {
  const auto it = config.origin.find(key);
  const bool set = it != config.origin.end();
  std::string text = problem;
  if (!set && text.find(", got ") != std::string::npos) text += " (its default value)";
  return input_error(set ? it->second : config.source, key, text);
}

// Fresh samples (streaming-pca, constant-target): n = 2^62, so only a sampling that draws one
// index at a time applies.
void check_fresh_samples(const RunConfig& config) {
  const std::string type = to_string(config.problem.type);
  const EstimatorOptions& e = config.estimator;
  if (e.method != Method::kSgda)
    throw locate(config, "method.name",
                 "problem.type = \"" + type +
                     "\" draws fresh samples (n = 2^62): accepted \"sgda\", got \"" +
                     to_string(e.method) + "\"");
  if (e.sampling != SamplingType::kUniform)
    throw locate(config, "method.sampling",
                 "problem.type = \"" + type +
                     "\" draws fresh samples (n = 2^62): accepted \"uniform\", got \"" +
                     to_string(e.sampling) + "\"");
}

// Every component's own check (cross-field rules, sizes), located.
void validate(const RunConfig& config, GeneratedGameTarget target = GeneratedGameTarget::kMemory) {
  const bool to_file = target == GeneratedGameTarget::kFile;
  auto check = [&](const std::optional<FieldError>& error) {
    if (error) throw located_error(config, InputError(*error));
  };
  const ProblemSpec& p = config.problem;
  switch (p.type) {
    case ProblemType::kQuadratic:
      check(to_file ? p.quadratic.CheckToFile() : p.quadratic.Check());
      break;
    case ProblemType::kBilinear:
      check(to_file ? p.bilinear.CheckToFile() : p.bilinear.Check());
      break;
    case ProblemType::kDiracGan:
      check(p.dirac.Check());
      break;
    case ProblemType::kGaussianGan: {
      check(p.gaussian.Check());
      const GaussianGanOptions& g = p.gaussian;
      const double d = double(g.dimension);
      const double entries =
          double(g.samples) * 2.0 * d + double(g.samples / g.batch) * 2.0 * d * (d + 1.0);
      if (entries > 1e9)
        check(FieldError{"GaussianGanOptions::samples",
                         "the game would hold 2*samples*dimension + "
                         "2*(samples/batch)*dimension*(dimension+1) = " +
                             format_number(entries) +
                             " doubles; accepted up to 1e9 (8 GB): lower samples or dimension"});
      break;
    }
    case ProblemType::kMlpGan: {
      check(p.mlp.Check());
      const MlpGanOptions& m = p.mlp;
      // Data and noise, then the widest layer's activations for a 2048-column chunk (full()).
      const double width = double(std::max(m.generator_width, m.discriminator_width));
      const double entries = double(m.samples) * double(2 + m.noise_dimension) +
                             double(m.eval_samples) * double(m.noise_dimension) +
                             4096.0 * 4.0 * width;
      if (entries > 1e9)
        check(FieldError{"MlpGanOptions::samples",
                         "the game would hold samples*(2+noise_dimension) + "
                         "eval_samples*noise_dimension + layers = " +
                             format_number(entries) +
                             " doubles; accepted up to 1e9 (8 GB): lower samples or dimension"});
      break;
    }
    case ProblemType::kClassifier:
    case ProblemType::kRegression:
    case ProblemType::kAutoencoder:
      check(p.training.Check());
      check(p.data.Check());
      break;
    case ProblemType::kStreamingPca: {
      check(p.pca.Check());
      // −½vᵀΣv is unbounded below off the sphere (Oja's operator keeps ‖v‖ near 1 itself).
      const RegularizerType r = config.regularizer.type;
      if (!p.pca.oja && r != RegularizerType::kSphere && r != RegularizerType::kL2Ball)
        throw locate(
            config, "regularizer.type",
            "problem.type = \"streaming-pca\" needs the sphere: accepted \"sphere\" "
            "(normalization after each step) or \"l2-ball\" (or problem.oja = true), got \"" +
                to_string(r) + "\"");
      check_fresh_samples(config);
      break;
    }
    case ProblemType::kNoisyXor:
      check(p.noisy_xor.Check());
      break;
    case ProblemType::kConstantTarget:
      check(p.constant.Check());
      check_fresh_samples(config);
      break;
    case ProblemType::kFile:
      break;
  }
  if (p.reduced.parameter_space == nn::ParameterSpace::kReduced) {
    check(p.reduced.Check());
    // The reduced space is the network problem's regularizer (nn::NeuronSphere).
    if (config.regularizer.type != RegularizerType::kNone)
      throw locate(config, "problem.parameter_space",
                   "\"reduced\" projects onto the reduced space after every step, which is the "
                   "problem's regularizer: accepted only with regularizer.type = \"none\", got \"" +
                       to_string(config.regularizer.type) + "\"");
  }
  check(config.regularizer.Check());
  check(config.estimator.Check());
  check(config.step.all.rule.Check());
  for (const PlayerStep& player : config.step.players)
    if (const auto error = player.settings.rule.Check()) {
      const Field<StepSettings>* row = StepSettings::table().row_named(error->field);
      throw locate(config, "step." + player.player + "." + (row ? row->key : "rule"),
                   error->problem);
    }
  // MBF and K-FAC precondition by the per-example gradients of the minibatch the problem
  // evaluated last: the step's own batch only when SGDA evaluates its batch at once (adaptive
  // sampling evaluates example by example, other methods also at snapshots and shifts).
  const auto fisher = [](const StepSettings& s) {
    return s.rule.rule == StepRuleType::kMbf || s.rule.rule == StepRuleType::kKfac;
  };
  const bool players_fisher = std::any_of(config.step.players.begin(), config.step.players.end(),
                                          [&](const PlayerStep& p) { return fisher(p.settings); });
  if ((fisher(config.step.all) || players_fisher) &&
      (config.estimator.method != Method::kSgda ||
       config.estimator.sampling == SamplingType::kAdaptive))
    throw locate(config,
                 config.estimator.method != Method::kSgda ? "method.name" : "method.sampling",
                 "the step rules mbf and kfac precondition by the minibatch SGDA evaluated last; "
                 "accepted method sgda with sampling uniform, nice, importance or shuffle");
  // Batch normalization's training mode normalizes a minibatch by its own statistics: F_ξ is not
  // a sum of per-example F_i, so only SGDA drawing whole minibatches of at least two examples
  // applies (not single samples, adaptive sampling's example-by-example sum, snapshots, shifts
  // or workers' local batches).
  if (training_task(config.problem.type) &&
      config.problem.training.normalization == nn::Normalization::kBatch) {
    const EstimatorOptions& e = config.estimator;
    const std::string why =
        "problem.normalization = \"batch\" normalizes each minibatch by its own statistics, so "
        "the gradient of a batch is not a sum of per-example gradients; accepted ";
    if (e.method != Method::kSgda)
      throw locate(
          config, "method.name",
          why + "method sgda with sampling nice or shuffle, got \"" + to_string(e.method) + "\"");
    if (e.sampling != SamplingType::kNice && e.sampling != SamplingType::kShuffle)
      throw locate(config, "method.sampling",
                   why + "sampling nice or shuffle (whole minibatches), got \"" +
                       to_string(e.sampling) + "\"");
    if (e.batch_size < 2)
      throw locate(config, "method.batch_size",
                   why + "minibatches of at least 2 examples, got " + std::to_string(e.batch_size));
  }
  check(config.solver.Check());
  if (config.log_every_epochs > 0.0 && config.solver.log_every > 0)
    throw locate(config, "run.log_every_epochs",
                 "accepted only without run.log_every (one of the two sets the log period)");
  if (config.epochs > 0.0 && config.origin.count("run.iterations"))
    throw locate(config, "run.epochs",
                 "accepted only without run.iterations (one of the two sets the run's length)");
  if (config.warmup_epochs > 0.0 && config.solver.step_size.warmup_iterations > 0)
    throw locate(config, "run.warmup_epochs",
                 "accepted only without run.warmup_iterations (one of the two sets the warmup)");
  // The solver reserves the trace up front: a row per log_every iterations.
  const SolverOptions& s = config.solver;
  const double rows = double(s.max_iterations) / double(s.effective_log_every());
  if (rows > 1e8)
    check(FieldError{"SolverOptions::log_every",
                     "the trace would have iterations / log_every = " + format_number(rows) +
                         " rows; accepted up to 1e8 rows (7 GB): raise log_every, or 0 for "
                         "about 1000 rows"});
}

// Reads one TOML document into a RunConfig, recording where each field was set.
class Parser {
 public:
  Parser(std::string source, RunConfig& config) : reader_(std::move(source)), config_(config) {}

  void parse(const toml::table& root) {
    check_top_level(root);
    for (const RunSection& section : run_sections()) {
      const toml::node* node = root.get(section.name);
      const toml::table empty;
      const toml::table& t = node ? *node->as_table() : empty;
      reader_.read(
          t, section.name, *section.table, config_, config_.origin,
          [&](const std::string& key) { return section_with_key(key, section.name); },
          section.name == "step");
      if (section.name == "step") parse_players(t);
    }
  }

 private:
  void check_top_level(const toml::table& root) const {
    const std::vector<std::string> tables = section_names();
    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      if (std::find(tables.begin(), tables.end(), name) != tables.end()) {
        if (!node.is_table())
          reader_.fail(&node, name,
                       "must be a table [" + name + "], got " + detail::describe_node(node) +
                           "; accepted tables: " + bracketed(tables));
        continue;
      }
      if (node.is_table()) {
        const std::string match = closest_match(name, tables);
        reader_.fail(&node, "[" + name + "]",
                     "unknown table" + (match.empty() ? "" : " (did you mean [" + match + "]?)") +
                         "; accepted tables: " + bracketed(tables));
      }
      const std::string home = section_with_key(name);
      if (!home.empty())
        reader_.fail(&node, name, "keys belong in a table; this one goes in [" + home + "]");
      reader_.fail(&node, name,
                   "unknown key outside any table; accepted tables: " + bracketed(tables));
    }
  }

  // [step.<player>]: the player's rule and scale, starting from [step]'s rule (scale 1).
  void parse_players(const toml::table& step) {
    for (const auto& [key, node] : step) {
      if (!node.is_table()) continue;
      PlayerStep player{std::string(key.str()), {config_.step.all.rule, 1.0}};
      const std::string name = "step." + player.player;
      config_.origin[name] = reader_.where(&node);
      for (const auto& [inner, value] : *node.as_table())
        if (value.is_table())
          reader_.fail(&value, name + "." + std::string(inner.str()),
                       "players' step tables do not nest; accepted keys: " +
                           join(StepSettings::table().keys()));
      reader_.read(*node.as_table(), name, StepSettings::table(), player.settings, config_.origin,
                   nullptr);
      config_.step.players.push_back(std::move(player));
    }
  }

  detail::TomlReader reader_;
  RunConfig& config_;
};

}  // namespace

InputError located_error(const RunConfig& config, const InputError& error) {
  if (const auto& field = error.field()) {
    for (const RunSection& section : run_sections())
      if (const Field<RunConfig>* row = section.table->row_named(field->field))
        return locate(config, section.name + "." + row->key, field->problem);
  }
  // A message that starts with a key of the file ("step.z: the problem has no player ...").
  const std::string text = error.what();
  const auto colon = text.find(": ");
  if (colon != std::string::npos && config.origin.count(text.substr(0, colon)))
    return locate(config, text.substr(0, colon), text.substr(colon + 2));
  return InputError(config.source.empty() ? text : config.source + ": " + text);
}

namespace detail {

RunConfig parse_run_table(const toml::table& root, const std::string& source) {
  RunConfig config;
  config.source = source;
  Parser(source, config).parse(root);
  validate(config);
  return config;
}

}  // namespace detail

RunConfig parse_run_config(const std::string& text, const std::string& source) {
  return detail::parse_run_table(detail::parse_toml(text, source), source);
}

RunConfig load_run_config(const std::string& path) {
  return parse_run_config(detail::read_toml_file(path, "TOML problem file"), path);
}

std::vector<std::string> input_files(const RunConfig& config) {
  std::vector<std::string> files = {config.source};
  if (config.problem.type == ProblemType::kFile) files.push_back(config.problem.file);
  if (training_task(config.problem.type) && config.problem.data.data == DataSource::kHdf5)
    files.push_back(config.problem.data.path);
  return files;
}

void apply_overrides(RunConfig& config, const RunOverrides& overrides, GeneratedGameTarget target) {
  for (const RunSection& section : run_sections()) {
    std::vector<GivenValue> given;
    for (const Override& o : overrides) {
      if (o.field.rfind(section.name + ".", 0) != 0) continue;
      given.push_back(
          {o.field.substr(section.name.size() + 1), o.flag,
           [text = o.text](FieldType type, const std::string& accepted, std::string* problem) {
             return parse_text(type, text, accepted, problem);
           }});
    }
    if (given.empty()) continue;
    apply_values(*section.table, config, given,
                 [](const GivenValue& g, const std::string& problem) {
                   return InputError(g.where + ": " + problem);
                 });
    for (const GivenValue& g : given) config.origin[section.name + "." + g.key] = g.where;
  }
  validate(config, target);
}

std::optional<TrainingTask> training_task(ProblemType type) {
  switch (type) {
    case ProblemType::kClassifier:
      return TrainingTask::kClassifier;
    case ProblemType::kRegression:
      return TrainingTask::kRegression;
    case ProblemType::kAutoencoder:
      return TrainingTask::kAutoencoder;
    default:
      return std::nullopt;
  }
}

SolverOptions solver_options(const RunConfig& config, const Problem& problem) {
  SolverOptions options = config.solver;
  const EstimatorOptions& e = config.estimator;
  const bool batched = e.method == Method::kSgda &&
                       (e.sampling == SamplingType::kNice || e.sampling == SamplingType::kShuffle ||
                        e.sampling == SamplingType::kAdaptive);
  const Index batch = batched ? std::max<Index>(1, e.batch_size) : 1;
  const double per_epoch = static_cast<double>((problem.num_samples() + batch - 1) / batch);
  auto iterations = [&](const char* key, double epochs) {
    const double k = std::round(epochs * per_epoch);
    if (!(k <= 1e15))
      throw locate(config, key,
                   "is " + format_number(k) +
                       " iterations on this problem (n = " + std::to_string(problem.num_samples()) +
                       "); accepted up to 1e15: give iterations instead");
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(k));
  };
  if (config.log_every_epochs > 0.0)
    options.log_every = iterations("run.log_every_epochs", config.log_every_epochs);
  if (config.epochs > 0.0) options.max_iterations = iterations("run.epochs", config.epochs);
  if (config.warmup_epochs > 0.0) {
    options.step_size.warmup_iterations = iterations("run.warmup_epochs", config.warmup_epochs);
    if (options.step_size.warmup_iterations >= options.max_iterations)
      throw locate(config, "run.warmup_epochs",
                   "is " + std::to_string(options.step_size.warmup_iterations) +
                       " iterations, not fewer than the run's " +
                       std::to_string(options.max_iterations) + "; accepted a shorter warmup");
  }
  if (config.batch_scaling != BatchScaling::kNone) {
    // Checked here, not when the file is read: an experiment sets the step after that.
    if (options.step_size.rule != StepSizeRule::kConstant)
      throw locate(config, "run.batch_scaling",
                   "accepted only with a constant run.step_size (a number): theory steps "
                   "already account for the batch");
    const double ratio = double(batch) / double(config.reference_batch_size);
    options.step_size.gamma *=
        config.batch_scaling == BatchScaling::kLinear ? ratio : std::sqrt(ratio);
  }
  return options;
}

std::shared_ptr<Problem> make_problem(const RunConfig& config, ProcessGroup* group) {
  const ProblemSpec& p = config.problem;
  if (const std::optional<TrainingTask> task = training_task(p.type)) {
    try {
      std::shared_ptr<const Regularizer> regularizer = make_regularizer(config.regularizer);
      std::shared_ptr<const Dataset> data;
      // A file's own error names the file and the field: it is shown as it is.
      data = std::make_shared<const Dataset>(load_dataset(p.data, *task, group));
      auto problem = std::make_shared<TrainingProblem>(*task, p.training, data, regularizer);
      if (p.reduced.parameter_space == nn::ParameterSpace::kReduced) {
        // The projection needs the network the problem builds: a second problem gets it.
        regularizer =
            std::make_shared<const nn::NeuronSphere>(problem->network(), p.reduced.threshold_bound);
        problem = std::make_shared<TrainingProblem>(*task, p.training, data, regularizer);
      }
      if (group) problem->set_data_parallel(group);
      return problem;
    } catch (const InputError& e) {
      if (!e.field()) throw;
      throw located_error(config, e);
    }
  }
  if (p.type == ProblemType::kConstantTarget) {
    try {
      std::shared_ptr<const Regularizer> regularizer =
          p.reduced.parameter_space == nn::ParameterSpace::kReduced
              ? std::make_shared<const nn::NeuronSphere>(ConstantTarget::network_for(p.constant),
                                                         p.reduced.threshold_bound)
              : std::shared_ptr<const Regularizer>(make_regularizer(config.regularizer));
      return std::make_shared<ConstantTarget>(p.constant, regularizer);
    } catch (const InputError& e) {
      throw located_error(config, e);
    }
  }
  if (p.type != ProblemType::kDiracGan && p.type != ProblemType::kGaussianGan &&
      p.type != ProblemType::kMlpGan && p.type != ProblemType::kStreamingPca &&
      p.type != ProblemType::kNoisyXor)
    return build_problem(config);
  try {
    std::shared_ptr<const Regularizer> regularizer = make_regularizer(config.regularizer);
    if (p.type == ProblemType::kDiracGan) return std::make_shared<DiracGan>(p.dirac, regularizer);
    if (p.type == ProblemType::kStreamingPca)
      return std::make_shared<StreamingPca>(p.pca, regularizer);
    if (p.type == ProblemType::kNoisyXor)
      return std::make_shared<NoisyXor>(p.noisy_xor, regularizer);
    if (p.type == ProblemType::kGaussianGan)
      return std::make_shared<GaussianGan>(p.gaussian, regularizer);
    return std::make_shared<MlpGan>(p.mlp, regularizer);
  } catch (const InputError& e) {
    throw located_error(config, e);
  }
}

std::shared_ptr<AffineGame> build_problem(const RunConfig& config) {
  std::shared_ptr<const Regularizer> regularizer;
  try {
    regularizer = make_regularizer(config.regularizer);
  } catch (const InputError& e) {
    throw located_error(config, e);
  }
  const ProblemSpec& p = config.problem;
  try {
    switch (p.type) {
      case ProblemType::kQuadratic:
        return std::make_shared<AffineGame>(generate_quadratic_game(p.quadratic, regularizer));
      case ProblemType::kBilinear:
        return std::make_shared<AffineGame>(generate_bilinear_game(p.bilinear, regularizer));
      case ProblemType::kFile:
        try {
          return std::make_shared<AffineGame>(load_affine_game(p.file, regularizer));
        } catch (const InputError& e) {
          if (e.field()) throw;
          throw locate(config, "problem.file", e.what());
        }
      default:
        break;
    }
  } catch (const InputError& e) {
    if (!e.field()) throw;
    throw located_error(config, e);
  }
  throw locate(config, "problem.type",
               "\"" + to_string(p.type) +
                   "\" is not an affine game; accepted here: quadratic, bilinear, file");
}

std::string problem_key(const RunConfig& config) {
  std::string key;
  for (const auto& [name, value] : to_settings(config))
    if (name.rfind("problem.", 0) == 0 || name.rfind("regularizer.", 0) == 0)
      key += name + "=" + value + "\n";
  return key;
}

std::unique_ptr<StepRule> build_step(const RunConfig& config) {
  const StepConfig& s = config.step;
  if (s.players.empty() && s.all.scale == 1.0) return make_step_rule(s.all.rule);
  std::vector<BlockwiseStep::Part> parts;
  for (const PlayerStep& p : s.players)
    parts.push_back({{p.player}, make_step_rule(p.settings.rule), p.settings.scale});
  parts.push_back({{}, make_step_rule(s.all.rule), s.all.scale});  // every other player
  return std::make_unique<BlockwiseStep>(std::move(parts));
}

Settings to_settings(const RunConfig& config) {
  Settings s;
  s["source"] = config.source;
  for (const RunSection& section : run_sections())
    for (const auto& [key, value] : section.table->values(config))
      s[section.name + "." + key] = value_text(value);
  for (const PlayerStep& p : config.step.players)
    for (const auto& [key, value] : StepSettings::table().values(p.settings))
      s["step." + p.player + "." + key] = value_text(value);
  return s;
}

std::string to_toml(const RunConfig& config) {
  // Paths become absolute: the text may be read elsewhere.
  auto put = [](toml::table& t, const std::string& key, const FieldValue& value, bool path) {
    if (const auto* i = std::get_if<std::int64_t>(&value)) t.insert(key, *i);
    if (const auto* d = std::get_if<double>(&value)) t.insert(key, *d);
    if (const auto* b = std::get_if<bool>(&value)) t.insert(key, *b);
    if (const auto* text = std::get_if<std::string>(&value))
      t.insert(key, path ? fs::absolute(*text).lexically_normal().string() : *text);
  };
  toml::table root;
  for (const RunSection& section : run_sections()) {
    toml::table t;
    for (const Field<RunConfig>& row : section.table->rows()) {
      if (!row.get || !section.table->applies(row, config)) continue;
      const std::optional<FieldValue> value = row.get(config);
      // An empty path is "none": left out.
      if (!value || (row.type == FieldType::kPath && value_text(*value).empty())) continue;
      put(t, row.key, *value, row.type == FieldType::kPath);
    }
    for (const PlayerStep& p :
         section.name == "step" ? config.step.players : std::vector<PlayerStep>{}) {
      toml::table player;
      for (const auto& [key, value] : StepSettings::table().values(p.settings))
        put(player, key, value, false);
      t.insert(p.player, std::move(player));
    }
    root.insert(section.name, std::move(t));
  }
  std::ostringstream out;
  out << toml::toml_formatter(root);
  return out.str() + "\n";
}

}  // namespace sgda
