// libFuzzer target: intake-service's request validation (intake-service/validation.h). The first
// byte picks the request type, the rest is that request in protobuf's wire format (the seeds are
// text protos in fuzz/seeds/intake_validation/, encoded by scripts/fuzz.sh).
//
// Invariants besides "no crash, no sanitizer report": those of fuzz::FuzzRequestValidation (OK or
// INVALID_ARGUMENT, deterministic, no BSN or non-ASCII in errors, accepted requests survive the
// wire), and an accepted statushouder has a BSN passing the 11-proef, a family name and a birth
// date not after today.
#include <cstddef>
#include <cstdint>

#include "common/dates.h"
#include "fuzz/fuzz_checks.h"
#include "intake-service/validation.h"

namespace inburgering::intake {
namespace {

using fuzz::Require;

// A fixed "today": results must not depend on when the fuzzer runs.
constexpr absl::CivilDay kToday(2025, 6, 16);

void RequireAcceptedStatushouder(const v1::Statushouder& s) {
  Require(IsValidBsn(s.bsn()), "an accepted statushouder has a BSN failing the 11-proef");
  absl::StatusOr<absl::CivilDay> birth = ParseDate("birth_date", s.birth_date());
  Require(birth.ok() && *birth <= kToday, "an accepted birth date is not a past date");
  Require(!s.family_name().empty(), "an accepted statushouder has no family name");
}

const std::vector<fuzz::RequestSurface>& Surfaces() {
  static const auto* surfaces = new std::vector<fuzz::RequestSurface>([] {
    std::vector<fuzz::RequestSurface> s;
    s.push_back(fuzz::Surface<v1::RegisterStatushouderRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
      RETURN_IF_ERROR(ValidateNewStatushouder(r.statushouder(), kToday));
      RequireAcceptedStatushouder(r.statushouder());
      return absl::OkStatus();
    }));
    s.push_back(fuzz::Surface<v1::GetStatushouderRequest>(
        [](const auto& r) { return ValidateRecordId("id", r.id()); }));
    s.push_back(fuzz::Surface<v1::ListStatushoudersRequest>(
        [](const auto& r) { return ValidateListRequest(r); }));
    s.push_back(fuzz::Surface<v1::UpdateStatushouderRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateUpdateRequest(r));
      // The values are checked as the profile they make (ApplyProfileUpdate does the same).
      return ValidateProfile(r.statushouder(), kToday);
    }));
    s.push_back(fuzz::Surface<v1::RecordBredeIntakeRequest>(
        [](const auto& r) { return ValidateBredeIntakeRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::EstablishPipRequest>(
        [](const auto& r) { return ValidateEstablishPipRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::RecordOpschortingRequest>(
        [](const auto& r) { return ValidateOpschortingRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::RecordLanguageLevelRequest>(
        [](const auto& r) { return ValidateLanguageLevelRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::RecordModuleProgressRequest>(
        [](const auto& r) { return ValidateModuleProgressRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::ChangePhaseRequest>(
        [](const auto& r) { return ValidateChangePhaseRequest(r, kToday); }));
    s.push_back(fuzz::Surface<v1::ExtendInburgeringstermijnRequest>(
        [](const auto& r) { return ValidateExtendRequest(r); }));
    s.push_back(fuzz::Surface<v1::ImportStatushoudersRequest>([](const auto& r) {
      // Each row as ImportBatch checks it; the batch is accepted when every row is.
      absl::Status first = absl::OkStatus();
      for (const v1::ImportRow& row : r.rows()) {
        absl::Status st = ValidateNewStatushouder(row.statushouder(), kToday);
        if (st.ok()) RequireAcceptedStatushouder(row.statushouder());
        if (first.ok()) first = st;
      }
      return first;
    }));
    return s;
  }());
  return *surfaces;
}

}  // namespace
}  // namespace inburgering::intake

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inburgering::fuzz::FuzzRequestValidation(inburgering::intake::Surfaces(), data, size);
}
