#include <filesystem>
#include <iostream>

#include "report_commands.hpp"
#include "sgda/error.hpp"
#include "sgda/io/files.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/writers.hpp"

namespace sgda::cli {

int report_command(const ReportArgs& args) {
  namespace fs = std::filesystem;
  const fs::path html = args.output;
  if (html.extension() != ".html" && html.extension() != ".htm")
    throw InputError("--output: " + args.output +
                     " does not end in .html; accepted an .html path (the .csv and .json go "
                     "beside it)");
  fs::path csv = html, json = html;
  csv.replace_extension(".csv");
  json.replace_extension(".json");

  // Every file written, checked before any is: none may be an input, none overwritten unless
  // --force says so.
  for (const fs::path& path : {html, csv, json})
    check_output_file(path.string(), "--output", args.force, args.runs, "--force to overwrite it");
  const OutputClaim claim(html.string(), "--output");  // the three files, written by one report

  std::vector<ExperimentReport> reports;
  for (const std::string& file : args.runs)
    reports.push_back(analyse_experiment(load_experiment_runs(file), file));
  write_text_file(html.string(), html_report(reports));
  write_text_file(csv.string(), csv_report(reports));
  write_text_file(json.string(), json_report(reports));

  for (const ExperimentReport& e : reports) {
    std::size_t within = 0, broken = 0, unchecked = 0, runs = 0;
    for (const GroupSummary& g : e.groups) {
      runs += g.runs.size();
      (g.bound.checked ? (g.bound.within ? within : broken) : unchecked)++;
    }
    std::cout << e.title << ": " << e.groups.size() << " groups of " << runs << " runs; " << within
              << " within the theorem's bound, " << broken << " breaking it, " << unchecked
              << " not checked" << std::endl;
    for (const ClaimCheck& c : e.claims)
      std::cout << "  claim: " << c.claim.text << ": " << c.verdict << std::endl;
  }
  std::cout << "wrote " << html.string() << ", " << csv.string() << ", " << json.string()
            << std::endl;
  return 0;
}

}  // namespace sgda::cli
