#include "common/dates.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace inburgering {

absl::StatusOr<absl::CivilDay> ParseDate(absl::string_view field, absl::string_view text) {
  absl::CivilDay day;
  // ParseCivilTime accepts only the exact YYYY-MM-DD form, and normalisation would turn
  // 2024-02-30 into March: compare the round trip to reject such dates.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatDate(day) != text ||
      day.year() < 1900 || day.year() > 2199) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a real date YYYY-MM-DD"));
  }
  return day;
}

std::string FormatDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay AmsterdamToday() {
  // Looked up once: handlers ask for today on every call.
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    if (!absl::LoadTimeZone("Europe/Amsterdam", &z)) z = absl::UTCTimeZone();
    return z;
  }();
  return absl::ToCivilDay(absl::Now(), zone);
}

}  // namespace inburgering
