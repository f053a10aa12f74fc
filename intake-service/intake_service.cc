#include "intake-service/intake_service.h"

#include "common/blocking_reactor.h"
#include "common/ids.h"
#include "common/principal.h"
#include "common/status.h"
#include "intake-service/validation.h"

namespace inburgering::intake {
namespace {

// Consulenten work on their own gemeente's statushouders; beheerders may too.
absl::StatusOr<Principal> RequireConsulent(const grpc::CallbackServerContext& context) {
  ASSIGN_OR_RETURN(Principal principal, PrincipalFromContext(context));
  if (principal.role != Role::kConsulent && principal.role != Role::kBeheerder) {
    return absl::PermissionDeniedError("role may not access statushouders");
  }
  return principal;
}

// The initial phase follows from whether the statushouder has settled in the gemeente yet.
v1::Phase InitialPhase(const v1::Statushouder& s) {
  return s.vestigingsdatum().empty() ? v1::PHASE_VOORINBURGERING : v1::PHASE_INTAKE;
}

}  // namespace

grpc::ServerUnaryReactor* IntakeServiceImpl::RegisterStatushouder(
    grpc::CallbackServerContext* context, const v1::RegisterStatushouderRequest* request,
    v1::Statushouder* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireConsulent(*context));
    RETURN_IF_ERROR(ValidateRequestId(request->request_id()));
    RETURN_IF_ERROR(ValidateNewStatushouder(request->statushouder(), today_()));
    v1::Statushouder statushouder = request->statushouder();
    statushouder.set_gemeente(principal.gemeente);
    statushouder.set_phase(InitialPhase(statushouder));
    ASSIGN_OR_RETURN(*response, store_.Create(request->request_id(),
                                              RequestFingerprint(request->statushouder()),
                                              std::move(statushouder)));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IntakeServiceImpl::GetStatushouder(
    grpc::CallbackServerContext* context, const v1::GetStatushouderRequest* request,
    v1::Statushouder* response) {
  return ServeBlocking(context, workers_, [this, context, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(Principal principal, RequireConsulent(*context));
    if (request->id().empty() || request->id().size() > 64) {
      return InvalidField("id", "1 to 64 characters");
    }
    ASSIGN_OR_RETURN(*response, store_.Get(principal.gemeente, request->id()));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::Event>* IntakeServiceImpl::StreamEvents(
    grpc::CallbackServerContext* context, const v1::StreamEventsRequest* request) {
  return ServeEventStream(*context, outbox_, *request);
}

}  // namespace inburgering::intake
