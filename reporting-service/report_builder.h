// Turns summed aggregate counters into the report's tables, and applies disclosure control to
// them. Pure functions (no I/O), so every rule here is unit-tested directly.
//
// Disclosure control: for a caller who does not own a column, every count below the threshold
// (zero included) is suppressed; then, until nothing changes, every additive line (the detail rows
// of a group and their total in one column; the gemeente columns and the totaal column in one
// row) with exactly one suppressed cell gets its smallest other cell suppressed too, and cells
// that hold the same figure in different tables (e.g. the population total) are suppressed
// together. Percentages and medians are suppressed with the counts they are computed from.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "inburgering/v1/reporting.pb.h"

namespace inburgering::reporting {

// Counters summed over the period: gemeente -> dimension -> value -> count.
using Figures = std::map<std::string, std::map<std::string, std::map<std::string, int64_t>>>;

struct ReportColumn {
  std::string key;                     // gemeente code, or "totaal"
  std::string label;                   // Dutch label, e.g. "Rijswijk"
  std::vector<std::string> gemeenten;  // whose figures the column sums
};

enum class RowKind { kCount, kPercentage, kDays };

struct ModelRow {
  std::string key;
  std::string label;
  RowKind kind = RowKind::kCount;
  std::vector<std::optional<double>> values;  // per column; empty optional = not applicable
  std::string link;    // rows with the same link hold the same figure (in other tables too)
  int numerator = -1;  // kPercentage: row indexes in the same table
  int denominator = -1;
  int basis = -1;  // kDays: the count row of the people behind the median
};

struct ModelTable {
  std::string key;
  std::string title;
  std::vector<ModelRow> rows;
  // Additive groups: rows[g[0]] == sum of rows[g[1..]] in every column.
  std::vector<std::vector<int>> sum_groups;
};

struct ReportModel {
  std::vector<ReportColumn> columns;
  // True when the last column is the sum of the others (regional reports).
  bool last_column_is_total = false;
  std::vector<ModelTable> tables;
};

// Builds every table of the report from `figures` for `columns`.
ReportModel BuildReportModel(const Figures& figures, std::vector<ReportColumn> columns,
                             bool last_column_is_total);

// suppressed[t][r][c] for table t, row r, column c.
using Suppression = std::vector<std::vector<std::vector<bool>>>;

// The suppression pattern for a caller who owns the columns in `owned` (indexes; the caller sees
// them unsuppressed). threshold <= 0 suppresses nothing.
Suppression Suppress(const ReportModel& model, const std::set<int>& owned, int threshold);

// The proto form; suppressed cells carry no value.
void ToProto(const ReportModel& model, const Suppression& suppression, v1::Report* report);

// Median of a histogram value -> count (values are whole days); nullopt when empty.
std::optional<double> Median(const std::map<int64_t, int64_t>& histogram);

}  // namespace inburgering::reporting
