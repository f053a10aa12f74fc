// CSV reading and writing for the command-line client: RFC 4180 quoting, ';' or ',' separators
// (Dutch spreadsheet exports use ';'), an optional UTF-8 byte-order mark and CRLF line ends.
//
// Records keep the line on which they start, so an error can point at the row a user sees in an
// editor or spreadsheet (the header is line 1). Pure functions; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inburgering::cli {

struct CsvRecord {
  int64_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

struct CsvDocument {
  char separator = ',';
  std::vector<std::string> header;  // trimmed column names
  std::vector<CsvRecord> rows;      // data records; blank lines are skipped
};

// The separator of `text`: ';' or ',' (or a tab), whichever occurs most often outside quotes in
// the first line; ',' when none occurs.
char DetectSeparator(absl::string_view text);

// Parses `text` (header first). `separator` 0 means detect. INVALID_ARGUMENT naming the line on an
// unterminated quote, a stray quote inside an unquoted field, or an empty document.
absl::StatusOr<CsvDocument> ParseCsv(absl::string_view text, char separator = 0);

// One field, quoted when it contains the separator, a quote, CR or LF, or starts with a space.
std::string CsvField(absl::string_view value, char separator);
// A full line (with "\n") of fields.
std::string CsvLine(const std::vector<std::string>& fields, char separator);

}  // namespace inburgering::cli
