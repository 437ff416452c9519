#include "sgda/io/run_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "run_config_toml.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/nn/activation.hpp"
#include "sgda/steps/blockwise_step.hpp"

namespace sgda {
namespace {

namespace fs = std::filesystem;
using Keys = std::vector<std::string>;

const Keys kTables = {"problem", "regularizer", "method", "step", "run"};
const Keys kProblemTypes = {"quadratic", "bilinear",     "file",
                            "dirac-gan", "gaussian-gan", "mlp-gan"};
const Keys kStepRules = {"constant", "theory", "switching"};

// Every key of each table; which of them apply depends on the table's type or name.
const Keys& keys_of(const std::string& table) {
  static const std::map<std::string, Keys> keys = {
      {"problem",
       {"type", "samples", "dimension", "mu", "ell", "noise", "offset_noise", "heavy_scale",
        "coupling", "seed", "file",
        // GAN-style games
        "r1", "theta0", "psi0", "batch", "lambda", "exact_moments", "modes", "radius", "std",
        "noise_dimension", "generator_width", "generator_depth", "discriminator_width",
        "discriminator_depth", "generator_activation", "discriminator_activation", "loss",
        "eval_samples", "mode_threshold"}},
      {"regularizer", {"type", "lambda", "radius", "lower", "upper"}},
      {"method",
       {"name", "sampling", "batch_size", "probability", "workers", "local", "compressor", "k",
        "levels", "alpha"}},
      {"step", {"rule", "momentum", "beta1", "beta2", "epsilon", "weight_decay", "scale"}},
      {"run",
       {"iterations", "max_oracle_calls", "max_time", "tolerance", "residual_tolerance",
        "log_every", "step_size", "step_schedule", "step_factor", "seed", "output",
        "checkpoint_every", "checkpoint_seconds", "skip_non_finite", "scheme", "averaging",
        "ema_decay"}},
  };
  return keys.at(table);
}

// Why a [step] key does not apply to a rule ("" if it does).
std::string step_key_problem(const std::string& key, const std::string& rule) {
  const bool adam = rule == "adam" || rule == "adamw";
  const bool momentum = rule == "momentum" || rule == "nesterov";
  if ((key == "beta1" || key == "beta2" || key == "epsilon" || key == "weight_decay") && !adam)
    return "applies to rule = \"adam\" or \"adamw\" only, not \"" + rule + "\"";
  if (key == "momentum" && !momentum)
    return "applies to rule = \"momentum\" or \"nesterov\" only, not \"" + rule + "\"";
  return "";
}

Keys problem_keys(const std::string& type) {
  if (type == "quadratic")
    return {"type",  "samples",      "dimension",   "mu",  "ell",
            "noise", "offset_noise", "heavy_scale", "seed"};
  if (type == "bilinear")
    return {"type", "samples", "dimension", "mu", "coupling", "noise", "offset_noise", "seed"};
  if (type == "dirac-gan") return {"type", "r1", "theta0", "psi0"};
  if (type == "gaussian-gan")
    return {"type", "dimension", "samples", "batch", "lambda", "exact_moments", "seed"};
  if (type == "mlp-gan")
    return {"type",
            "modes",
            "radius",
            "std",
            "samples",
            "batch",
            "noise_dimension",
            "generator_width",
            "generator_depth",
            "discriminator_width",
            "discriminator_depth",
            "generator_activation",
            "discriminator_activation",
            "loss",
            "eval_samples",
            "mode_threshold",
            "seed"};
  return {"type", "file"};
}

Keys regularizer_keys(const std::string& type) {
  if (type == "l1") return {"type", "lambda"};
  if (type == "box") return {"type", "lower", "upper"};
  if (type == "linf-ball" || type == "l2-ball") return {"type", "radius"};
  if (type == "l1-linf") return {"type", "lambda", "radius"};
  return {"type"};
}

bool contains(const Keys& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string join(const Keys& keys, const std::string& before = "", const std::string& after = "") {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + before + k + after;
  return out;
}

const Keys kDistributed = {"qsgda", "diana-sgda", "vr-diana-sgda"};

// "" when the [method] key applies to these options, else why not (for errors).
std::string method_key_problem(const std::string& key, const EstimatorOptions& e) {
  static const std::map<std::string, Keys> methods = {
      {"name", names_of("method")}, {"sampling", {"sgda"}},
      {"batch_size", {"sgda"}},     {"probability", {"l-svrgda", "vr-diana-sgda"}},
      {"workers", kDistributed},    {"local", {"qsgda", "diana-sgda"}},
      {"compressor", kDistributed}, {"k", kDistributed},
      {"levels", kDistributed},     {"alpha", {"diana-sgda", "vr-diana-sgda"}},
  };
  const Keys& applies = methods.at(key);
  if (!contains(applies, e.method))
    return "does not apply to method \"" + e.method + "\"; it applies to " + join(applies);
  const std::string& c = e.compressor.type;
  if (key == "batch_size" && e.sampling != "nice")
    return "applies only to sampling \"nice\" (the sampling is \"" + e.sampling + "\")";
  if (key == "k" && c != "rand-k" && c != "top-k")
    return "applies only to compressor \"rand-k\" or \"top-k\" (the compressor is \"" + c + "\")";
  if (key == "levels" && c != "qsgd")
    return "applies only to compressor \"qsgd\" (the compressor is \"" + c + "\")";
  return "";
}

bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80           ? 1
                               : (lead >> 5) == 0x6  ? 2
                               : (lead >> 4) == 0xe  ? 3
                               : (lead >> 3) == 0x1e ? 4
                                                     : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values beyond Unicode are not UTF-8 either.
    static const std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

// " (did you mean "x"?)" when `word` is a plausible typo of one of `keys`.
std::string hint(const std::string& word, const Keys& keys, const std::string& quote = "\"") {
  const std::string match = closest_match(word, keys);
  return match.empty() ? "" : " (did you mean " + quote + match + quote + "?)";
}

// Shortest text that reads back to the same double, for messages and settings.
std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string describe_node(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "the string \"" + std::string(node.as_string()->get()) + "\"";
    case toml::node_type::integer:
      return "the integer " + std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return "the number " + format_number(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

// Reads one TOML document into a RunConfig, recording where each field was set.
class Parser {
 public:
  Parser(std::string source, RunConfig& config) : source_(std::move(source)), config_(config) {}

  void parse(const toml::table& root) {
    check_top_level(root);
    parse_problem(table(root, "problem"));
    parse_regularizer(table(root, "regularizer"));
    parse_method(table(root, "method"));
    parse_step(table(root, "step"));
    parse_run(table(root, "run"));
  }

 private:
  std::string where(const toml::node& node) const {
    return source_ + ":" + std::to_string(node.source().begin.line);
  }
  [[noreturn]] void fail(const std::string& field, const toml::node* node,
                         const std::string& problem) const {
    throw input_error(node ? where(*node) : source_, field, problem);
  }
  void note(const std::string& field, const toml::node& node) {
    config_.origin[field] = where(node);
  }

  void check_top_level(const toml::table& root) {
    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      if (contains(kTables, name)) {
        if (!node.is_table())
          fail(name, &node,
               "must be a table [" + name + "], got " + describe_node(node) +
                   "; accepted tables: " + join(kTables, "[", "]"));
        continue;
      }
      if (node.is_table()) {
        const std::string match = closest_match(name, kTables);
        fail("[" + name + "]", &node,
             "unknown table" + (match.empty() ? "" : " (did you mean [" + match + "]?)") +
                 "; accepted tables: " + join(kTables, "[", "]"));
      }
      for (const auto& table : kTables)
        if (contains(keys_of(table), name))
          fail(name, &node, "keys belong in a table; this one goes in [" + table + "]");
      fail(name, &node,
           "unknown key outside any table; accepted tables: " + join(kTables, "[", "]"));
    }
  }

  const toml::table* table(const toml::table& root, const std::string& name) const {
    const toml::node* node = root.get(name);
    return node ? node->as_table() : nullptr;
  }

  // Rejects keys that are unknown, or that do not apply (`why_not` says why, "" if they do).
  void check_keys(const toml::table& t, const std::string& table,
                  const std::function<std::string(const std::string&)>& why_not) const {
    for (const auto& [key, node] : t) {
      const std::string name(key.str());
      const std::string field = table + "." + name;
      if (contains(keys_of(table), name)) {
        const std::string problem = why_not(name);
        if (!problem.empty()) fail(field, &node, problem);
        continue;
      }
      for (const auto& other : kTables)
        if (other != table && contains(keys_of(other), name))
          fail(field, &node, "unknown key in [" + table + "]; it belongs in [" + other + "]");
      fail(field, &node,
           "unknown key" + hint(name, keys_of(table)) + "; accepted keys: " + join(keys_of(table)));
    }
  }
  // For tables whose type decides the keys.
  void check_keys(const toml::table& t, const std::string& table, const Keys& applicable,
                  const std::string& applies_to) const {
    check_keys(t, table, [&](const std::string& key) {
      return contains(applicable, key)
                 ? std::string()
                 : "does not apply to " + applies_to + "; accepted keys there: " + join(applicable);
    });
  }

  std::string get_string(const toml::table& t, const std::string& table, const std::string& key) {
    const toml::node& node = *t.get(key);
    if (!node.is_string())
      fail(table + "." + key, &node, "must be a string, got " + describe_node(node));
    note(table + "." + key, node);
    return std::string(node.as_string()->get());
  }

  bool get_boolean(const toml::table& t, const std::string& table, const std::string& key) {
    const toml::node& node = *t.get(key);
    if (!node.is_boolean())
      fail(table + "." + key, &node, "must be true or false, got " + describe_node(node));
    note(table + "." + key, node);
    return node.as_boolean()->get();
  }

  std::string get_choice(const toml::table& t, const std::string& table, const std::string& key,
                         const Keys& accepted) {
    const std::string value = get_string(t, table, key);
    if (!contains(accepted, value))
      fail(table + "." + key, t.get(key),
           "unknown \"" + value + "\"" + hint(value, accepted) + "; accepted: " + join(accepted));
    return value;
  }

  double get_number(const toml::table& t, const std::string& table, const std::string& key) {
    const toml::node& node = *t.get(key);
    const std::string field = table + "." + key;
    double value;
    if (node.is_integer()) {
      value = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      value = node.as_floating_point()->get();
    } else {
      fail(field, &node, "must be a number, got " + describe_node(node));
    }
    if (!std::isfinite(value))
      fail(field, &node, "must be a finite number, got " + format_number(value));
    note(field, node);
    return value;
  }

  // An integer ≥ `minimum`; `accepted` says what the value means, e.g. "an integer >= 1".
  std::int64_t get_integer(const toml::table& t, const std::string& table, const std::string& key,
                           std::int64_t minimum, const std::string& accepted) {
    const toml::node& node = *t.get(key);
    const std::string field = table + "." + key;
    if (!node.is_integer())
      fail(field, &node, "must be " + accepted + ", got " + describe_node(node));
    const std::int64_t value = node.as_integer()->get();
    if (value < minimum)
      fail(field, &node, "must be " + accepted + ", got " + std::to_string(value));
    note(field, node);
    return value;
  }

  void parse_problem(const toml::table* t) {
    ProblemSpec& p = config_.problem;
    const std::string accepted = "; accepted: " + join(kProblemTypes);
    if (!t || !t->get("type"))
      fail("problem.type", t, "missing (the [problem] table needs a type)" + accepted);
    p.type = get_choice(*t, "problem", "type", kProblemTypes);
    check_keys(*t, "problem", problem_keys(p.type), "type = \"" + p.type + "\"");

    const std::string positive = "a positive integer (>= 1)";
    const std::string seed = "a non-negative integer";
    if (p.type == "quadratic") {
      QuadraticGameOptions& q = p.quadratic;
      if (t->get("samples")) q.samples = get_integer(*t, "problem", "samples", 1, positive);
      if (t->get("dimension")) q.dimension = get_integer(*t, "problem", "dimension", 1, positive);
      if (t->get("mu")) q.mu = get_number(*t, "problem", "mu");
      if (t->get("ell")) q.ell = get_number(*t, "problem", "ell");
      if (t->get("noise")) q.noise = get_number(*t, "problem", "noise");
      if (t->get("offset_noise")) q.offset_noise = get_number(*t, "problem", "offset_noise");
      if (t->get("heavy_scale")) q.heavy_scale = get_number(*t, "problem", "heavy_scale");
      if (t->get("seed")) q.seed = std::uint64_t(get_integer(*t, "problem", "seed", 0, seed));
    } else if (p.type == "bilinear") {
      BilinearGameOptions& b = p.bilinear;
      if (t->get("samples")) b.samples = get_integer(*t, "problem", "samples", 1, positive);
      if (t->get("dimension")) b.dimension = get_integer(*t, "problem", "dimension", 1, positive);
      if (t->get("mu")) b.mu = get_number(*t, "problem", "mu");
      if (t->get("coupling")) b.coupling = get_number(*t, "problem", "coupling");
      if (t->get("noise")) b.noise = get_number(*t, "problem", "noise");
      if (t->get("offset_noise")) b.offset_noise = get_number(*t, "problem", "offset_noise");
      if (t->get("seed")) b.seed = std::uint64_t(get_integer(*t, "problem", "seed", 0, seed));
    } else if (p.type == "dirac-gan") {
      DiracGanOptions& d = p.dirac;
      if (t->get("r1")) d.r1 = get_number(*t, "problem", "r1");
      if (t->get("theta0")) d.theta0 = get_number(*t, "problem", "theta0");
      if (t->get("psi0")) d.psi0 = get_number(*t, "problem", "psi0");
    } else if (p.type == "gaussian-gan") {
      GaussianGanOptions& g = p.gaussian;
      if (t->get("dimension")) g.dimension = get_integer(*t, "problem", "dimension", 1, positive);
      if (t->get("samples")) g.samples = get_integer(*t, "problem", "samples", 1, positive);
      if (t->get("batch")) g.batch = get_integer(*t, "problem", "batch", 1, positive);
      if (t->get("lambda")) g.lambda = get_number(*t, "problem", "lambda");
      if (t->get("exact_moments")) g.exact_moments = get_boolean(*t, "problem", "exact_moments");
      if (t->get("seed")) g.seed = std::uint64_t(get_integer(*t, "problem", "seed", 0, seed));
    } else if (p.type == "mlp-gan") {
      MlpGanOptions& m = p.mlp;
      const std::string hidden = "a non-negative integer (hidden layers)";
      for (const auto& [key, value] : {std::pair<const char*, Index*>{"modes", &m.modes},
                                       {"samples", &m.samples},
                                       {"batch", &m.batch},
                                       {"noise_dimension", &m.noise_dimension},
                                       {"generator_width", &m.generator_width},
                                       {"discriminator_width", &m.discriminator_width},
                                       {"eval_samples", &m.eval_samples}})
        if (t->get(key)) *value = get_integer(*t, "problem", key, 1, positive);
      for (const auto& [key, value] :
           {std::pair<const char*, Index*>{"generator_depth", &m.generator_depth},
            {"discriminator_depth", &m.discriminator_depth}})
        if (t->get(key)) *value = get_integer(*t, "problem", key, 0, hidden);
      for (const auto& [key, value] : {std::pair<const char*, double*>{"radius", &m.radius},
                                       {"std", &m.std},
                                       {"mode_threshold", &m.mode_threshold}})
        if (t->get(key)) *value = get_number(*t, "problem", key);
      for (const auto& [key, value] :
           {std::pair<const char*, std::string*>{"generator_activation", &m.generator_activation},
            {"discriminator_activation", &m.discriminator_activation}})
        if (t->get(key)) *value = get_choice(*t, "problem", key, nn::activation_names());
      if (t->get("loss")) m.loss = get_choice(*t, "problem", "loss", {"non-saturating", "minimax"});
      if (t->get("seed")) m.seed = std::uint64_t(get_integer(*t, "problem", "seed", 0, seed));
    } else {
      if (!t->get("file"))
        fail("problem.file", t, "missing; type = \"file\" needs the path of an HDF5 game");
      const std::string file = get_string(*t, "problem", "file");
      if (file.empty())
        fail("problem.file", t->get("file"), "is empty; accepted a path to an HDF5 game");
      p.file = resolve(file);
      std::error_code ec;
      if (!fs::exists(p.file, ec))
        fail("problem.file", t->get("file"), "file not found: " + p.file);
      if (fs::is_directory(p.file, ec))
        fail("problem.file", t->get("file"), "is a directory, not an HDF5 game: " + p.file);
    }
  }

  void parse_regularizer(const toml::table* t) {
    RegularizerOptions& r = config_.regularizer;
    if (!t) return;  // no regularizer
    if (!t->get("type"))
      fail("regularizer.type", t, "missing; accepted: " + join(regularizer_types()));
    r.type = get_choice(*t, "regularizer", "type", regularizer_types());
    check_keys(*t, "regularizer", regularizer_keys(r.type), "type = \"" + r.type + "\"");
    for (const auto& [key, value] : {std::pair<const char*, double*>{"lambda", &r.lambda},
                                     {"radius", &r.radius},
                                     {"lower", &r.lower},
                                     {"upper", &r.upper}})
      if (t->get(key)) *value = get_number(*t, "regularizer", key);
  }

  void parse_method(const toml::table* t) {
    EstimatorOptions& e = config_.estimator;
    const Keys methods = names_of("method");
    if (!t || !t->get("name"))
      fail("method.name", t,
           "missing (the [method] table needs a name); accepted: " + join(methods));
    e.method = get_choice(*t, "method", "name", methods);
    // sampling and compressor decide whether batch_size, k and levels apply.
    auto applies = [&](const char* key) {
      return t->get(key) && method_key_problem(key, e).empty();
    };
    if (applies("sampling"))
      e.sampling = get_choice(*t, "method", "sampling", names_of("sampling"));
    if (applies("compressor"))
      e.compressor.type = get_choice(*t, "method", "compressor", compressor_types());
    check_keys(*t, "method", [&](const std::string& key) { return method_key_problem(key, e); });

    const std::string positive = "a positive integer (>= 1)";
    if (t->get("batch_size")) e.batch_size = get_integer(*t, "method", "batch_size", 1, positive);
    if (t->get("workers")) e.workers = get_integer(*t, "method", "workers", 1, positive);
    if (t->get("k")) e.compressor.k = get_integer(*t, "method", "k", 1, positive);
    if (t->get("levels")) {
      const std::int64_t levels = get_integer(*t, "method", "levels", 1, positive);
      if (levels > (1 << 30))
        fail("method.levels", t->get("levels"),
             "must be at most 2^30 = 1073741824, got " + std::to_string(levels));
      e.compressor.levels = static_cast<int>(levels);
    }
    if (t->get("local")) e.local = get_choice(*t, "method", "local", {"exact", "sample"});
    for (const auto& [key, value] :
         {std::pair<const char*, double*>{"probability", &e.probability}, {"alpha", &e.alpha}}) {
      if (!t->get(key)) continue;
      *value = get_number(*t, "method", key);
      if (!(*value > 0.0 && *value <= 1.0))
        fail(std::string("method.") + key, t->get(key),
             "must be in (0, 1], got " + format_number(*value) + "; leave it out for the default");
    }
  }

  // [step]: the step rule and its parameters; [step.<player>]: the same for one player, starting
  // from [step]'s values, with its own step-size scale.
  void parse_step(const toml::table* t) {
    if (!t) return;
    StepConfig& s = config_.step;
    parse_step_keys(*t, "step", s.rule, s.scale);
    for (const auto& [key, node] : *t) {
      if (!node.is_table()) continue;
      PlayerStep player{std::string(key.str()), s.rule, 1.0};
      note("step." + player.player, node);
      parse_step_keys(*node.as_table(), "step." + player.player, player.rule, player.scale);
      s.players.push_back(std::move(player));
    }
  }

  void parse_step_keys(const toml::table& t, const std::string& table, StepRuleOptions& rule,
                       double& scale) {
    if (t.get("rule")) rule.rule = get_choice(t, table, "rule", step_rule_names());
    const Keys& keys = keys_of("step");
    for (const auto& [key, node] : t) {
      const std::string name(key.str());
      if (node.is_table()) {
        if (table != "step")
          fail(table + "." + name, &node,
               "players' step tables do not nest; accepted keys: " + join(keys));
        continue;
      }
      if (!contains(keys, name))
        fail(table + "." + name, &node,
             "unknown key" + hint(name, keys) + "; accepted keys: " + join(keys) +
                 ", or a player's table [" + table + ".<player>]");
      const std::string why = step_key_problem(name, rule.rule);
      if (!why.empty()) fail(table + "." + name, &node, why);
    }
    for (const auto& [key, value] : {std::pair<const char*, double*>{"momentum", &rule.momentum},
                                     {"beta1", &rule.beta1},
                                     {"beta2", &rule.beta2},
                                     {"epsilon", &rule.epsilon},
                                     {"weight_decay", &rule.weight_decay},
                                     {"scale", &scale}})
      if (t.get(key)) *value = get_number(t, table, key);
    std::string error;
    if (!rule.IsValid(&error))
      fail(table + error.substr(4, error.find(':') - 4), &t, error.substr(error.find(':') + 2));
    if (!(std::isfinite(scale) && scale > 0.0))
      fail(table + ".scale", t.get("scale"), "must be a number > 0, got " + format_number(scale));
  }

  void parse_run(const toml::table* t) {
    SolverOptions& s = config_.solver;
    if (!t) return;
    check_keys(*t, "run", keys_of("run"), "[run]");
    auto has = [&](const char* key) { return t->get(key) != nullptr; };
    auto at_least = [&](const char* key, double minimum, const std::string& accepted) {
      const double value = get_number(*t, "run", key);
      if (value < minimum)
        fail(std::string("run.") + key, t->get(key),
             "must be " + accepted + ", got " + format_number(value));
      return value;
    };
    if (has("iterations"))
      s.max_iterations = get_integer(*t, "run", "iterations", 1, "a positive integer (>= 1)");
    if (has("max_oracle_calls"))
      s.max_oracle_calls =
          get_integer(*t, "run", "max_oracle_calls", 0, "a non-negative integer (0 = no limit)");
    if (has("log_every"))
      s.log_every =
          get_integer(*t, "run", "log_every", 0, "a non-negative integer (0 = automatic)");
    if (has("seed"))
      s.seed = std::uint64_t(get_integer(*t, "run", "seed", 0, "a non-negative integer"));
    if (has("max_time"))
      s.max_time_seconds = at_least("max_time", 0.0, ">= 0 seconds (0 = no limit)");
    if (has("checkpoint_every"))
      s.checkpoint_every =
          get_integer(*t, "run", "checkpoint_every", 0, "a non-negative integer (0 = off)");
    if (has("checkpoint_seconds"))
      s.checkpoint_seconds = at_least("checkpoint_seconds", 0.0, ">= 0 seconds (0 = off)");
    if (has("skip_non_finite")) s.skip_non_finite = get_boolean(*t, "run", "skip_non_finite");
    if (has("scheme"))
      s.scheme =
          get_choice(*t, "run", "scheme",
                     {"simultaneous", "alternating", "extragradient", "extragradient-same-sample"});
    if (has("averaging"))
      s.averaging = get_choice(*t, "run", "averaging", {"none", "uniform", "ema"});
    if (has("ema_decay")) {
      s.ema_decay = get_number(*t, "run", "ema_decay");
      if (!(s.ema_decay > 0.0 && s.ema_decay < 1.0))
        fail("run.ema_decay", t->get("ema_decay"),
             "must be in (0, 1), got " + format_number(s.ema_decay));
      if (s.averaging != "ema")
        fail("run.ema_decay", t->get("ema_decay"),
             "applies only to averaging = \"ema\" (averaging is \"" + s.averaging + "\")");
    }
    if (has("tolerance")) s.tolerance = at_least("tolerance", 0.0, ">= 0 (0 = off)");
    if (has("residual_tolerance"))
      s.residual_tolerance = at_least("residual_tolerance", 0.0, ">= 0 (0 = off)");
    if (has("step_factor")) {
      s.step_size.factor = get_number(*t, "run", "step_factor");
      if (!(s.step_size.factor > 0.0))
        fail("run.step_factor", t->get("step_factor"),
             "must be a number > 0, got " + format_number(s.step_size.factor));
    }
    if (has("output")) {
      const std::string output = get_string(*t, "run", "output");
      if (output.empty()) fail("run.output", t->get("output"), "is empty; accepted a file path");
      config_.output = resolve(output);
    }

    // step_size = "theory" | a number; step_schedule; a number alone implies constant.
    std::optional<double> number;
    bool theory = false;
    if (has("step_size")) {
      const toml::node& node = *t->get("step_size");
      if (node.is_string()) {
        const std::string value(node.as_string()->get());
        if (value != "theory")
          fail("run.step_size", &node,
               "unknown \"" + value + "\"" + hint(value, {"theory"}) +
                   "; accepted: \"theory\" or a number > 0");
        theory = true;
        note("run.step_size", node);
      } else if (node.is_number()) {
        number = get_number(*t, "run", "step_size");
        if (!(*number > 0.0))
          fail("run.step_size", &node,
               "must be \"theory\" or a number > 0, got " + format_number(*number));
      } else {
        fail("run.step_size", &node,
             "must be \"theory\" or a number > 0, got " + describe_node(node));
      }
    }
    std::string rule = number ? "constant" : "theory";
    if (has("step_schedule")) {
      rule = get_choice(*t, "run", "step_schedule", kStepRules);
      if (rule == "constant" && !number)
        fail("run.step_schedule", t->get("step_schedule"),
             "\"constant\" needs run.step_size = a number > 0" +
                 std::string(theory ? " (it is \"theory\")" : ""));
      if (rule != "constant" && number)
        fail("run.step_size", t->get("step_size"),
             "a number needs step_schedule = \"constant\" (or no step_schedule); the rule \"" +
                 rule + "\" derives the step from the theory, scale it with step_factor");
    }
    s.step_size.rule = rule;
    if (number) s.step_size.gamma = *number;
  }

  std::string resolve(const std::string& path) const {
    const fs::path p(path);
    if (p.is_absolute()) return p.lexically_normal().string();
    return (fs::path(source_).parent_path() / p).lexically_normal().string();
  }

  std::string source_;
  RunConfig& config_;
};

// The field named at the start of a library message "section.key: ...".
std::string field_of(const std::string& message) {
  const auto colon = message.find(": ");
  if (colon == std::string::npos) return "";
  const std::string field = message.substr(0, colon);
  return field.find('.') != std::string::npos && field.find(' ') == std::string::npos ? field : "";
}

// Cross-field checks the option structs know (ell >= mu, box bounds, ...), located.
void validate(const RunConfig& config) {
  std::string error;
  const ProblemSpec& p = config.problem;
  bool ok = true;
  double entries = 0.0;  // doubles the game will hold: n·(2d)²
  std::string sizes = "n*(2*dimension)^2";
  if (p.type == "dirac-gan") {
    ok = p.dirac.IsValid(&error);
  } else if (p.type == "gaussian-gan") {
    const GaussianGanOptions& g = p.gaussian;
    ok = g.IsValid(&error);
    const double d = double(g.dimension);
    entries = double(g.samples) * 2.0 * d + double(g.samples / g.batch) * 2.0 * d * (d + 1.0);
    sizes = "2*samples*dimension + 2*(samples/batch)*dimension*(dimension+1)";
  } else if (p.type == "mlp-gan") {
    const MlpGanOptions& m = p.mlp;
    ok = m.IsValid(&error);
    // Data and noise, then the widest layer's activations for a 2048-column chunk (full()).
    const double width = double(std::max(m.generator_width, m.discriminator_width));
    entries = double(m.samples) * double(2 + m.noise_dimension) +
              double(m.eval_samples) * double(m.noise_dimension) + 4096.0 * 4.0 * width;
    sizes = "samples*(2+noise_dimension) + eval_samples*noise_dimension + layers";
  } else if (p.type == "quadratic") {
    ok = p.quadratic.IsValid(&error);
    entries = double(p.quadratic.samples) * 4.0 * double(p.quadratic.dimension) *
              double(p.quadratic.dimension);
  } else if (p.type == "bilinear") {
    ok = p.bilinear.IsValid(&error);
    entries = double(p.bilinear.samples) * 4.0 * double(p.bilinear.dimension) *
              double(p.bilinear.dimension);
  }
  if (ok && entries > 1e9)
    throw located_error(config, "problem.samples: the game would hold " + sizes + " = " +
                                    format_number(entries) +
                                    " doubles; accepted up to 1e9 (8 GB): lower samples or "
                                    "dimension");
  if (ok) ok = config.regularizer.IsValid(&error);
  if (ok) ok = config.estimator.IsValid(&error);
  if (ok) ok = config.solver.IsValid(&error);
  if (!ok) throw located_error(config, error);
  // The solver reserves the trace up front: a row per log_every iterations.
  const SolverOptions& s = config.solver;
  const double rows = double(s.max_iterations) / double(s.effective_log_every());
  if (rows > 1e8)
    throw located_error(config, "run.log_every: the trace would have iterations / log_every = " +
                                    format_number(rows) +
                                    " rows; accepted up to 1e8 rows (7 GB): raise log_every, "
                                    "or 0 for about 1000 rows");
}

}  // namespace

InputError located_error(const RunConfig& config, const std::string& message) {
  std::string text = message;
  const std::string field = field_of(text);
  // Some messages name two fields, e.g. "regularizer.lower/upper".
  auto it = config.origin.find(field.substr(0, field.find('/')));
  if (it == config.origin.end() && field == "regularizer.lower/upper")
    it = config.origin.find("regularizer.upper");
  // A value the user never wrote is the default: say so, or the message is puzzling.
  if (it == config.origin.end() && text.find(", got ") != std::string::npos)
    text += " (its default value)";
  const std::string where = it != config.origin.end() ? it->second : config.source;
  return InputError(where.empty() ? text : where + ": " + text);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string a = lower(word);
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    const std::string b = lower(candidate);
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
        diagonal = up;
      }
    }
    if (row[b.size()] < best_distance) {
      best_distance = row[b.size()];
      best = candidate;
    }
  }
  // A typo changes a few characters, and fewer than the word has.
  const std::size_t allowed = std::max<std::size_t>(2, a.size() / 3);
  if (best_distance == 0 || best_distance > allowed || best_distance >= a.size()) return "";
  return best;
}

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    // toml++ descriptions are one line; keep it so.
    std::string description(e.description());
    std::replace(description.begin(), description.end(), '\n', ' ');
    throw InputError(source + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) +
                     ": TOML syntax error: " + description);
  }
}

std::string read_toml_file(const std::string& path, const std::string& kind) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw input_error(path, "", "file not found; accepted a " + kind);
  if (fs::is_directory(path, ec)) throw input_error(path, "", "is a directory; accepted a " + kind);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw input_error(path, "", "cannot be read; accepted a readable " + kind);
  return text.str();
}

RunConfig parse_run_table(const toml::table& root, const std::string& source) {
  RunConfig config;
  config.source = source;
  Parser(source, config).parse(root);
  validate(config);
  return config;
}

RunConfig parse_run_config(const std::string& text, const std::string& source) {
  return parse_run_table(parse_toml(text, source), source);
}

RunConfig load_run_config(const std::string& path) {
  return parse_run_config(read_toml_file(path, "TOML problem file"), path);
}

void apply_overrides(RunConfig& config, const RunOverrides& o) {
  EstimatorOptions& e = config.estimator;
  SolverOptions& s = config.solver;
  auto fail = [](const std::string& flag, const std::string& problem) {
    throw input_error(flag, "", problem);
  };
  auto set = [&](const char* field, const char* flag) { config.origin[field] = flag; };

  // The method, sampling and compressor first: they decide which other flags apply.
  auto choice = [&](const std::optional<std::string>& value, const char* flag,
                    const Keys& accepted) {
    if (!contains(accepted, *value))
      fail(flag,
           "unknown \"" + *value + "\"" + hint(*value, accepted) + "; accepted: " + join(accepted));
    return *value;
  };
  if (o.method) {
    e.method = choice(o.method, "--method", names_of("method"));
    set("method.name", "--method");
  }
  // Flags that do not apply are errors; file keys that no longer apply are ignored.
  auto check = [&](bool given, const char* key, const char* flag) {
    if (!given) return false;
    const std::string problem = method_key_problem(key, e);
    if (!problem.empty()) fail(flag, problem);
    config.origin[std::string("method.") + key] = flag;
    return true;
  };
  if (check(o.sampling.has_value(), "sampling", "--sampling"))
    e.sampling = choice(o.sampling, "--sampling", names_of("sampling"));
  if (check(o.compressor.has_value(), "compressor", "--compressor"))
    e.compressor.type = choice(o.compressor, "--compressor", compressor_types());
  if (check(o.local.has_value(), "local", "--local"))
    e.local = choice(o.local, "--local", {"exact", "sample"});
  auto positive = [&](std::int64_t value, const char* flag) {
    if (value < 1) fail(flag, "must be a positive integer (>= 1), got " + std::to_string(value));
    return value;
  };
  if (check(o.batch_size.has_value(), "batch_size", "--batch-size"))
    e.batch_size = positive(*o.batch_size, "--batch-size");
  if (check(o.workers.has_value(), "workers", "--workers"))
    e.workers = positive(*o.workers, "--workers");
  if (check(o.k.has_value(), "k", "--k")) e.compressor.k = positive(*o.k, "--k");
  if (check(o.levels.has_value(), "levels", "--levels")) {
    if (positive(*o.levels, "--levels") > (1 << 30))
      fail("--levels", "must be at most 2^30 = 1073741824, got " + std::to_string(*o.levels));
    e.compressor.levels = static_cast<int>(*o.levels);
  }
  auto fraction = [&](double value, const char* flag) {
    if (!(std::isfinite(value) && value > 0.0 && value <= 1.0))
      fail(flag,
           "must be in (0, 1], got " + format_number(value) + "; leave it out for the default");
    return value;
  };
  if (check(o.probability.has_value(), "probability", "--probability"))
    e.probability = fraction(*o.probability, "--probability");
  if (check(o.alpha.has_value(), "alpha", "--alpha")) e.alpha = fraction(*o.alpha, "--alpha");

  auto count = [&](const std::optional<std::int64_t>& value, const char* flag, std::int64_t minimum,
                   const std::string& accepted) {
    if (*value < minimum) fail(flag, "must be " + accepted + ", got " + std::to_string(*value));
    return *value;
  };
  auto number = [&](const std::optional<double>& value, const char* flag, bool zero_ok,
                    const std::string& accepted) {
    if (!(std::isfinite(*value) && (*value > 0.0 || (zero_ok && *value == 0.0))))
      fail(flag, "must be " + accepted + ", got " + format_number(*value));
    return *value;
  };
  if (o.iterations) {
    s.max_iterations = count(o.iterations, "--iterations", 1, "a positive integer (>= 1)");
    set("run.iterations", "--iterations");
  }
  if (o.max_oracle_calls) {
    s.max_oracle_calls =
        count(o.max_oracle_calls, "--max-oracle-calls", 0, "a non-negative integer (0 = no limit)");
    set("run.max_oracle_calls", "--max-oracle-calls");
  }
  if (o.log_every) {
    s.log_every = count(o.log_every, "--log-every", 0, "a non-negative integer (0 = automatic)");
    set("run.log_every", "--log-every");
  }
  if (o.checkpoint_every) {
    s.checkpoint_every =
        count(o.checkpoint_every, "--checkpoint-every", 0, "a non-negative integer (0 = off)");
    set("run.checkpoint_every", "--checkpoint-every");
  }
  if (o.checkpoint_seconds) {
    s.checkpoint_seconds =
        number(o.checkpoint_seconds, "--checkpoint-seconds", true, ">= 0 seconds (0 = off)");
    set("run.checkpoint_seconds", "--checkpoint-seconds");
  }
  if (o.skip_non_finite) {
    s.skip_non_finite = *o.skip_non_finite;
    set("run.skip_non_finite", "--skip-non-finite");
  }
  if (o.step) {
    config.step.rule.rule = choice(o.step, "--step", step_rule_names());
    set("step.rule", "--step");
  }
  if (o.scheme) {
    s.scheme =
        choice(o.scheme, "--scheme",
               {"simultaneous", "alternating", "extragradient", "extragradient-same-sample"});
    set("run.scheme", "--scheme");
  }
  if (o.averaging) {
    s.averaging = choice(o.averaging, "--averaging", {"none", "uniform", "ema"});
    set("run.averaging", "--averaging");
  }
  if (o.ema_decay) {
    if (!(std::isfinite(*o.ema_decay) && *o.ema_decay > 0.0 && *o.ema_decay < 1.0))
      fail("--ema-decay", "must be in (0, 1), got " + format_number(*o.ema_decay));
    if (s.averaging != "ema")
      fail("--ema-decay",
           "applies only to averaging ema (--averaging ema; averaging is " + s.averaging + ")");
    s.ema_decay = *o.ema_decay;
    set("run.ema_decay", "--ema-decay");
  }
  if (o.seed) {
    s.seed = std::uint64_t(count(o.seed, "--seed", 0, "a non-negative integer"));
    set("run.seed", "--seed");
  }
  if (o.max_time) {
    s.max_time_seconds = number(o.max_time, "--max-time", true, ">= 0 seconds (0 = no limit)");
    set("run.max_time", "--max-time");
  }
  if (o.tolerance) {
    s.tolerance = number(o.tolerance, "--tolerance", true, ">= 0 (0 = off)");
    set("run.tolerance", "--tolerance");
  }
  if (o.residual_tolerance) {
    s.residual_tolerance =
        number(o.residual_tolerance, "--residual-tolerance", true, ">= 0 (0 = off)");
    set("run.residual_tolerance", "--residual-tolerance");
  }
  if (o.step_factor) {
    s.step_size.factor = number(o.step_factor, "--step-factor", false, "a number > 0");
    set("run.step_factor", "--step-factor");
  }

  // Flags win over the file; a conflict is an error only between two flags.
  std::optional<double> gamma;
  if (o.step_size) {
    if (*o.step_size != "theory") {
      double value = 0.0;
      const char* begin = o.step_size->data();
      const char* end = begin + o.step_size->size();
      const auto result = std::from_chars(begin, end, value);
      if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value) || value <= 0.0)
        fail("--step-size", "unknown \"" + *o.step_size + "\"" + hint(*o.step_size, {"theory"}) +
                                "; accepted: theory or a number > 0");
      gamma = value;
      s.step_size.gamma = value;
      if (!o.step_schedule) s.step_size.rule = "constant";
    } else if (!o.step_schedule && s.step_size.rule == "constant") {
      s.step_size.rule = "theory";
    }
    set("run.step_size", "--step-size");
  }
  if (o.step_schedule) {
    if (!contains(kStepRules, *o.step_schedule))
      fail("--step-schedule", "unknown \"" + *o.step_schedule + "\"" +
                                  hint(*o.step_schedule, kStepRules) +
                                  "; accepted: " + join(kStepRules));
    if (*o.step_schedule == "constant" && !(s.step_size.gamma > 0.0))
      fail("--step-schedule", "constant needs a numeric step size (--step-size NUMBER)");
    if (*o.step_schedule == "constant" && o.step_size && !gamma)
      fail("--step-schedule", "constant needs a numeric step size, --step-size is theory");
    if (*o.step_schedule != "constant" && gamma)
      fail("--step-size", "a number needs --step-schedule constant; the rule " + *o.step_schedule +
                              " derives the step from the theory, scale it with --step-factor");
    s.step_size.rule = *o.step_schedule;
    set("run.step_schedule", "--step-schedule");
  }

  if (o.output) {
    if (o.output->empty()) fail("--output", "is empty; accepted a file path");
    // The run file stores the settings as TOML text, which holds UTF-8 only.
    if (!valid_utf8(*o.output))
      fail("--output", "is not valid UTF-8; accepted a file path in UTF-8");
    config.output = *o.output;
    set("run.output", "--output");
  }
  validate(config);
}

std::shared_ptr<Problem> make_problem(const RunConfig& config) {
  const ProblemSpec& p = config.problem;
  if (p.type != "dirac-gan" && p.type != "gaussian-gan" && p.type != "mlp-gan")
    return build_problem(config);
  std::shared_ptr<const Regularizer> regularizer;
  try {
    regularizer = make_regularizer(config.regularizer);
    if (p.type == "dirac-gan") return std::make_shared<DiracGan>(p.dirac, regularizer);
    if (p.type == "gaussian-gan") return std::make_shared<GaussianGan>(p.gaussian, regularizer);
    return std::make_shared<MlpGan>(p.mlp, regularizer);
  } catch (const InputError& e) {
    throw located_error(config, e.what());
  }
}

std::shared_ptr<AffineGame> build_problem(const RunConfig& config) {
  std::shared_ptr<const Regularizer> regularizer;
  try {
    regularizer = make_regularizer(config.regularizer);
  } catch (const InputError& e) {
    throw located_error(config, e.what());
  }
  const ProblemSpec& p = config.problem;
  if (p.type == "quadratic")
    return std::make_shared<AffineGame>(generate_quadratic_game(p.quadratic, regularizer));
  if (p.type == "bilinear")
    return std::make_shared<AffineGame>(generate_bilinear_game(p.bilinear, regularizer));
  if (p.type == "file") {
    try {
      return std::make_shared<AffineGame>(load_affine_game(p.file, regularizer));
    } catch (const InputError& e) {
      throw located_error(config, std::string("problem.file: ") + e.what());
    }
  }
  if (contains(kProblemTypes, p.type))
    throw located_error(config, "problem.type: \"" + p.type +
                                    "\" is not an affine game; accepted here: quadratic, "
                                    "bilinear, file");
  throw located_error(config,
                      "problem.type: unknown \"" + p.type + "\"; accepted: " + join(kProblemTypes));
}

std::unique_ptr<StepRule> build_step(const RunConfig& config) {
  const StepConfig& s = config.step;
  if (s.players.empty() && s.scale == 1.0) return make_step_rule(s.rule);
  std::vector<BlockwiseStep::Part> parts;
  for (const PlayerStep& p : s.players)
    parts.push_back({{p.player}, make_step_rule(p.rule), p.scale});
  parts.push_back({{}, make_step_rule(s.rule), s.scale});  // every other player
  return std::make_unique<BlockwiseStep>(std::move(parts));
}

Settings to_settings(const RunConfig& config) {
  Settings s;
  auto num = [](double v) { return format_number(v); };
  auto integer = [](std::int64_t v) { return std::to_string(v); };
  s["source"] = config.source;
  const ProblemSpec& p = config.problem;
  s["problem.type"] = p.type;
  if (p.type == "quadratic") {
    const QuadraticGameOptions& q = p.quadratic;
    s["problem.samples"] = integer(q.samples);
    s["problem.dimension"] = integer(q.dimension);
    s["problem.mu"] = num(q.mu);
    s["problem.ell"] = num(q.ell);
    s["problem.noise"] = num(q.noise);
    s["problem.offset_noise"] = num(q.offset_noise);
    s["problem.heavy_scale"] = num(q.heavy_scale);
    s["problem.seed"] = std::to_string(q.seed);
  } else if (p.type == "bilinear") {
    const BilinearGameOptions& b = p.bilinear;
    s["problem.samples"] = integer(b.samples);
    s["problem.dimension"] = integer(b.dimension);
    s["problem.mu"] = num(b.mu);
    s["problem.coupling"] = num(b.coupling);
    s["problem.noise"] = num(b.noise);
    s["problem.offset_noise"] = num(b.offset_noise);
    s["problem.seed"] = std::to_string(b.seed);
  } else if (p.type == "dirac-gan") {
    s["problem.r1"] = num(p.dirac.r1);
    s["problem.theta0"] = num(p.dirac.theta0);
    s["problem.psi0"] = num(p.dirac.psi0);
  } else if (p.type == "gaussian-gan") {
    const GaussianGanOptions& g = p.gaussian;
    s["problem.dimension"] = integer(g.dimension);
    s["problem.samples"] = integer(g.samples);
    s["problem.batch"] = integer(g.batch);
    s["problem.lambda"] = num(g.lambda);
    s["problem.exact_moments"] = g.exact_moments ? "true" : "false";
    s["problem.seed"] = std::to_string(g.seed);
  } else if (p.type == "mlp-gan") {
    const MlpGanOptions& m = p.mlp;
    s["problem.modes"] = integer(m.modes);
    s["problem.radius"] = num(m.radius);
    s["problem.std"] = num(m.std);
    s["problem.samples"] = integer(m.samples);
    s["problem.batch"] = integer(m.batch);
    s["problem.noise_dimension"] = integer(m.noise_dimension);
    s["problem.generator_width"] = integer(m.generator_width);
    s["problem.generator_depth"] = integer(m.generator_depth);
    s["problem.discriminator_width"] = integer(m.discriminator_width);
    s["problem.discriminator_depth"] = integer(m.discriminator_depth);
    s["problem.generator_activation"] = m.generator_activation;
    s["problem.discriminator_activation"] = m.discriminator_activation;
    s["problem.loss"] = m.loss;
    s["problem.eval_samples"] = integer(m.eval_samples);
    s["problem.mode_threshold"] = num(m.mode_threshold);
    s["problem.seed"] = std::to_string(m.seed);
  } else {
    s["problem.file"] = p.file;
  }
  const RegularizerOptions& r = config.regularizer;
  s["regularizer.type"] = r.type;
  for (const auto& key : regularizer_keys(r.type)) {
    if (key == "lambda") s["regularizer.lambda"] = num(r.lambda);
    if (key == "radius") s["regularizer.radius"] = num(r.radius);
    if (key == "lower") s["regularizer.lower"] = num(r.lower);
    if (key == "upper") s["regularizer.upper"] = num(r.upper);
  }
  const EstimatorOptions& e = config.estimator;
  for (const auto& key : keys_of("method")) {
    if (!method_key_problem(key, e).empty()) continue;
    std::string& value = s["method." + key];
    if (key == "name") value = e.method;
    if (key == "sampling") value = e.sampling;
    if (key == "batch_size") value = integer(e.batch_size);
    if (key == "probability") value = e.probability > 0.0 ? num(e.probability) : "default";
    if (key == "workers") value = integer(e.workers);
    if (key == "local") value = e.local;
    if (key == "compressor") value = e.compressor.type;
    if (key == "k") value = integer(e.compressor.k);
    if (key == "levels") value = integer(e.compressor.levels);
    if (key == "alpha") value = e.alpha > 0.0 ? num(e.alpha) : "default";
  }
  const SolverOptions& o = config.solver;
  s["run.iterations"] = integer(o.max_iterations);
  s["run.max_oracle_calls"] = integer(o.max_oracle_calls);
  s["run.max_time"] = num(o.max_time_seconds);
  s["run.tolerance"] = num(o.tolerance);
  s["run.residual_tolerance"] = num(o.residual_tolerance);
  s["run.log_every"] = integer(o.effective_log_every());
  s["run.step_schedule"] = o.step_size.rule;
  s["run.step_size"] = o.step_size.rule == "constant" ? num(o.step_size.gamma) : "theory";
  s["run.step_factor"] = num(o.step_size.factor);
  s["run.seed"] = std::to_string(o.seed);
  s["run.output"] = config.output;
  s["run.checkpoint_every"] = integer(o.checkpoint_every);
  s["run.checkpoint_seconds"] = num(o.checkpoint_seconds);
  s["run.skip_non_finite"] = o.skip_non_finite ? "true" : "false";
  s["run.scheme"] = o.scheme;
  s["run.averaging"] = o.averaging;
  if (o.averaging == "ema") s["run.ema_decay"] = num(o.ema_decay);
  auto step = [&](const std::string& table, const StepRuleOptions& r, double scale) {
    s[table + ".rule"] = r.rule;
    if (scale != 1.0) s[table + ".scale"] = num(scale);
    for (const auto& [key, value] : {std::pair<const char*, double>{"momentum", r.momentum},
                                     {"beta1", r.beta1},
                                     {"beta2", r.beta2},
                                     {"epsilon", r.epsilon},
                                     {"weight_decay", r.weight_decay}})
      if (step_key_problem(key, r.rule).empty()) s[table + "." + key] = num(value);
  };
  step("step", config.step.rule, config.step.scale);
  for (const PlayerStep& p : config.step.players) step("step." + p.player, p.rule, p.scale);
  return s;
}

std::string to_toml(const RunConfig& config) {
  // From the settings, so every field has one spelling; values that are numbers or booleans
  // stay bare, everything else is quoted. Paths become absolute: the text may be read elsewhere.
  static const Keys kStrings = {"problem.type",      "problem.file",      "regularizer.type",
                                "method.name",       "method.sampling",   "method.local",
                                "method.compressor", "run.step_schedule", "run.output"};
  Settings settings = to_settings(config);
  if (!settings["problem.file"].empty())
    settings["problem.file"] = std::filesystem::absolute(settings["problem.file"]).string();
  if (!settings["run.output"].empty())
    settings["run.output"] = std::filesystem::absolute(settings["run.output"]).string();
  auto bare = [](const std::string& value) {
    if (value == "true" || value == "false") return true;
    double number;
    const auto end = value.data() + value.size();
    const auto result = std::from_chars(value.data(), end, number);
    return !value.empty() && result.ec == std::errc() && result.ptr == end;
  };
  auto quoted = [](const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) {  // TOML strings hold control characters as escapes
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\u%04x", byte);
        out += escape;
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  };
  std::string text;
  for (const std::string& table : kTables) {
    text += "[" + table + "]\n";
    for (const auto& [key, value] : settings) {
      if (key.rfind(table + ".", 0) != 0 || value == "default") continue;
      if (key == "problem.file" && value.empty()) continue;
      if (key == "run.output" && value.empty()) continue;
      const bool as_string = contains(kStrings, key) || !bare(value);
      // A number written as an integer reads back as a TOML integer: "-0" would lose its sign,
      // and a double beyond int64 ("19223372036854775808", shortest form of 1.92e19) would not
      // read back at all. Written as floats they keep their value.
      std::string bare_value = value;
      if (value.find_first_not_of("-0123456789") == std::string::npos) {
        std::int64_t integer = 0;
        const auto parsed = std::from_chars(value.data(), value.data() + value.size(), integer);
        if (value == "-0" || parsed.ec == std::errc::result_out_of_range) bare_value += ".0";
      }
      text +=
          key.substr(table.size() + 1) + " = " + (as_string ? quoted(value) : bare_value) + "\n";
    }
  }
  return text;
}

}  // namespace sgda
