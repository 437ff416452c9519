#include "sgda/problem.hpp"

#include "sgda/block_regularizer.hpp"

#include <algorithm>
#include <limits>

namespace sgda {

Problem::Problem() : Problem(nullptr) {}

Problem::Problem(std::shared_ptr<const Regularizer> regularizer) {
  set_regularizer(std::move(regularizer));
}

void Problem::set_regularizer(std::shared_ptr<const Regularizer> regularizer) {
  regularizer_ = regularizer ? std::move(regularizer) : make_regularizer(RegularizerOptions{});
}

void Problem::sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                         VectorRef workspace) const {
  // g = Σ_{(i, w) drawn} w F_i(x), first term in place (the order of the sums is the results').
  sample(draw.indices[0], x, out);
  if (draw.weights[0] != 1.0) out *= draw.weights[0];
  for (std::size_t k = 1; k < draw.indices.size(); ++k) {
    sample(draw.indices[k], x, workspace);
    out += draw.weights[k] * workspace;
  }
}

void Problem::sample_difference(Index i, ConstVectorRef x, ConstVectorRef w, VectorRef out,
                                VectorRef workspace) const {
  sample(i, x, out);
  sample(i, w, workspace);
  out -= workspace;
}

void Problem::full(ConstVectorRef x, VectorRef out) const {
  // Generic finite sum; problems with structure (affine games) override this.
  const Index n = num_samples();
  out.setZero();
  Vector term(dim());
  for (Index i = 0; i < n; ++i) {
    sample(i, x, term);
    out += term;
  }
  out /= static_cast<double>(n);
}

double Problem::coordinate(Index j, ConstVectorRef x) const {
  if (coordinate_workspace_.size() != dim()) coordinate_workspace_.resize(dim());
  full(x, coordinate_workspace_);
  return coordinate_workspace_[j];
}

double Problem::grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                          const Vector& weights) const {
  (void)groups;
  (void)weights;
  return std::numeric_limits<double>::quiet_NaN();
}

double Problem::weighted_star_cocoercivity(const Vector& weights) const {
  std::vector<std::vector<Index>> singletons(static_cast<std::size_t>(num_samples()));
  for (Index i = 0; i < num_samples(); ++i) singletons[static_cast<std::size_t>(i)] = {i};
  return grouped_star_cocoercivity(singletons, weights);
}

namespace {

// A view of a parent problem restricted to some of its samples.
class SubsetProblem final : public Problem {
 public:
  SubsetProblem(const Problem& parent, std::vector<Index> samples)
      : Problem(parent.shared_regularizer()), parent_(parent), samples_(std::move(samples)) {}
  std::string name() const override { return parent_.name() + "[subset]"; }
  Index dim() const override { return parent_.dim(); }
  Index num_samples() const override { return static_cast<Index>(samples_.size()); }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override {
    parent_.sample(samples_[static_cast<std::size_t>(i)], x, out);
  }
  std::vector<Block> blocks() const override { return parent_.blocks(); }
  Vector initial_point() const override { return parent_.initial_point(); }
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override {
    return parent_.metrics(x);
  }

 private:
  const Problem& parent_;
  std::vector<Index> samples_;
};

}  // namespace

std::unique_ptr<Problem> Problem::subproblem(const std::vector<Index>& samples) const {
  return std::make_unique<SubsetProblem>(*this, samples);
}

std::string player_name(const std::string& block_name) {
  return block_name.substr(0, block_name.find('.'));
}

std::vector<Player> players_of(const std::vector<Block>& blocks) {
  std::vector<Player> players;
  for (const Block& b : blocks) {
    const std::string name = player_name(b.name);
    auto owner = std::find_if(players.begin(), players.end(),
                              [&](const Player& p) { return p.name == name; });
    if (owner == players.end()) owner = players.insert(players.end(), Player{name, {}});
    owner->blocks.push_back(b);
  }
  return players;
}

bool covers(const std::vector<Block>& blocks, Index dim) {
  Index end = 0;  // blocks are in order and do not overlap
  for (const Block& b : blocks) {
    if (b.offset != end) return false;
    end += b.size;
  }
  return end == dim;
}

void prox_blocks(const Problem& problem, const std::vector<Block>& blocks, double gamma,
                 VectorRef x) {
  const Regularizer& regularizer = problem.regularizer();
  if (regularizer.is_zero()) return;
  if (regularizer.separable() && covers(blocks, x.size())) return regularizer.prox(gamma, x);
  const auto* by_block = dynamic_cast<const BlockRegularizer*>(&regularizer);
  for (const Block& block : blocks)
    prox_of_block(regularizer, by_block, gamma, block, x.segment(block.offset, block.size));
}

double natural_residual_sq(const Problem& problem, ConstVectorRef x, VectorRef workspace) {
  problem.full(x, workspace);
  workspace = x - workspace;  // x − F(x), elementwise: no aliasing issue
  if (!problem.regularizer().is_zero()) prox_blocks(problem, problem.blocks(), 1.0, workspace);
  return (x - workspace).squaredNorm();
}

}  // namespace sgda
