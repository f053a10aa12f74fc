// A Report as a file: CSV the way Dutch spreadsheet users open it (';' separated, decimal comma,
// UTF-8 with a byte-order mark so Excel detects the encoding, suppressed cells as "x" like CBS
// tables) or JSON (protobuf's canonical JSON mapping). Pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "inburgering/v1/reporting.pb.h"

namespace inburgering::reporting {

// Header: Tabel;Regel;<column labels>; then one line per row of every table.
std::string ReportToCsv(const v1::Report& report);
absl::StatusOr<std::string> ReportToJson(const v1::Report& report);

}  // namespace inburgering::reporting
