// Validation of intake input at the edge: each rule returns INVALID_ARGUMENT naming the field and
// the rule, before anything is written. Pure functions; `today` comes from the service's Clock.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/dates.h"
#include "common/ids.h"  // ValidateRequestId, ValidateRecordId
#include "inburgering/v1/intake.pb.h"

namespace inburgering::intake {

// The BSN 11-proef: 9 digits d1..d9 with 9*d1 + 8*d2 + ... + 2*d8 - d9 divisible by 11.
bool IsValidBsn(absl::string_view bsn);

bool IsValidUtf8(absl::string_view s);

// The version an update read: at least 1.
absl::Status ValidateVersion(int64_t version);

// ISCO-08: a prior occupation is a unit group (exactly 4 digits); a wish may be any level of the
// hierarchy (1 to 4 digits: major, sub-major, minor or unit group).
absl::Status ValidateIscoUnitGroup(absl::string_view field, absl::string_view code);
absl::Status ValidateIscoWish(absl::string_view field, absl::string_view code);

// WGS84 degrees: latitude -90..90, longitude -180..180, both finite.
absl::Status ValidateGeoLocation(absl::string_view field, const v1::GeoLocation& location);

// Coded reasons ("MEDISCH", "ZIEKTE"): 1..32 of A-Z, 0-9 and '_'. Never free text.
absl::Status ValidateReasonCode(absl::string_view field, absl::string_view code);

// The profile fields a consulent or the case system may set (everything but the trajectory),
// checked against each other: names, dates, enums, ISCO codes, dagdelen, location, belemmeringen.
// Field names are prefixed with "statushouder.".
absl::Status ValidateProfile(const v1::Statushouder& statushouder, absl::CivilDay today);

// A new statushouder as given to RegisterStatushouder or an import row: BSN and the profile.
absl::Status ValidateNewStatushouder(const v1::Statushouder& statushouder, absl::CivilDay today);

// Request checks that need no stored record. Rules that depend on the record (phase, PIP,
// language level) are in trajectory.h and give FAILED_PRECONDITION.
absl::Status ValidateUpdateRequest(const v1::UpdateStatushouderRequest& request);
absl::Status ValidateBredeIntakeRequest(const v1::RecordBredeIntakeRequest& request,
                                        absl::CivilDay today);
absl::Status ValidateEstablishPipRequest(const v1::EstablishPipRequest& request,
                                         absl::CivilDay today);
absl::Status ValidateOpschortingRequest(const v1::RecordOpschortingRequest& request,
                                        absl::CivilDay today);
absl::Status ValidateLanguageLevelRequest(const v1::RecordLanguageLevelRequest& request,
                                          absl::CivilDay today);
absl::Status ValidateModuleProgressRequest(const v1::RecordModuleProgressRequest& request,
                                           absl::CivilDay today);
absl::Status ValidateChangePhaseRequest(const v1::ChangePhaseRequest& request,
                                        absl::CivilDay today);
absl::Status ValidateExtendRequest(const v1::ExtendInburgeringstermijnRequest& request);
absl::Status ValidateListRequest(const v1::ListStatushoudersRequest& request);

// The paths UpdateStatushouder may change (see intake.proto).
bool IsUpdatablePath(absl::string_view path);

}  // namespace inburgering::intake
