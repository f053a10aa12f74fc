// libFuzzer target: reporting-service's request validation, the scope (gemeente or region, against
// the configured regions) and the period (reporting-service/reporting_service.h). The first byte
// picks the request type, the rest is that request in protobuf's wire format (seeds: text protos
// in fuzz/seeds/reporting_validation/, encoded by scripts/fuzz.sh).
//
// Invariants besides those of fuzz::FuzzRequestValidation: an accepted gemeente report has the one
// column of that configured gemeente, a regional one a column per gemeente of the region and a
// total over exactly those; an accepted period is whole months, from before to, not beyond the
// data, and its months are those the client sent.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_checks.h"
#include "google/protobuf/text_format.h"
#include "reporting-service/reporting_service.h"

namespace inburgering::reporting {
namespace {

using fuzz::Require;

constexpr absl::CivilDay kToday(2025, 6, 16);

// The regions of config/dev/reporting.json.
const config::v1::Regions& Regions() {
  static const auto* regions = [] {
    auto* r = new config::v1::Regions;
    const bool parsed = google::protobuf::TextFormat::ParseFromString(
        R"pb(gemeenten { code: "GM0603" name: "Rijswijk" }
             gemeenten { code: "GM0518" name: "'s-Gravenhage" }
             gemeenten { code: "GM0503" name: "Delft" }
             regions {
               id: "haaglanden"
               name: "Haaglanden"
               gemeenten: [ "GM0603", "GM0518", "GM0503" ]
             })pb",
        r);
    Require(parsed, "the fuzz target's regions do not parse");
    return r;
  }();
  return *regions;
}

absl::Status CheckReport(const std::string& scope, bool regional, const v1::Period& period) {
  ASSIGN_OR_RETURN(const std::vector<ReportColumn> columns,
                   ReportColumns(Regions(), scope, regional));
  ASSIGN_OR_RETURN(const MonthRange months, ValidatePeriod(period, kToday));
  if (regional) {
    Require(columns.size() >= 2 && columns.back().key == "totaal", "a region without its total");
    std::vector<std::string> gemeenten;
    for (size_t c = 0; c + 1 < columns.size(); ++c) {
      Require(columns[c].gemeenten == std::vector<std::string>{columns[c].key},
              "a gemeente column sums other gemeenten");
      gemeenten.push_back(columns[c].key);
    }
    Require(columns.back().gemeenten == gemeenten, "the total is not over the region's gemeenten");
  } else {
    Require(columns.size() == 1 && columns[0].key == scope && IsGemeenteCode(scope),
            "a gemeente report is not about that gemeente");
  }
  Require(months.from.size() == 7 && months.to.size() == 7 && months.from < months.to,
          "accepted months are not an ascending YYYY-MM pair");
  Require(period.from() == months.from + "-01" && period.to() == months.to + "-01",
          "accepted months are not the ones sent");
  Require(months.from <= "2025-06" && months.to <= "2025-07",
          "an accepted period reaches beyond the data (kToday's next month)");
  return absl::OkStatus();
}

const std::vector<fuzz::RequestSurface>& Surfaces() {
  static const auto* surfaces = new std::vector<fuzz::RequestSurface>([] {
    std::vector<fuzz::RequestSurface> s;
    s.push_back(fuzz::Surface<v1::GetGemeenteReportRequest>(
        [](const auto& r) { return CheckReport(r.gemeente(), false, r.period()); }));
    s.push_back(fuzz::Surface<v1::GetRegionalReportRequest>(
        [](const auto& r) { return CheckReport(r.region(), true, r.period()); }));
    s.push_back(fuzz::Surface<v1::ExportReportRequest>([](const auto& r) {
      RETURN_IF_ERROR(ValidateExportRequest(r));
      const bool regional = r.scope_case() == v1::ExportReportRequest::kRegion;
      return CheckReport(regional ? r.region() : r.gemeente(), regional, r.period());
    }));
    return s;
  }());
  return *surfaces;
}

}  // namespace
}  // namespace inburgering::reporting

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return inburgering::fuzz::FuzzRequestValidation(inburgering::reporting::Surfaces(), data, size);
}
