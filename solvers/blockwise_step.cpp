#include "sgda/steps/blockwise_step.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "sgda/error.hpp"

namespace sgda {

BlockwiseStep::BlockwiseStep(std::vector<Part> parts) : parts_(std::move(parts)) {}

std::string BlockwiseStep::name() const {
  std::ostringstream out;
  out << "blockwise(";
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    out << (i ? "; " : "");
    for (std::size_t b = 0; b < p.blocks.size(); ++b) out << (b ? "," : "") << p.blocks[b];
    out << (p.blocks.empty() ? "other blocks" : "") << ": " << p.rule->name();
    if (p.scale != 1.0) out << " x" << p.scale;
  }
  return out.str() + ")";
}

DefaultStepSize BlockwiseStep::default_step_size() const {
  if (parts_.empty()) return {};
  const DefaultStepSize common = parts_.front().rule->default_step_size();
  for (const Part& p : parts_) {
    const DefaultStepSize d = p.rule->default_step_size();
    const bool same_gamma =
        d.gamma == common.gamma || (std::isnan(d.gamma) && std::isnan(common.gamma));
    if (d.theory != common.theory || !same_gamma) return {};
  }
  return common;
}

void BlockwiseStep::bind(const Problem& problem, const std::vector<Block>& blocks) {
  // A part's name matches a block of that name, or every block under it ("generator" matches
  // "generator.layer0.weight"), so a network player takes one rule for all its layers.
  auto matches = [](const std::string& name, const Block& b) {
    return b.name == name || b.name.rfind(name + ".", 0) == 0;
  };
  auto named = [&](const Block& b) {
    for (const Part& p : parts_)
      for (const std::string& name : p.blocks)
        if (matches(name, b)) return true;
    return false;
  };
  std::string accepted;
  for (const Block& b : blocks) accepted += (accepted.empty() ? "" : ", ") + b.name;
  for (Part& part : parts_) {
    std::vector<Block> mine;
    for (const std::string& name : part.blocks) {
      const std::size_t before = mine.size();
      for (const Block& b : blocks)
        if (matches(name, b)) mine.push_back(b);
      if (mine.size() == before)
        throw InputError("step." + name + ": the problem has no player \"" + name +
                         "\"; accepted: " + accepted);
    }
    if (part.blocks.empty())
      for (const Block& b : blocks)
        if (!named(b)) mine.push_back(b);
    part.rule->bind(problem, mine);
  }
}

void BlockwiseStep::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                         const Player* only) {
  for (Part& part : parts_) part.rule->step(part.scale * gamma, g, x, next, only);
}

void BlockwiseStep::save_state(StateArchive& out) const {
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    StateArchive part;
    parts_[i].rule->save_state(part);
    out.put_all("part" + std::to_string(i) + ".", part);
  }
}

void BlockwiseStep::load_state(const StateArchive& in) {
  for (std::size_t i = 0; i < parts_.size(); ++i)
    parts_[i].rule->load_state(in.under("part" + std::to_string(i) + "."));
}

}  // namespace sgda
