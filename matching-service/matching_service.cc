#include "matching-service/matching_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/blocking_reactor.h"
#include "common/ids.h"
#include "common/status.h"
#include "matching-service/validation.h"

namespace inburgering::matching {
namespace {

absl::StatusOr<Principal> RequireRole(const grpc::CallbackServerContext& context,
                                      std::initializer_list<Role> roles) {
  ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(context));
  if (std::find(roles.begin(), roles.end(), principal.role) == roles.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(principal.role), " may not call this method"));
  }
  return principal;
}

void CopyPath(const std::string& path, const v1::Werkplek& from, v1::Werkplek& to) {
  if (path == "employer") to.set_employer(from.employer());
  if (path == "location") *to.mutable_location() = from.location();
  if (path == "type") to.set_type(from.type());
  if (path == "occupation_isco") to.set_occupation_isco(from.occupation_isco());
  if (path == "title") to.set_title(from.title());
  if (path == "min_language_level") to.set_min_language_level(from.min_language_level());
  if (path == "talende_omgeving") *to.mutable_talende_omgeving() = from.talende_omgeving();
  if (path == "hours_per_week") to.set_hours_per_week(from.hours_per_week());
  if (path == "dagdelen") *to.mutable_dagdelen() = from.dagdelen();
  if (path == "capacity") to.set_capacity(from.capacity());
  if (path == "open_from") to.set_open_from(from.open_from());
  if (path == "open_until") to.set_open_until(from.open_until());
}

absl::string_view StatusName(v1::PlacementStatus s) {
  switch (s) {
    case v1::PLACEMENT_STATUS_VOORGESTELD:
      return "voorgesteld";
    case v1::PLACEMENT_STATUS_GESTART:
      return "gestart";
    case v1::PLACEMENT_STATUS_BEEINDIGD:
      return "beeindigd";
    case v1::PLACEMENT_STATUS_AFGEWEZEN:
      return "afgewezen";
    case v1::PLACEMENT_STATUS_INGETROKKEN:
      return "ingetrokken";
    default:
      return "onbekend";
  }
}

}  // namespace

MatchingServiceImpl::MatchingServiceImpl(MysqlMatchingStore& store, Outbox& outbox,
                                         WorkerPool& workers, Options options, Clock today)
    : store_(store),
      outbox_(outbox),
      workers_(workers),
      today_(today),
      matcher_(std::move(options), std::move(today)) {}

absl::Status MatchingServiceImpl::Load() {
  ASSIGN_OR_RETURN(std::vector<v1::Werkplek> werkplekken, store_.LoadWerkplekken());
  for (const v1::Werkplek& w : werkplekken) matcher_.index().Upsert(w);
  ASSIGN_OR_RETURN(std::vector<v1::KandidaatProfiel> kandidaten, store_.LoadKandidaten());
  for (const v1::KandidaatProfiel& p : kandidaten) matcher_.kandidaten().Put(p);
  ASSIGN_OR_RETURN(std::vector<v1::Placement> placements, store_.LoadPlacements());
  for (const v1::Placement& p : placements) matcher_.kandidaten().TrackPlacement(p);
  return absl::OkStatus();
}

std::function<bool(const std::string&)> MatchingServiceImpl::InRegionOf(
    const std::string& region) const {
  return
      [this, region](const std::string& gemeente) { return matcher_.InRegion(region, gemeente); };
}

absl::Status MatchingServiceImpl::ApplyIntakeEvent(const v1::Event& event, PooledConnection& c) {
  if (!event.has_statushouder_changed()) return absl::OkStatus();
  const v1::Statushouder& s = event.statushouder_changed().statushouder();
  if (s.id().empty() || s.gemeente().empty()) {
    return absl::DataLossError("intake event without statushouder id or gemeente");
  }
  const v1::KandidaatProfiel profiel = ProfielFromStatushouder(s);
  MysqlMatchingStore::UpsertKandidaat(c, profiel);
  matcher_.kandidaten().Put(profiel);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* MatchingServiceImpl::RegisterWerkplek(
    grpc::CallbackServerContext* context, const v1::RegisterWerkplekRequest* request,
    v1::Werkplek* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireRole(*context, {Role::kWsp, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateWerkplek(request->werkplek(), InRegionOf(region)));
    v1::Werkplek werkplek = request->werkplek();
    werkplek.clear_id();
    werkplek.clear_capacity_used();
    werkplek.clear_version();
    werkplek.clear_create_time();
    werkplek.clear_update_time();
    werkplek.set_region(region);
    ASSIGN_OR_RETURN(*response, store_.CreateWerkplek(request->request_id(),
                                                      RequestFingerprint(werkplek), werkplek));
    matcher_.index().Upsert(*response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::UpdateWerkplek(
    grpc::CallbackServerContext* context, const v1::UpdateWerkplekRequest* request,
    v1::Werkplek* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireRole(*context, {Role::kWsp, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    RETURN_IF_ERROR(ValidateUpdateWerkplekRequest(*request));
    ASSIGN_OR_RETURN(
        *response, store_.UpdateWerkplek(region, request->id(), request->version(),
                                         [&](v1::Werkplek& w) -> absl::Status {
                                           for (const std::string& path : request->update_mask()) {
                                             CopyPath(path, request->werkplek(), w);
                                           }
                                           RETURN_IF_ERROR(ValidateWerkplek(w, InRegionOf(region)));
                                           if (w.capacity() < w.capacity_used()) {
                                             return absl::FailedPreconditionError(
                                                 "werkplek.capacity: below the active placements");
                                           }
                                           return absl::OkStatus();
                                         }));
    matcher_.index().Upsert(*response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::GetWerkplek(grpc::CallbackServerContext* context,
                                                           const v1::GetWerkplekRequest* request,
                                                           v1::Werkplek* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    RETURN_IF_ERROR(ValidateRecordId("id", request->id()));
    ASSIGN_OR_RETURN(*response, store_.GetWerkplek(region, request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::ListWerkplekken(
    grpc::CallbackServerContext* context, const v1::ListWerkplekkenRequest* request,
    v1::ListWerkplekkenResponse* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    ASSIGN_OR_RETURN(const WerkplekPage page_asked, ValidateListWerkplekkenRequest(*request));
    WerkplekFilter filter;
    filter.type = request->type();
    filter.isco_prefix = request->isco_prefix();
    filter.gemeente = request->gemeente();
    filter.open_only = request->open_only();
    filter.max_min_language_level = request->max_min_language_level();
    filter.with_capacity_left = request->with_capacity_left();
    ASSIGN_OR_RETURN(auto page, store_.ListWerkplekken(region, filter, today_(), page_asked.after,
                                                       page_asked.limit));
    for (v1::Werkplek& w : page.first) *response->add_werkplekken() = std::move(w);
    if (page.second > 0) response->set_next_page_token(absl::StrCat(page.second));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::RecommendWerkplekken(
    grpc::CallbackServerContext* context, const v1::RecommendWerkplekkenRequest* request,
    v1::RecommendWerkplekkenResponse* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    return matcher_.RecommendWerkplekken(principal, *request, response);
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::RecommendKandidaten(
    grpc::CallbackServerContext* context, const v1::RecommendKandidatenRequest* request,
    v1::RecommendKandidatenResponse* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    return matcher_.RecommendKandidaten(principal, *request, response);
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::ProposeAssignment(
    grpc::CallbackServerContext* context, const v1::ProposeAssignmentRequest* request,
    v1::ProposeAssignmentResponse* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireRole(*context, {Role::kWsp, Role::kBeheerder}));
    return matcher_.ProposeAssignment(principal, *request, response);
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::CreatePlacement(
    grpc::CallbackServerContext* context, const v1::CreatePlacementRequest* request,
    v1::Placement* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    RETURN_IF_ERROR(ValidateCreatePlacementRequest(*request));
    ASSIGN_OR_RETURN(std::shared_ptr<const Profile> profile,
                     matcher_.VisibleKandidaat(principal, region, request->statushouder_id()));
    v1::Placement placement;
    placement.set_statushouder_id(profile->id);
    placement.set_werkplek_id(request->werkplek_id());
    placement.set_gemeente(profile->gemeente);
    ASSIGN_OR_RETURN(auto result, store_.CreatePlacement(principal.gemeente, request->request_id(),
                                                         RequestFingerprint(*request), region,
                                                         placement, profile->prior_isco, today_()));
    matcher_.index().Upsert(result.second);
    matcher_.kandidaten().TrackPlacement(result.first);
    *response = std::move(result.first);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MatchingServiceImpl::UpdatePlacement(
    grpc::CallbackServerContext* context, const v1::UpdatePlacementRequest* request,
    v1::Placement* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal,
                     RequireRole(*context, {Role::kWsp, Role::kConsulent, Role::kBeheerder}));
    ASSIGN_OR_RETURN(std::string region, matcher_.RegionOf(principal));
    ASSIGN_OR_RETURN(const absl::CivilDay date, ValidateUpdatePlacementRequest(*request, today_()));
    const v1::PlacementStatus to = request->status();
    ASSIGN_OR_RETURN(
        auto result,
        store_.UpdatePlacement(
            request->id(), request->version(), [&](v1::Placement& p) -> absl::Status {
              const bool visible = principal.role == Role::kConsulent
                                       ? p.gemeente() == principal.gemeente
                                       : matcher_.InRegion(region, p.gemeente());
              if (!visible) return absl::NotFoundError("placement not found");
              if (p.version() != request->version()) return absl::OkStatus();  // store: ABORTED
              const v1::PlacementStatus from = p.status();
              if (!PlacementMayMove(from, to)) {
                return absl::FailedPreconditionError(absl::StrCat(
                    "status: cannot move from ", StatusName(from), " to ", StatusName(to),
                    from == v1::PLACEMENT_STATUS_VOORGESTELD && to == v1::PLACEMENT_STATUS_BEEINDIGD
                        ? " (a proposal that never started is AFGEWEZEN or INGETROKKEN, without "
                          "an outcome)"
                        : ""));
              }
              const std::string day = FormatDate(date);
              if (to == v1::PLACEMENT_STATUS_GESTART) {
                p.set_start_date(day);
              } else {
                if (!p.start_date().empty() && day < p.start_date()) {
                  return InvalidField("date", "must not be before the start date");
                }
                p.set_end_date(day);
                if (to == v1::PLACEMENT_STATUS_BEEINDIGD) {
                  p.set_outcome(request->outcome());
                  p.set_outcome_reason_code(request->outcome_reason_code());
                } else {
                  p.set_declined_by(request->declined_by());
                  p.set_decline_reason_code(request->decline_reason_code());
                }
              }
              p.set_status(to);
              return absl::OkStatus();
            }));
    matcher_.index().Upsert(result.second);
    matcher_.kandidaten().TrackPlacement(result.first);
    *response = std::move(result.first);
    return absl::OkStatus();
  });
}

}  // namespace inburgering::matching