// The report in three forms: one self-contained HTML page (inline SVG plots, no network), and
// the same tables as CSV and JSON. Columns and fields: docs/reports.md.
#pragma once

#include <string>
#include <vector>

#include "sgda/report/analysis.hpp"

namespace sgda {

// The documents as text.
std::string html_report(const std::vector<ExperimentReport>& experiments);
// One row per group, every experiment in one table.
std::string csv_report(const std::vector<ExperimentReport>& experiments);
// Experiments, their constants, groups (theory, fit, verdict, cost to target) and every run.
std::string json_report(const std::vector<ExperimentReport>& experiments);

// The column names of the CSV table, in order (the HTML tables show the same quantities).
const std::vector<std::string>& report_columns();
// The same followed by one column per further trace column of the experiments (their union, in
// order of first appearance): the group's mean at its last row, named final_<column>
// (final_extra_<column> where that would repeat a name above).
std::vector<std::string> report_columns(const std::vector<ExperimentReport>& experiments);

// Writes `text` to `path` atomically (a temporary renamed into place). Throws InputError naming
// the path when it cannot be written.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace sgda
