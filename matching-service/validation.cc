#include "matching-service/validation.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/dates.h"
#include "common/ids.h"
#include "common/principal.h"
#include "common/status.h"
#include "matching-service/isco.h"
#include "matching-service/matching_core.h"

namespace inburgering::matching {
namespace {

bool IsReasonCode(absl::string_view code) {
  if (code.empty() || code.size() > 40) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

absl::Status ValidateVersion(int64_t version) {
  if (version <= 0) return InvalidField("version", "the version you read, >= 1");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> ValidateLimit(int requested) {
  if (requested < 0 || requested > 100) return InvalidField("limit", "0 (default 10) to 100");
  return requested == 0 ? 10 : requested;
}

absl::Status ValidateWerkplek(const v1::Werkplek& w,
                              const std::function<bool(const std::string&)>& in_region) {
  if (w.employer().empty() || w.employer().size() > 200) {
    return InvalidField("werkplek.employer", "1 to 200 characters");
  }
  if (!IsGemeenteCode(w.gemeente()) || !in_region(w.gemeente())) {
    return InvalidField("werkplek.gemeente", "must be the CBS code of a gemeente of the region");
  }
  if (!w.has_location()) return InvalidField("werkplek.location", "required");
  const double lat = w.location().latitude(), lon = w.location().longitude();
  if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) || (lat == 0 && lon == 0)) {
    return InvalidField("werkplek.location", "latitude -90..90 and longitude -180..180, not 0,0");
  }
  if (!v1::WerkplekType_IsValid(w.type()) || w.type() == v1::WERKPLEK_TYPE_UNSPECIFIED) {
    return InvalidField("werkplek.type", "required, one of the WerkplekType values");
  }
  if (w.occupation_isco().size() != 4 || !IsIscoCode(w.occupation_isco())) {
    return InvalidField("werkplek.occupation_isco", "an ISCO-08 unit group of 4 digits");
  }
  if (w.title().size() > 200) return InvalidField("werkplek.title", "at most 200 characters");
  if (!v1::CefrLevel_IsValid(w.min_language_level()) ||
      w.min_language_level() == v1::CEFR_LEVEL_UNSPECIFIED) {
    return InvalidField("werkplek.min_language_level", "required, A0 to C2");
  }
  if (w.talende_omgeving().dutch_contact_hours() < 0 ||
      w.talende_omgeving().dutch_contact_hours() > 60) {
    return InvalidField("werkplek.talende_omgeving.dutch_contact_hours", "0 to 60");
  }
  if (w.hours_per_week() < 1 || w.hours_per_week() > 40) {
    return InvalidField("werkplek.hours_per_week", "1 to 40");
  }
  if (w.dagdelen().empty()) return InvalidField("werkplek.dagdelen", "at least one dagdeel");
  DagdeelMask seen = 0;
  for (int d : w.dagdelen()) {
    if (d < 1 || d > 21) return InvalidField("werkplek.dagdelen", "each one of the 21 dagdelen");
    if (seen & (DagdeelMask{1} << d)) return InvalidField("werkplek.dagdelen", "no duplicates");
    seen |= DagdeelMask{1} << d;
  }
  if (w.capacity() < 1 || w.capacity() > 1000) {
    return InvalidField("werkplek.capacity", "1 to 1000");
  }
  ASSIGN_OR_RETURN(absl::CivilDay from, ParseDate("werkplek.open_from", w.open_from()));
  if (!w.open_until().empty()) {
    ASSIGN_OR_RETURN(absl::CivilDay until, ParseDate("werkplek.open_until", w.open_until()));
    if (until <= from) return InvalidField("werkplek.open_until", "must be after open_from");
  }
  return absl::OkStatus();
}

bool IsUpdatableWerkplekPath(absl::string_view path) {
  static constexpr absl::string_view kPaths[] = {
      "employer",           "location",         "type",           "occupation_isco", "title",
      "min_language_level", "talende_omgeving", "hours_per_week", "dagdelen",        "capacity",
      "open_from",          "open_until"};
  return std::find(std::begin(kPaths), std::end(kPaths), path) != std::end(kPaths);
}

absl::Status ValidateUpdateWerkplekRequest(const v1::UpdateWerkplekRequest& request) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  if (request.update_mask().empty()) return InvalidField("update_mask", "at least one path");
  for (const std::string& path : request.update_mask()) {
    // The path is not repeated in the message: it is client text of any length.
    if (!IsUpdatableWerkplekPath(path)) {
      return InvalidField("update_mask", "unknown or read-only path (see UpdateWerkplekRequest)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<WerkplekPage> ValidateListWerkplekkenRequest(
    const v1::ListWerkplekkenRequest& request) {
  if (request.page_size() < 0 || request.page_size() > 500) {
    return InvalidField("page_size", "0 (default 50) to 500");
  }
  WerkplekPage page;
  page.limit = request.page_size() == 0 ? 50 : request.page_size();
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &page.after) || page.after <= 0)) {
    return InvalidField("page_token", "not a token this method returned");
  }
  if (!v1::WerkplekType_IsValid(request.type())) {
    return InvalidField("type", "one of the WerkplekType values");
  }
  if (!request.isco_prefix().empty() && !IsIscoCode(request.isco_prefix())) {
    return InvalidField("isco_prefix", "1 to 4 digits");
  }
  if (!request.gemeente().empty() && !IsGemeenteCode(request.gemeente())) {
    return InvalidField("gemeente", "a CBS code GMnnnn");
  }
  if (!v1::CefrLevel_IsValid(request.max_min_language_level())) {
    return InvalidField("max_min_language_level", "one of the CefrLevel values");
  }
  return page;
}

absl::Status ValidateCreatePlacementRequest(const v1::CreatePlacementRequest& request) {
  RETURN_IF_ERROR(ValidateRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateRecordId("statushouder_id", request.statushouder_id()));
  return ValidateRecordId("werkplek_id", request.werkplek_id());
}

absl::StatusOr<absl::CivilDay> ValidateUpdatePlacementRequest(
    const v1::UpdatePlacementRequest& request, absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateRecordId("id", request.id()));
  RETURN_IF_ERROR(ValidateVersion(request.version()));
  const v1::PlacementStatus to = request.status();
  const bool declined =
      to == v1::PLACEMENT_STATUS_AFGEWEZEN || to == v1::PLACEMENT_STATUS_INGETROKKEN;
  if (to != v1::PLACEMENT_STATUS_GESTART && to != v1::PLACEMENT_STATUS_BEEINDIGD && !declined) {
    return InvalidField("status", "GESTART, BEEINDIGD, AFGEWEZEN or INGETROKKEN");
  }
  if (declined) {
    if (request.declined_by() == v1::PLACEMENT_PARTY_UNSPECIFIED ||
        !v1::PlacementParty_IsValid(request.declined_by())) {
      return InvalidField("declined_by",
                          "required when status is AFGEWEZEN or INGETROKKEN: KANDIDAAT, "
                          "WERKGEVER or CONSULENT");
    }
    if (!IsReasonCode(request.decline_reason_code())) {
      return InvalidField("decline_reason_code",
                          "required when status is AFGEWEZEN or INGETROKKEN: 1 to 40 of A-Z, "
                          "0-9 and _");
    }
  } else if (request.declined_by() != v1::PLACEMENT_PARTY_UNSPECIFIED ||
             !request.decline_reason_code().empty()) {
    return InvalidField("declined_by", "only when status is AFGEWEZEN or INGETROKKEN");
  }
  ASSIGN_OR_RETURN(absl::CivilDay date, ParseDate("date", request.date()));
  if (date > today) return InvalidField("date", "must not be in the future");
  if (to == v1::PLACEMENT_STATUS_BEEINDIGD) {
    if (!v1::PlacementOutcome_IsValid(request.outcome()) ||
        request.outcome() == v1::PLACEMENT_OUTCOME_UNSPECIFIED) {
      return InvalidField("outcome", "required when status is BEEINDIGD");
    }
    if (request.outcome() == v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT &&
        !IsReasonCode(request.outcome_reason_code())) {
      return InvalidField("outcome_reason_code",
                          "required for NOG_NIET_IN_STAAT: 1 to 40 of A-Z, 0-9 and _");
    }
    if (request.outcome() != v1::PLACEMENT_OUTCOME_NOG_NIET_IN_STAAT &&
        !request.outcome_reason_code().empty()) {
      return InvalidField("outcome_reason_code", "only with outcome NOG_NIET_IN_STAAT");
    }
  } else if (request.outcome() != v1::PLACEMENT_OUTCOME_UNSPECIFIED ||
             !request.outcome_reason_code().empty()) {
    return InvalidField("outcome", "only when status is BEEINDIGD");
  }
  return date;
}

}  // namespace inburgering::matching
