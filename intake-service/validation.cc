#include "intake-service/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace inburgering::intake {
namespace {

constexpr size_t kMaxNameLength = 200;

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + extra >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::Status ValidateText(absl::string_view field, absl::string_view value, bool required) {
  if (required && value.empty()) return InvalidField(field, "is required");
  if (value.size() > kMaxNameLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxNameLength, " bytes"));
  }
  if (!IsValidUtf8(value)) return InvalidField(field, "must be valid UTF-8");
  return absl::OkStatus();
}

}  // namespace

bool IsValidBsn(absl::string_view bsn) {
  if (bsn.size() != 9) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(bsn[i]))) return false;
    const int digit = bsn[i] - '0';
    sum += (i < 8 ? (9 - i) : -1) * digit;
  }
  return sum % 11 == 0 && bsn != "000000000";
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.empty() || request_id.size() > 64) {
    return InvalidField("request_id", "1 to 64 characters");
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return InvalidField("request_id", "printable ASCII only");
  }
  return absl::OkStatus();
}

absl::Status ValidateNewStatushouder(const v1::Statushouder& s, absl::CivilDay today) {
  if (!IsValidBsn(s.bsn())) return InvalidField("statushouder.bsn", "must be 9 digits passing the 11-proef");
  RETURN_IF_ERROR(ValidateText("statushouder.given_names", s.given_names(), false));
  RETURN_IF_ERROR(ValidateText("statushouder.family_name", s.family_name(), true));
  RETURN_IF_ERROR(ValidateText("statushouder.azc_location", s.azc_location(), false));
  if (s.birth_date().empty()) return InvalidField("statushouder.birth_date", "is required");
  auto birth = ParseDate("statushouder.birth_date", s.birth_date());
  if (!birth.ok()) return birth.status();
  if (*birth > today) return InvalidField("statushouder.birth_date", "must not be in the future");
  if (!v1::Gender_IsValid(s.gender())) return InvalidField("statushouder.gender", "unknown value");
  if (s.type() == v1::STATUSHOUDER_TYPE_UNSPECIFIED || !v1::StatushouderType_IsValid(s.type())) {
    return InvalidField("statushouder.type", "must be ASIELSTATUSHOUDER, GEZINSMIGRANT or OVERIG");
  }
  if (s.country_of_origin().size() != 2 || !absl::ascii_isupper(s.country_of_origin()[0]) ||
      !absl::ascii_isupper(s.country_of_origin()[1])) {
    return InvalidField("statushouder.country_of_origin", "must be an ISO 3166-1 alpha-2 code");
  }
  if (!s.vestigingsdatum().empty()) {
    auto vestiging = ParseDate("statushouder.vestigingsdatum", s.vestigingsdatum());
    if (!vestiging.ok()) return vestiging.status();
    if (*vestiging < *birth) {
      return InvalidField("statushouder.vestigingsdatum", "must not be before birth_date");
    }
    if (*vestiging > today + 366) {
      return InvalidField("statushouder.vestigingsdatum", "at most a year ahead");
    }
  }
  return absl::OkStatus();
}

}  // namespace inburgering::intake
