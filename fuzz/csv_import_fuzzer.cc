// libFuzzer target: the CSV reader and the statushouders CSV of the bulk import (cli/csv.h,
// cli/statushouder_csv.h). The input is a file's bytes (seeds: fuzz/seeds/csv_import/).
//
// Invariants besides "no crash, no sanitizer report": the reader returns no more text than it
// read, rows in line order and no blank rows, and what it returns is written and read back the
// same (CsvLine then ParseCsv); errors and rejected rows never repeat a BSN from the file; a
// mapped statushouder's BSN passes intake-service's 11-proef too, and its BSN and names are cells
// of its own row.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/csv.h"
#include "cli/statushouder_csv.h"
#include "fuzz/fuzz_checks.h"
#include "intake-service/validation.h"

namespace inburgering::cli {
namespace {

using fuzz::Require;

bool IsCellOf(const CsvRecord& record, const std::string& value) {
  if (value.empty()) return true;
  return std::any_of(record.fields.begin(), record.fields.end(),
                     [&](const std::string& f) { return absl::StripAsciiWhitespace(f) == value; });
}

void CheckDocument(absl::string_view text, const CsvDocument& doc) {
  size_t returned = 0, line_ends = 0;
  for (const std::string& name : doc.header) returned += name.size();
  for (char c : text) line_ends += c == '\n' || c == '\r';
  int64_t previous_line = 0;
  for (const CsvRecord& row : doc.rows) {
    for (const std::string& f : row.fields) returned += f.size();
    Require(row.line > previous_line && row.line <= static_cast<int64_t>(line_ends) + 1,
            "rows are not in line order within the file");
    previous_line = row.line;
    Require(
        std::any_of(row.fields.begin(), row.fields.end(),
                    [](const std::string& f) { return !absl::StripAsciiWhitespace(f).empty(); }),
        "a blank row is returned");
  }
  Require(returned <= text.size(), "the reader returned more text than it read");

  std::string written = CsvLine(doc.header, doc.separator);
  for (const CsvRecord& row : doc.rows) written += CsvLine(row.fields, doc.separator);
  absl::StatusOr<CsvDocument> again = ParseCsv(written, doc.separator);
  Require(again.ok(), "a written document does not read back:", again.status().ToString());
  Require(again->header == doc.header, "the header changed when written and read back");
  Require(again->rows.size() == doc.rows.size(), "rows changed when written and read back");
  for (size_t r = 0; r < doc.rows.size(); ++r) {
    Require(again->rows[r].fields == doc.rows[r].fields,
            "a row changed when written and read back");
  }
}

void CheckStatushouders(const std::vector<std::string>& inputs, const CsvDocument& doc) {
  absl::StatusOr<StatushouderCsv> csv = StatushouderCsv::ForHeader(doc.header);
  if (!csv.ok()) {
    fuzz::RequireCleanError(csv.status(), absl::StatusCode::kInvalidArgument, inputs);
    return;
  }
  for (const CsvRecord& row : doc.rows) {
    std::variant<v1::Statushouder, RowReject> mapped = csv->Map(row);
    if (const RowReject* reject = std::get_if<RowReject>(&mapped)) {
      Require(reject->row == row.line, "a rejected row names another line");
      fuzz::RequireCleanError(
          absl::InvalidArgumentError(absl::StrCat(reject->field, ": ", reject->reason)),
          absl::StatusCode::kInvalidArgument, inputs);
      continue;
    }
    const v1::Statushouder& s = std::get<v1::Statushouder>(mapped);
    Require(intake::IsValidBsn(s.bsn()), "the CLI's 11-proef accepts a BSN intake refuses");
    Require(IsCellOf(row, s.bsn()) && IsCellOf(row, s.family_name()) &&
                IsCellOf(row, s.given_names()) && IsCellOf(row, s.azc_location()),
            "a mapped statushouder holds text that is not a cell of its row");
  }
}

}  // namespace
}  // namespace inburgering::cli

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace inburgering;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> inputs = {std::string(text)};
  absl::StatusOr<cli::CsvDocument> doc = cli::ParseCsv(text);
  if (!doc.ok()) {
    fuzz::RequireCleanError(doc.status(), absl::StatusCode::kInvalidArgument, inputs);
    return 0;
  }
  cli::CheckDocument(text, *doc);
  cli::CheckStatushouders(inputs, *doc);
  return 0;
}
