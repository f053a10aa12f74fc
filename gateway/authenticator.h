// Who is calling, from what the gateway verified itself: a bearer token (compared by its SHA-256
// hash, the only form the config holds) or the verified TLS client certificate's common name.
//
// Thread-safe after construction (read-only). Never logs or returns the token itself.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/principal.h"
#include "inburgering/config/v1/config.pb.h"

namespace grpc {
class AuthContext;
}

namespace inburgering::gateway {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

class Authenticator {
 public:
  // Fails (INVALID_ARGUMENT naming the entry) on a malformed hash, role or gemeente code.
  static absl::StatusOr<Authenticator> Create(const config::v1::GatewayConfig& config);

  // The principal for an `authorization` header value ("Bearer <token>"), or UNAUTHENTICATED.
  absl::StatusOr<Principal> FromAuthorizationHeader(absl::string_view header) const;

  // The principal for a verified TLS peer, or UNAUTHENTICATED when the peer presented no verified
  // certificate or its common name is not configured.
  absl::StatusOr<Principal> FromPeer(const grpc::AuthContext* auth_context) const;

  // Looks at the TLS peer first (a certificate is the stronger credential), then the header.
  // `authorization` is empty when the call had none.
  absl::StatusOr<Principal> Authenticate(const grpc::AuthContext* auth_context,
                                         absl::string_view authorization) const;

 private:
  absl::flat_hash_map<std::string, Principal> by_token_hash_;
  absl::flat_hash_map<std::string, Principal> by_common_name_;
};

}  // namespace inburgering::gateway
