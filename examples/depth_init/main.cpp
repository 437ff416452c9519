// Depth, initialization and normalization (issue 15; Sun 2019, "Optimization for deep learning:
// theory and algorithms", Sec. 4: gradient explosion and vanishing in deep plain networks).
//
// Plain ReLU MLPs 784-64-...-64-10 of depth L (L dense layers) on a Fashion-MNIST subset, for
// each initialization (naive N(0, 1), Xavier, He, orthogonal) and normalization: prints
//   * at initialization, ‖∂L/∂W_l‖ per layer on the first `--batch` training images: the first
//     and last layer's, the spread max/min over the layers, and ‖∂L/∂W_1‖ relative to depth 2;
//   * after a fixed budget (SGD with momentum 0.9 at --step, batches of 64, --epochs shuffled
//     epochs): the training loss, the test accuracy, or "diverged" at a non-finite step.
// With --csv FILE every layer's norm is written too (depth, init, normalization, layer, norm).
//
// What it measured: README.md ("The seed papers' findings on ReLU networks").
//
//   sgda_depth_init [--depths 2,5,10,20,50] [--samples 4000] [--epochs 3] [--step 0.01]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <sgda/sgda.hpp>

namespace {

struct DepthSettings {
  std::vector<int> depths{2, 5, 10, 20, 50};
  sgda::Index samples = 4000;
  sgda::Index batch = 256;  // images for the gradient norms at initialization
  double epochs = 3;
  double step = 0.01;
  std::string csv;
};

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

DepthSettings parse(int argc, char** argv) {
  DepthSettings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--depths")
      s.depths = parse_list(value);
    else if (key == "--samples")
      s.samples = std::stol(value);
    else if (key == "--batch")
      s.batch = std::stol(value);
    else if (key == "--epochs")
      s.epochs = std::stod(value);
    else if (key == "--step")
      s.step = std::stod(value);
    else if (key == "--csv")
      s.csv = value;
    else
      throw sgda::InputError(key + ": unknown flag");
  }
  return s;
}

std::string hidden_of(int depth) {
  std::string hidden;
  for (int l = 1; l < depth; ++l) hidden += (hidden.empty() ? "" : ",") + std::string("64");
  return hidden;
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace sgda;
  const DepthSettings settings = parse(argc, argv);
  DataOptions data;
  data.train_samples = settings.samples;
  data.test_samples = 2000;
  const auto dataset =
      std::make_shared<const Dataset>(load_dataset(data, TrainingTask::kClassifier));
  std::ofstream csv;
  if (!settings.csv.empty()) {
    csv.open(settings.csv);
    csv << "depth,init,normalization,layer,grad_norm\n";
  }
  std::printf(
      "| depth | init | norm. | ‖∂L/∂W_1‖ | ‖∂L/∂W_L‖ | max/min over layers | train loss | "
      "test acc. |\n|---|---|---|---|---|---|---|---|\n");
  const std::vector<nn::Init> inits{nn::Init::kNormal, nn::Init::kXavierNormal, nn::Init::kHeNormal,
                                    nn::Init::kOrthogonal};
  for (const nn::Normalization normalization :
       {nn::Normalization::kNone, nn::Normalization::kLayer}) {
    for (const int depth : settings.depths) {
      for (const nn::Init init : inits) {
        TrainingOptions o;
        o.hidden = hidden_of(depth);
        o.init = init;
        o.seed = 1;
        o.normalization = normalization;
        const TrainingProblem p(TrainingTask::kClassifier, o, dataset);
        const std::vector<double> norms = p.layer_gradient_norms(p.initial_point(), settings.batch);
        double low = norms.front(), high = norms.front();
        for (double n : norms) low = std::min(low, n), high = std::max(high, n);
        for (std::size_t l = 0; l < norms.size(); ++l)
          if (csv.is_open())
            csv << depth << ',' << to_string(init) << ',' << to_string(normalization) << ',' << l
                << ',' << norms[l] << '\n';

        EstimatorOptions e;
        e.sampling = SamplingType::kShuffle;
        e.batch_size = 64;
        StepRuleOptions r;
        r.rule = StepRuleType::kMomentum;
        SolverOptions s;
        const auto per_epoch = (p.num_samples() + e.batch_size - 1) / e.batch_size;
        s.max_iterations = static_cast<std::int64_t>(settings.epochs * double(per_epoch));
        s.log_every = s.max_iterations;
        s.step_size.rule = StepSizeRule::kConstant;
        s.step_size.gamma = settings.step;
        s.seed = 2;
        auto estimator = make_estimator(e, p);
        auto step = make_step_rule(r);
        const Summary summary = solve(p, *estimator, *step, s, p.initial_point());
        char trained[64];
        if (summary.reason == TerminationReason::kNonFinite) {
          std::snprintf(trained, sizeof trained, "diverged | –");
        } else {
          const auto train = p.evaluate_training(summary.x);
          const auto test = p.evaluate_test(summary.x);
          std::snprintf(trained, sizeof trained, "%.3f | %.1f %%", train.loss,
                        100.0 * test.accuracy);
        }
        std::printf("| %d | %s | %s | %.2e | %.2e | %.3g | %s |\n", depth, to_string(init).c_str(),
                    to_string(normalization).c_str(), norms.front(), norms.back(), high / low,
                    trained);
        std::fflush(stdout);
      }
    }
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "sgda_depth_init: error: " << e.what() << "\n";
  return 2;
}
