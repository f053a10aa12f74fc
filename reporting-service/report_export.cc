#include "reporting-service/report_export.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"

namespace inburgering::reporting {
namespace {

std::string Field(const std::string& text) {
  if (text.find_first_of(";\"\n\r") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

// 12.5 -> "12,5"; whole numbers without decimals.
std::string Decimal(double value) {
  const double rounded = std::round(value * 10.0) / 10.0;
  std::string text = rounded == std::floor(rounded) ? absl::StrFormat("%.0f", rounded)
                                                    : absl::StrFormat("%.1f", rounded);
  return absl::StrReplaceAll(text, {{".", ","}});
}

std::string Cell(const v1::ReportCell& cell) {
  if (cell.suppressed()) return "x";
  switch (cell.value_case()) {
    case v1::ReportCell::kCount:
      return absl::StrCat(cell.count());
    case v1::ReportCell::kPercentage:
      return Decimal(cell.percentage());
    case v1::ReportCell::kDays:
      return Decimal(cell.days());
    default:
      return "";
  }
}

}  // namespace

std::string ReportToCsv(const v1::Report& report) {
  std::string out = "\xEF\xBB\xBF";
  std::vector<std::string> header = {"Tabel", "Regel"};
  if (report.tables_size() > 0) {
    for (const std::string& label : report.tables(0).column_labels())
      header.push_back(Field(label));
  }
  absl::StrAppend(&out, absl::StrJoin(header, ";"), "\r\n");
  for (const v1::ReportTable& table : report.tables()) {
    for (const v1::ReportRow& row : table.rows()) {
      std::vector<std::string> fields = {Field(table.title()), Field(row.label())};
      for (const v1::ReportCell& cell : row.cells()) fields.push_back(Cell(cell));
      absl::StrAppend(&out, absl::StrJoin(fields, ";"), "\r\n");
    }
  }
  return out;
}

absl::StatusOr<std::string> ReportToJson(const v1::Report& report) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  auto status = google::protobuf::util::MessageToJsonString(report, &out, options);
  if (!status.ok()) return absl::InternalError("report: cannot render as JSON");
  return out;
}

}  // namespace inburgering::reporting
