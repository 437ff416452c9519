// Builds components by name, so problem files and flags map onto the C++ API, and lists what
// exists with every option documented (`sgda list`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/estimators/compressor.hpp"
#include "sgda/problem.hpp"

namespace sgda {

struct EstimatorOptions {
  // sgda | l-svrgda | qsgda | diana-sgda | vr-diana-sgda | coordinate-sgda | sega-sgda
  std::string method = "sgda";
  std::string sampling = "uniform";  // sgda: uniform | nice | importance
  Index batch_size = 1;              // sgda with nice sampling: τ ∈ [1, n]
  // l-svrgda: snapshot probability p ∈ (0, 1], 0 = 1/n; vr-diana-sgda: local p, 0 = 1/m_loc.
  double probability = 0.0;
  Index workers = 1;             // distributed methods: W, must divide n
  std::string local = "exact";   // qsgda, diana-sgda: exact | sample (the local operator)
  CompressorOptions compressor;  // distributed methods
  double alpha = 0.0;            // diana-sgda, vr-diana-sgda: shift step; 0 = the default

  bool IsValid(std::string* error) const;
};

// Throws InputError naming the field when an option is unknown or out of range for `problem`.
std::unique_ptr<Estimator> make_estimator(const EstimatorOptions& options, const Problem& problem);

// One entry per name users can write: a component kind, its name, a summary and its options.
struct CatalogEntry {
  // method | sampling | compressor | problem | regularizer | step | scheme | step-size
  std::string kind;
  std::string name;
  std::string summary;
  std::vector<std::pair<std::string, std::string>> options;  // option, meaning and default
};
const std::vector<CatalogEntry>& catalog();
std::vector<std::string> names_of(const std::string& kind);

}  // namespace sgda
