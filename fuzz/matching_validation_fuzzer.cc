// libFuzzer target: matching-service's request validation (matching-service/validation.h). The
// first byte picks the request type, the rest is that request in protobuf's wire format (seeds:
// text protos in fuzz/seeds/matching_validation/, encoded by scripts/fuzz.sh).
//
// Invariants besides those of fuzz::FuzzRequestValidation: an accepted werkplek lies in the
// caller's region, with distinct dagdelen and a real open_from; an accepted page and limit are in
// range; an accepted placement date is not after today and is the date the client sent.
#include <cstddef>
#include <cstdint>
#include <set>

#include "common/dates.h"
#include "fuzz/fuzz_checks.h"
#include "matching-service/validation.h"

namespace inburgering::matching {
namespace {

using fuzz::Require;

constexpr absl::CivilDay kToday(2025, 6, 16);

// The caller's region: Haaglanden, as in config/dev/matching.json.
bool InHaaglanden(const std::string& gemeente) {
  return gemeente == "GM0603" || gemeente == "GM0518" || gemeente == "GM0503";
}

absl::Status CheckWerkplek(const v1::Werkplek& w) {
  RETURN_IF_ERROR(ValidateWerkplek(w, InHaaglanden));
  Require(InHaaglanden(w.gemeente()), "an accepted werkplek lies outside the region");
  Require(std::set<int>(w.dagdelen().begin(), w.dagdelen().end()).size() ==
              static_cast<size_t>(w.dagdelen_size()),
          "an accepted werkplek repeats a dagdeel");
  Require(ParseDate("open_from", w.open_from()).ok(), "an accepted open_from is not a date");
  return absl::OkStatus();
}

const std::vector<fuzz::RequestSurface>& Surfaces() {
  static const auto* surfaces = new std::vector<fuzz::RequestSurface>([] {
    std::vector<fuzz::RequestSurface> s;
    s.push_back(fuzz::Surface<v1::RegisterWerkplekRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateRequestId(r.request_id()));
      return CheckWerkplek(r.werkplek());
    }));
    s.push_back(fuzz::Surface<v1::UpdateWerkplekRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateUpdateWerkplekRequest(r));
      // The handler validates the werkplek the mask makes; the full one stands in for it here.
      return CheckWerkplek(r.werkplek());
    }));
    s.push_back(fuzz::Surface<v1::GetWerkplekRequest>(
        [](const auto& r) { return ValidateRecordId("id", r.id()); }));
    s.push_back(fuzz::Surface<v1::ListWerkplekkenRequest>([](const auto& r) {
      ASSIGN_OR_RETURN(const WerkplekPage page, ValidateListWerkplekkenRequest(r));
      Require(page.limit >= 1 && page.limit <= 500, "an accepted page size is out of range");
      Require(page.after >= 0 && (page.after > 0) == !r.page_token().empty(),
              "an accepted page token does not give a position");
      return absl::OkStatus();
    }));
    s.push_back(fuzz::Surface<v1::RecommendWerkplekkenRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateRecordId("statushouder_id", r.statushouder_id()));
      ASSIGN_OR_RETURN(const int limit, ValidateLimit(r.limit()));
      Require(limit >= 1 && limit <= 100, "an accepted limit is out of range");
      return absl::OkStatus();
    }));
    s.push_back(fuzz::Surface<v1::RecommendKandidatenRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateRecordId("werkplek_id", r.werkplek_id()));
      return ValidateLimit(r.limit()).status();
    }));
    s.push_back(fuzz::Surface<v1::CreatePlacementRequest>(
        [](const auto& r) { return ValidateCreatePlacementRequest(r); }));
    s.push_back(fuzz::Surface<v1::UpdatePlacementRequest>([](const auto& r) {
      ASSIGN_OR_RETURN(const absl::CivilDay date, ValidateUpdatePlacementRequest(r, kToday));
      Require(date <= kToday, "an accepted placement date lies in the future");
      Require(FormatDate(date) == r.date(), "an accepted placement date is not the one sent");
      return absl::OkStatus();
    }));
    return s;
  }());
  return *surfaces;
}

}  // namespace
}  // namespace inburgering::matching

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inburgering::fuzz::FuzzRequestValidation(inburgering::matching::Surfaces(), data, size);
}
