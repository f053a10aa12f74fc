// Validation of intake input at the edge: each rule returns INVALID_ARGUMENT naming the field and
// the rule, before anything is written.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/dates.h"
#include "inburgering/v1/intake.pb.h"

namespace inburgering::intake {

// The BSN 11-proef: 9 digits d1..d9 with 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11.
bool IsValidBsn(absl::string_view bsn);

// request_id: 1..64 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view request_id);

// A new statushouder as given to RegisterStatushouder or an import row; `today` bounds dates.
absl::Status ValidateNewStatushouder(const v1::Statushouder& statushouder, absl::CivilDay today);

}  // namespace inburgering::intake
