#include "gateway/access_policy.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace inburgering::gateway {
namespace {

constexpr Access D = Access::kDeny;
constexpr Access A = Access::kAllow;
constexpr Access O = Access::kOwnScope;
constexpr AuditClass N = AuditClass::kNone;
constexpr AuditClass R = AuditClass::kPersonalRead;
constexpr AuditClass W = AuditClass::kPersonalWrite;

}  // namespace

// The one place that says who may call what. Roles (DESIGN.md): consulent works on the own
// gemeente's statushouders; wsp on the region's werkplekken and placements (candidates of other
// gemeenten pseudonymised by matching); analist sees aggregated reports only; beheerder manages
// configuration and sees no personal data. An RPC missing here (StreamEvents: internal between
// services) is not reachable through the gateway.
const std::vector<PolicyRow>& PolicyMatrix() {
  // clang-format off
  static const auto* const kMatrix = new std::vector<PolicyRow>{
      // method                                                     audit con wsp ana beh
      {"inburgering.v1.IntakeService.RegisterStatushouder",         W, A, D, D, D},
      {"inburgering.v1.IntakeService.GetStatushouder",              R, A, D, D, D},
      {"inburgering.v1.IntakeService.ListStatushouders",            R, A, D, D, D},
      {"inburgering.v1.IntakeService.UpdateStatushouder",           W, A, D, D, D},
      {"inburgering.v1.IntakeService.RecordBredeIntake",            W, A, D, D, D},
      {"inburgering.v1.IntakeService.EstablishPip",                 W, A, D, D, D},
      {"inburgering.v1.IntakeService.RecordOpschorting",            W, A, D, D, D},
      {"inburgering.v1.IntakeService.RecordLanguageLevel",          W, A, D, D, D},
      {"inburgering.v1.IntakeService.RecordModuleProgress",         W, A, D, D, D},
      {"inburgering.v1.IntakeService.ChangePhase",                  W, A, D, D, D},
      {"inburgering.v1.IntakeService.ExtendInburgeringstermijn",    W, A, D, D, D},
      {"inburgering.v1.IntakeService.ImportStatushouders",          W, A, D, D, D},
      {"inburgering.v1.MatchingService.RegisterWerkplek",           N, D, A, D, D},
      {"inburgering.v1.MatchingService.UpdateWerkplek",             N, D, A, D, D},
      {"inburgering.v1.MatchingService.GetWerkplek",                N, A, A, D, D},
      {"inburgering.v1.MatchingService.ListWerkplekken",            N, A, A, D, D},
      {"inburgering.v1.MatchingService.RecommendWerkplekken",       R, A, A, D, D},
      {"inburgering.v1.MatchingService.RecommendKandidaten",        R, A, A, D, D},
      {"inburgering.v1.MatchingService.ProposeAssignment",          R, D, O, D, D},
      {"inburgering.v1.MatchingService.CreatePlacement",            W, A, A, D, D},
      {"inburgering.v1.MatchingService.UpdatePlacement",            W, A, A, D, D},
      {"inburgering.v1.ReportingService.GetGemeenteReport",         N, O, O, A, D},
      {"inburgering.v1.ReportingService.GetRegionalReport",         N, O, O, A, D},
      {"inburgering.v1.ReportingService.ExportReport",              N, O, O, A, D},
  };
  // clang-format on
  return *kMatrix;
}

Access AccessFor(const PolicyRow& row, Role role) {
  switch (role) {
    case Role::kConsulent:
      return row.consulent;
    case Role::kWsp:
      return row.wsp;
    case Role::kAnalist:
      return row.analist;
    case Role::kBeheerder:
      return row.beheerder;
    case Role::kService:
      return Access::kDeny;  // services call each other directly, not here
  }
  return Access::kDeny;
}

AccessPolicy::AccessPolicy(const config::v1::Regions& regions) {
  for (const PolicyRow& row : PolicyMatrix()) rows_.emplace(row.method, &row);
  for (const auto& region : regions.regions()) {
    auto& members = regions_[region.id()];
    for (const std::string& gemeente : region.gemeenten()) members.insert(gemeente);
  }
}

const PolicyRow* AccessPolicy::Find(absl::string_view full_method) const {
  auto it = rows_.find(full_method);
  return it == rows_.end() ? nullptr : it->second;
}

absl::Status AccessPolicy::CheckRole(const PolicyRow& row, const Principal& principal) const {
  if (AccessFor(row, principal.role) == Access::kDeny) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(principal.role), " may not call ", row.method));
  }
  return absl::OkStatus();
}

bool AccessPolicy::RegionContains(absl::string_view region, absl::string_view gemeente) const {
  auto it = regions_.find(region);
  return it != regions_.end() && it->second.contains(gemeente);
}

absl::Status AccessPolicy::CheckScope(const PolicyRow& row, const Principal& principal,
                                      const google::protobuf::Message& request) const {
  if (AccessFor(row, principal.role) != Access::kOwnScope) return absl::OkStatus();
  const auto* descriptor = request.GetDescriptor();
  const auto* reflection = request.GetReflection();
  auto string_field = [&](const char* name) -> std::string {
    const auto* field = descriptor->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() ||
        field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      return "";
    }
    return reflection->GetString(request, field);
  };
  if (std::string gemeente = string_field("gemeente");
      !gemeente.empty() && gemeente != principal.gemeente) {
    return absl::PermissionDeniedError(absl::StrCat("gemeente: role ", RoleName(principal.role),
                                                    " may only ask for its own gemeente"));
  }
  if (std::string region = string_field("region");
      !region.empty() && !RegionContains(region, principal.gemeente)) {
    return absl::PermissionDeniedError(absl::StrCat("region: role ", RoleName(principal.role),
                                                    " may only ask for its own region"));
  }
  return absl::OkStatus();
}

}  // namespace inburgering::gateway
