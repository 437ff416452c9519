#include "sgda/steps/fisher_step.hpp"

#include "sgda/error.hpp"

namespace sgda {

FisherStep::FisherStep(std::unique_ptr<FisherPreconditioner> preconditioner,
                       const FisherOptions& options)
    : preconditioner_(std::move(preconditioner)),
      options_(options),
      momentum_(options.momentum, false, 0.0, options.weight_decay) {}

void FisherStep::bind(const Problem& problem, const std::vector<Block>& blocks) {
  source_ = dynamic_cast<const nn::DenseBatchSource*>(&problem);
  if (!source_)
    throw InputError(FieldError{
        "StepRuleOptions::rule",
        name() + " preconditions a network's dense layers with its per-example gradients; the " +
            problem.name() + " problem has none (accepted: classifier, regression, autoencoder)"});
  source_->require_whole_batches();
  // A layer is preconditioned when both its blocks are bound, and may not be half bound.
  auto bound = [&](Index offset, Index size) {
    for (const Block& b : blocks)
      if (b.offset == offset && b.size == size) return true;
    return false;
  };
  layers_.clear();
  for (const nn::Dense& layer : source_->dense_layers()) {
    const bool weight = bound(layer.offset, layer.weight_size());
    const bool bias = bound(layer.bias_offset(), layer.outputs);
    if (weight != bias)
      throw InputError(FieldError{"StepRuleOptions::rule",
                                  name() + " moves a layer's weight and bias together; give both "
                                           "blocks of a layer the same rule"});
    if (weight) layers_.push_back(layer);
  }
  preconditioner_->bind(layers_);
  momentum_.bind(problem, blocks);
  direction_ = Vector::Zero(problem.dim());
  steps_ = 0;
}

void FisherStep::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                      const Player* only) {
  if (steps_ % options_.update_every == 0)
    preconditioner_->update(source_->last_batch(), options_.decay, steps_ == 0);
  if (steps_ % options_.refresh_every == 0) preconditioner_->refresh(options_.damping);
  direction_ = g;
  for (std::size_t l = 0; l < layers_.size(); ++l)
    preconditioner_->apply(l, nn::MatrixMap(direction_.data() + layers_[l].offset,
                                            layers_[l].outputs, layers_[l].inputs + 1));
  momentum_.step(gamma, direction_, x, next, only);
  ++steps_;
}

void FisherStep::save_state(StateArchive& out) const {
  out.put_integer("steps", steps_);
  StateArchive part;
  preconditioner_->save_state(part);
  out.put_all("fisher.", part);
  StateArchive heavy_ball;
  momentum_.save_state(heavy_ball);
  out.put_all("momentum.", heavy_ball);
}

void FisherStep::load_state(const StateArchive& in) {
  steps_ = in.integer("steps");
  preconditioner_->load_state(in.under("fisher."));
  momentum_.load_state(in.under("momentum."));
}

}  // namespace sgda
