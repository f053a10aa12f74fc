// The statushouders CSV of `inburgering import statushouders` (format: docs/CLI.md): maps a row
// to a v1::Statushouder, or names the first column at fault and why.
//
// Checks what a row can be checked for without the server (required columns, dates, BSN 11-proef,
// codes), so a gemeente's nightly export gets a complete rejects file in one run. Error texts never
// contain the cell's value: it may be a BSN or a name.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/csv.h"
#include "inburgering/v1/statushouder.pb.h"

namespace inburgering::cli {

// A row the import did not apply: the CSV line, the column (or API field) and why.
struct RowReject {
  int64_t row = 0;
  std::string field;
  std::string reason;
};

// The 11-proef on a BSN: 9 digits, 9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible by 11, not all zero.
bool PassesElfproef(absl::string_view bsn);

// A date cell as the API wants it (YYYY-MM-DD); DD-MM-YYYY (Dutch spreadsheets) is converted.
absl::StatusOr<std::string> NormaliseDate(absl::string_view text);

// One column of the format: its Dutch name, the API field it fills, and whether it is required.
struct StatushouderColumn {
  const char* name;       // header in the CSV, e.g. "geboortedatum"
  const char* api_field;  // path in v1::Statushouder, e.g. "birth_date"; also accepted as header
  bool required;
  const char* format;  // for docs and help
};
const std::vector<StatushouderColumn>& StatushouderColumns();

// The CSV column for an API field path named by the server ("statushouder.birth_date" ->
// "geboortedatum"); the path itself when no column fills it.
std::string ColumnForApiField(absl::string_view api_field);

class StatushouderCsv {
 public:
  // Binds the header: INVALID_ARGUMENT on an unknown or repeated column (a typo must not silently
  // drop data) or a missing required column.
  static absl::StatusOr<StatushouderCsv> ForHeader(const std::vector<std::string>& header);

  // The statushouder of `record`, or the first problem found in it.
  std::variant<v1::Statushouder, RowReject> Map(const CsvRecord& record) const;

 private:
  std::vector<int> column_of_field_;  // index into `header` per StatushouderColumns() entry, or -1
  size_t header_size_ = 0;
};

}  // namespace inburgering::cli
