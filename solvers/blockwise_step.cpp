#include "sgda/steps/blockwise_step.hpp"

#include <algorithm>
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

void BlockwiseStep::bind(const Problem& problem, const std::vector<Block>& blocks) {
  auto named = [&](const std::string& name) {
    for (const Part& p : parts_)
      if (std::find(p.blocks.begin(), p.blocks.end(), name) != p.blocks.end()) return true;
    return false;
  };
  std::string accepted;
  for (const Block& b : blocks) accepted += (accepted.empty() ? "" : ", ") + b.name;
  for (Part& part : parts_) {
    std::vector<Block> mine;
    for (const std::string& name : part.blocks) {
      const auto it = std::find_if(blocks.begin(), blocks.end(),
                                   [&](const Block& b) { return b.name == name; });
      if (it == blocks.end())
        throw InputError("step." + name + ": the problem has no player \"" + name +
                         "\"; accepted: " + accepted);
      mine.push_back(*it);
    }
    if (part.blocks.empty())
      for (const Block& b : blocks)
        if (!named(b.name)) mine.push_back(b);
    part.rule->bind(problem, mine);
  }
}

void BlockwiseStep::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                         const Block* only) {
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
