// Credentials of the gateway's public gRPC listener: TLS that asks for, but does not require, a
// client certificate (verified against the client CA), so that certificate and token callers
// share one port; the Authenticator maps a verified certificate's common name to a principal.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace inburgering::gateway {

struct PublicTlsFiles {
  std::string cert_file, key_file;  // empty cert_file: plaintext, loopback only
  std::string client_ca_file;       // empty: no client certificates
};

// FAILED_PRECONDITION when a file cannot be read or plaintext is asked for off loopback.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> PublicServerCredentials(
    const PublicTlsFiles& files, absl::string_view address);

}  // namespace inburgering::gateway
