#include "gateway/gateway.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status.h"
#include "common/tls.h"
#include "google/protobuf/message.h"
#include "inburgering/v1/intake.pb.h"
#include "inburgering/v1/matching.pb.h"
#include "inburgering/v1/reporting.pb.h"

namespace inburgering::gateway {
namespace {

constexpr int64_t kDefaultMaxRequestBytes = 4 * 1024 * 1024;

// The public services and the backend that serves each. Taking the descriptors from generated
// messages links them into the binary's descriptor pool.
struct PublicService {
  const google::protobuf::FileDescriptor* file;
  const char* service;
  const char* backend;
};

std::vector<PublicService> PublicServices() {
  return {
      {v1::RegisterStatushouderRequest::descriptor()->file(), "IntakeService", "intake"},
      {v1::RegisterWerkplekRequest::descriptor()->file(), "MatchingService", "matching"},
      {v1::GetGemeenteReportRequest::descriptor()->file(), "ReportingService", "reporting"},
  };
}

}  // namespace

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

Gateway::Gateway(const GatewayOptions& options, Authenticator authenticator, AuditLog& audit)
    : authenticator_(std::move(authenticator)),
      policy_(options.config.regions()),
      rate_limiter_(options.config.rate_limit(), options.clock),
      audit_(audit),
      clock_(options.clock),
      max_request_bytes_(options.config.max_request_bytes() > 0 ? options.config.max_request_bytes()
                                                                : kDefaultMaxRequestBytes),
      default_deadline_(options.default_deadline) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options, AuditLog& audit) {
  ASSIGN_OR_RETURN(Authenticator authenticator, Authenticator::Create(options.config));
  if (!options.channel_credentials) options.channel_credentials = ChannelCredentialsFor;
  std::unique_ptr<Gateway> gateway(new Gateway(options, std::move(authenticator), audit));

  const std::pair<const char*, std::string> targets[] = {{"intake", options.targets.intake},
                                                         {"matching", options.targets.matching},
                                                         {"reporting", options.targets.reporting}};
  absl::flat_hash_map<std::string, Backend*> by_name;
  for (const auto& [name, target] : targets) {
    if (target.empty()) return InvalidField(absl::StrCat(name, "_target"), "must be set");
    ASSIGN_OR_RETURN(auto credentials, options.channel_credentials(target));
    auto backend = std::make_unique<Backend>();
    backend->name = name;
    backend->target = target;
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    // Per-call balancing over every address the target resolves to (in Kubernetes a headless
    // Service's ready pods); with a single address it behaves like the default pick_first.
    arguments.SetLoadBalancingPolicyName("round_robin");
    backend->channel = grpc::CreateCustomChannel(target, credentials, arguments);
    backend->stub = std::make_unique<grpc::GenericStub>(backend->channel);
    by_name[name] = backend.get();
    gateway->backends_.push_back(std::move(backend));
  }

  for (const PublicService& service : PublicServices()) {
    const auto* descriptor = service.file->FindServiceByName(service.service);
    if (descriptor == nullptr) {
      return absl::InternalError(absl::StrCat("service ", service.service, " not linked"));
    }
    for (int i = 0; i < descriptor->method_count(); ++i) {
      const auto* method = descriptor->method(i);
      auto route = std::make_unique<Route>();
      route->path = absl::StrCat("/", descriptor->full_name(), "/", method->name());
      route->name = method->full_name();
      route->method = method;
      route->policy = gateway->policy_.Find(route->name);
      route->backend = by_name[service.backend];
      gateway->by_path_[route->path] = route.get();
      gateway->routes_.push_back(std::move(route));
    }
  }
  return gateway;
}

const Route* Gateway::FindRoute(absl::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : it->second;
}

absl::Status Gateway::Admit(const Route& route, const grpc::AuthContext* auth_context,
                            absl::string_view authorization, std::optional<Principal>* out,
                            absl::Duration* retry_after) const {
  ASSIGN_OR_RETURN(Principal principal, authenticator_.Authenticate(auth_context, authorization));
  *out = principal;
  if (route.policy == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(route.name, " is not available through the gateway"));
  }
  RETURN_IF_ERROR(policy_.CheckRole(*route.policy, principal));
  RETURN_IF_ERROR(rate_limiter_.Acquire(
      absl::StrCat(principal.gemeente, "/", RoleName(principal.role), "/", principal.subject),
      retry_after));
  return absl::OkStatus();
}

absl::Status Gateway::CheckRequest(const Route& route, const Principal& principal,
                                   const google::protobuf::Message& request) const {
  if (route.policy == nullptr) return absl::PermissionDeniedError("not available");
  RETURN_IF_ERROR(ValidateIdFields(request));
  return policy_.CheckScope(*route.policy, principal, request);
}

AuditRecord Gateway::NewAuditRecord(const Route& route, const Principal* principal,
                                    std::string origin) const {
  AuditRecord record;
  record.call_id = NewId();
  record.occurred_at = clock_();
  record.action = route.name;
  record.origin = std::move(origin);
  if (principal != nullptr) {
    record.actor_gemeente = principal->gemeente;
    record.actor_role = std::string(RoleName(principal->role));
    record.actor_subject = principal->subject;
  }
  return record;
}

std::unique_ptr<google::protobuf::Message> Gateway::NewRequest(const Route& route) const {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(route.method->input_type())
          ->New());
}

std::unique_ptr<google::protobuf::Message> Gateway::NewResponse(const Route& route) const {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(route.method->output_type())
          ->New());
}

}  // namespace inburgering::gateway
