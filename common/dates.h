// Calendar dates of the API ("YYYY-MM-DD", no time zone) as absl::CivilDay, with validation that
// names the field. "Today" comes from a Clock so tests never depend on the wall clock.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace inburgering {

// INVALID_ARGUMENT "<field>: must be a real date YYYY-MM-DD" unless `text` is one (1900..2199).
absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field, absl::string_view text);
std::string FormatDate(absl::CivilDay day);

// Today's date in Europe/Amsterdam (falls back to UTC when tzdata is missing).
using Clock = std::function<absl::CivilDay()>;
absl::CivilDay AmsterdamToday();

}  // namespace inburgering
