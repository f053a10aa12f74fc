// The gateway's core, shared by the gRPC front (grpc_proxy.h) and the JSON front (http_front.h):
// the routing table built from the service descriptors, the backends, and the admission of a call
// (authenticate → authorise → rate-limit), plus the audit log and metrics every call reports to.
//
// Thread-safe after Create (read-only apart from the rate limiter, audit log and metrics, which
// lock internally). Owns the backend channels; borrows the AuditLog.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/access_policy.h"
#include "gateway/audit_log.h"
#include "gateway/authenticator.h"
#include "gateway/metrics.h"
#include "gateway/rate_limiter.h"
#include "google/protobuf/descriptor.h"
#include "inburgering/config/v1/config.pb.h"

namespace inburgering::gateway {

// One backend service process.
struct Backend {
  std::string name;    // "intake", "matching", "reporting"
  std::string target;  // e.g. "127.0.0.1:50061"
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
};

// One RPC of a public service and where it goes.
struct Route {
  std::string path;  // "/inburgering.v1.IntakeService/GetStatushouder" (the HTTP/2 path)
  std::string name;  // "inburgering.v1.IntakeService.GetStatushouder"
  const google::protobuf::MethodDescriptor* method;
  const PolicyRow* policy;  // nullptr: not in the matrix, so denied to everyone
  Backend* backend;
};

struct BackendTargets {
  std::string intake, matching, reporting;
};

struct GatewayOptions {
  config::v1::GatewayConfig config;
  BackendTargets targets;
  // Credentials for a backend channel (mTLS outside dev); defaults to ChannelCredentialsFor.
  std::function<absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>(absl::string_view)>
      channel_credentials;
  // Deadline for a backend call when the client set none.
  absl::Duration default_deadline = absl::Seconds(30);
  RateLimiter::Clock clock = absl::Now;
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayOptions options, AuditLog& audit);

  // The route for an HTTP/2 path "/pkg.Service/Method", or nullptr.
  const Route* FindRoute(absl::string_view path) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }
  const std::vector<std::unique_ptr<Backend>>& backends() const { return backends_; }

  // Authenticates the caller and checks the role column of the matrix and the rate limit.
  // UNAUTHENTICATED, PERMISSION_DENIED, or RESOURCE_EXHAUSTED (with *retry_after set). Sets
  // *principal once authenticated, also when the call is then refused (for the audit record).
  absl::Status Admit(const Route& route, const grpc::AuthContext* auth_context,
                     absl::string_view authorization, std::optional<Principal>* principal,
                     absl::Duration* retry_after) const;

  // Checks what depends on the request content: every id field (id, statushouder_id, werkplek_id,
  // also nested) holds a record id (ValidateRecordId: INVALID_ARGUMENT naming the field), and the
  // own gemeente / region (PERMISSION_DENIED). Runs before anything is audited or forwarded.
  absl::Status CheckRequest(const Route& route, const Principal& principal,
                            const google::protobuf::Message& request) const;

  // Whether calls of `route` are audited (they read or write personal data).
  static bool Audited(const Route& route) {
    return route.policy == nullptr || route.policy->audit != AuditClass::kNone;
  }
  // A personal-data write: forwarded only once its begin row is stored (AuditClass).
  static bool AuditedBeforeForwarding(const Route& route) {
    return route.policy == nullptr || route.policy->audit == AuditClass::kPersonalWrite;
  }
  // A record for `route` with the actor (when known) and origin filled in.
  AuditRecord NewAuditRecord(const Route& route, const Principal* principal,
                             std::string origin) const;

  std::unique_ptr<google::protobuf::Message> NewRequest(const Route& route) const;
  std::unique_ptr<google::protobuf::Message> NewResponse(const Route& route) const;

  AuditLog& audit() const { return audit_; }
  Metrics& metrics() const { return metrics_; }
  const AccessPolicy& policy() const { return policy_; }
  int64_t max_request_bytes() const { return max_request_bytes_; }
  absl::Duration default_deadline() const { return default_deadline_; }
  absl::Time Now() const { return clock_(); }

 private:
  Gateway(const GatewayOptions& options, Authenticator authenticator, AuditLog& audit);

  Authenticator authenticator_;
  AccessPolicy policy_;
  mutable RateLimiter rate_limiter_;
  AuditLog& audit_;
  mutable Metrics metrics_;
  RateLimiter::Clock clock_;
  int64_t max_request_bytes_;
  absl::Duration default_deadline_;
  std::vector<std::unique_ptr<Backend>> backends_;
  std::vector<std::unique_ptr<Route>> routes_;
  absl::flat_hash_map<std::string, const Route*> by_path_;
};

// The status code's name as in the gRPC spec ("OK", "NOT_FOUND", ...).
std::string CodeName(grpc::StatusCode code);

}  // namespace inburgering::gateway
